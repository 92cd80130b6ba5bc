"""The Server object: owns the databases, the clients, the command table, stats, config and
every subsystem.  Nothing in ember is global; tests create as many Servers as they like.

Invariants:
- ``now_ms`` is the frozen time of the command being executed (set by dispatch.call);
- ``gated`` is True whenever some server-wide rule (maxmemory, replica, loading, busy
  script, pause, write block) could reject a command, so dispatch's fast path stays correct;
- ``key_hooks`` are called for every modified key (WATCH, tracking, blocking, ...).
"""

import os
import sys
import time

from ..keyspace.lazyfree import LazyFree
from .. import __version__, REDIS_VERSION
from ..clock import Clock
from ..commands import registry
from ..commands.table import load_table
from ..config import Config
from ..keyspace.db import Database
from ..protocol.replies import ReplyError
from .latency import LatencyMonitor
from .stats import Stats


class Server:
    def __init__(self, config=None, clock=None, logger=None):
        self.config = config if config is not None else Config()
        self.clock = clock or Clock()
        self.clock_ms = self.clock.ms
        self.now_ms = self.clock_ms()
        self.log = logger or _NullLog()
        self.version = __version__
        self.redis_version = REDIS_VERSION
        self.pid = os.getpid()
        self.run_id = os.urandom(20).hex()
        self.start_time = self.clock.time()
        self.start_monotonic = time.monotonic()
        self.dbs = [Database(self, i) for i in range(self.config.databases)]
        self.clients = {}
        self.stats = Stats()
        self.dirty = 0
        self.key_hooks = []
        self.ready_keys = None       # set of (db, key) that blocked clients may be served from
        self.monitors = []
        self.propagating = False
        self.propagate_hooks = []
        self.loading = False
        self.busy_script = None
        self.in_script = False
        self.write_blocked_reason = None
        self.gated = False
        self.default_user_restricted = False   # commands.acl keeps it in step with "default"
        self.lastsave = int(self.start_time)
        self.shutdown_requested = None
        self.pause = None
        self.tcp_port = self.config.port
        self.executable = ""
        self.config_file = ""
        self.subsystems = {}
        self.in_exec = 0
        self.watched = None
        self.slowlog_threshold_ns = 1 << 62  # set by commands.server.install
        self.latency_tracking = False        # idem (latency-tracking)
        self.latency_threshold_ms = 0        # idem (latency-monitor-threshold)
        self.latency = LatencyMonitor(self.clock.time)
        self.active_expire_enabled = True  # DEBUG SET-ACTIVE-EXPIRE
        self._shrink_grave = []            # replaced dicts, freed one per cron tick
        self._shrink_trim = False          # memory was freed since the last malloc_trim
        self.expire_pass_seconds = 0.0     # duration of the last active expiry pass
        self.lazyfree = LazyFree(self)     # UNLINK, FLUSH* ASYNC: freed a slice at a time
        self._load_commands()
        from ..commands import transactions
        transactions.install(self)
        from ..commands import server as server_commands
        server_commands.install(self)   # slowlog, MONITOR feed, CONFIG SET hooks
        from ..commands import pubsub
        pubsub.install(self)            # pub/sub, notifications, tracking, output limits
        from ..commands import acl
        acl.install(self)               # users, AUTH, permission checks, ACL LOG
        self.config.on_change("requirepass", lambda *a: self._refresh_gate())
        self.config.on_change("maxmemory", lambda *a: self._refresh_gate())
        self._refresh_gate()

    # ---- command table ----------------------------------------------------------------
    def _load_commands(self):
        handlers = registry.load_all()
        table = load_table()
        self.command_specs = table
        cmds = {}
        for name, spec in table.items():
            self._bind(spec, handlers)
            cmds[name.encode()] = spec
            cmds[name.upper().encode()] = spec
        self.commands = cmds

    def _bind(self, spec, handlers):
        spec.handler = handlers.get(spec.name)
        spec.batch = registry.BATCH_HANDLERS.get(spec.name)
        if spec.handler is None:
            spec.handler = _not_implemented(spec.name)
            spec.implemented = False
        else:
            spec.implemented = True
        for sub in spec.subcommands.values():
            self._bind(sub, handlers)

    # ---- gating ----------------------------------------------------------------------
    def requires_auth(self) -> bool:
        return bool(self.config.requirepass)

    def _refresh_gate(self):
        self.gated = bool(self.config.maxmemory or self.loading or self.busy_script is not None
                          or self.write_blocked_reason is not None or self.pause is not None
                          or self.is_readonly_replica())

    def is_readonly_replica(self) -> bool:
        return False

    def is_replica_readonly_view(self) -> bool:
        return False

    def paused_writes(self) -> bool:
        return self.pause is not None and self.pause.writes_only is not None

    def paused_for(self, c, spec) -> bool:
        return False

    def pause_client(self, c, spec, argv):
        return None

    def ensure_memory(self) -> bool:
        """Try to get under maxmemory (eviction); False when the command must be refused."""
        return True

    # ---- replies & stats -------------------------------------------------------------
    def error_reply(self, msg: str) -> ReplyError:
        self.stats.count_error(msg)
        return ReplyError(msg)

    # ---- keyspace notifications (the pub/sub subsystem installs ``notifier``) ---------
    notifier = None

    def notify(self, cls, event, key, db):
        n = self.notifier
        if n is not None:
            n(cls, event, key, db)

    # ---- databases -------------------------------------------------------------------
    def db(self, index: int) -> Database:
        return self.dbs[index]

    def on_key_expired(self, db, key):
        self.stats.expired_last = self.now_ms
        hooks = self.key_hooks
        if hooks:
            for h in hooks:
                h(db, key)
        for h in self.propagate_hooks:
            h(db.id, [b"DEL", key])

    propagate_override = None

    def propagate_as(self, *argvs):
        """Called by a handler whose effect must be propagated (AOF, replicas) as other
        commands than the one received (e.g. INCRBYFLOAT as SET ... KEEPTTL)."""
        if self.propagating:
            self.propagate_override = list(argvs)

    def propagate_raw(self, dbid, argv):
        for h in self.propagate_hooks:
            h(dbid, argv)

    def key_moved(self, src_db, src_key, dst_db, dst_key):
        """RENAME/MOVE: a value appeared under ``dst_key`` (blocked clients may be served)."""
        hook = self.subsystems.get("key_ready")
        if hook is not None:
            hook(dst_db, dst_key)

    def propagate(self, c, spec, argv):
        override = self.propagate_override
        self.propagate_override = None
        for h in self.propagate_hooks:
            if override is None:
                h(c.db.id, argv)
            else:
                for a in override:
                    h(c.db.id, a)

    # ---- blocking / monitors (filled in by their subsystems) -----------------------------
    def serve_blocked(self):
        self.ready_keys = None

    def feed_monitors(self, c, argv, now):
        pass

    # ---- clients ---------------------------------------------------------------------
    def add_client(self, client):
        self.clients[client.id] = client
        self.stats.total_connections_received += 1

    def remove_client(self, client):
        self.clients.pop(client.id, None)
        for h in self.subsystems.get("client_close", ()):
            h(client)

    # ---- cron ------------------------------------------------------------------------
    # Active expiry gets at most this much time per pass, so the event loop keeps
    # answering (a PING waits at most one pass); while a backlog remains the network layer
    # schedules extra passes between cron ticks.
    EXPIRE_PASS_SECONDS = 0.004

    def latency_sample(self, event, ms):
        """Record a latency-monitor event of ``ms`` milliseconds if it reaches the threshold."""
        t = self.latency_threshold_ms
        if t and ms >= t:
            self.latency.add(event, int(ms))

    def note_fork(self, seconds):
        """A BGSAVE/BGREWRITEAOF child was forked in ``seconds`` (INFO latest_fork_usec,
        total_forks; the latency monitor's "fork" event)."""
        usec = int(seconds * 1_000_000)
        self.stats.latest_fork_usec = usec
        self.stats.total_forks += 1
        self.latency_sample("fork", usec // 1000)

    def active_expire(self) -> bool:
        """One time-bounded pass of active expiry over every db. Returns True when due keys
        remain (a backlog)."""
        t_start = time.monotonic()
        t_end = t_start + self.EXPIRE_PASS_SECONDS
        deadline = lambda: time.monotonic() >= t_end
        if not self.active_expire_enabled or self.paused_writes():
            for db in self.dbs:     # stale wheel entries still go (this deletes no key)
                if db.wheel.needs_compaction(len(db.expires)) and not db.wheel.compact(db.expires, deadline):
                    break
            self.expire_pass_seconds = time.monotonic() - t_start
            return False
        self.now_ms = now = self.clock_ms()
        backlog = False
        capped = False
        for db in self.dbs:
            wheel = db.wheel
            if db.expires or wheel.heap:
                wheel.drain(db, now, 1 << 30, deadline)
                if wheel.has_due(now):
                    backlog = True
            if time.monotonic() >= t_end:
                backlog = backlog or any(d.wheel.has_due(now) for d in self.dbs)
                capped = True
                break
            if wheel.needs_compaction(len(db.expires)):    # stale entries: a slice at a time
                wheel.compact(db.expires, deadline)
        self.expire_pass_seconds = spent = time.monotonic() - t_start
        stats = self.stats
        stats.expire_cycle_us += spent * 1e6
        if capped:
            stats.expired_time_cap_reached_count += 1
        # expired_stale_perc: the share of keys with a TTL that are due but not yet freed,
        # smoothed over the passes as Redis smooths its sampled estimate
        perc = 0.0
        if backlog:
            ttl_keys = sum(len(d.expires) for d in self.dbs)
            if ttl_keys:
                perc = min(1.0, sum(d.wheel.due_entries(now) for d in self.dbs) / ttl_keys)
        stats.expired_stale_perc = perc * 0.05 + stats.expired_stale_perc * 0.95
        if self.latency_threshold_ms:
            self.latency_sample("expire-cycle", spent * 1000)
        return backlog

    SHRINK_POP_SLICE = 4096     # entries of a replaced dict dropped per shrink step

    def shrink_tables(self) -> bool:
        """Python dicts never shrink on delete; rebuild a db's dicts once they are mostly
        empty so memory returns after mass expiry/deletion (Redis resizes its tables too).
        One step per call, each a few ms, so PING stays fast through a mass expiry: copy
        one oversized dict, or empty part of a replaced one, or, once all is done, give free
        heap pages back to the OS in a thread.  Returns True while steps remain.

        A replaced dict is emptied by popitem() in slices rather than freed at once: freeing
        walks its whole entry table (6-10 ms for a table that held 1M keys), while popitem
        walks back from the end only to the next live entry and shortens the table as it
        goes, so the walk is shared out between the slices and the final free is O(1)."""
        grave = self._shrink_grave
        if grave:
            d = grave[-1]
            pop = d.popitem
            for _ in range(min(len(d), self.SHRINK_POP_SLICE)):
                pop()
            if not d:
                grave.pop()
            self._shrink_trim = True
            return True
        for db in self.dbs:
            for name in ("data", "expires", "atime"):
                d = getattr(db, name)
                # only once the table is nearly empty, so the copy stays a few ms
                if sys.getsizeof(d) > 32 * (len(d) * 48 + 4096):
                    setattr(db, name, dict(d))
                    grave.append(d)
                    return True
        if self._shrink_trim:
            self._shrink_trim = False
            release_free_memory(background=True)
        return False

    def cron(self):
        """Called hz times per second: active expiry, client timeouts, stats sampling."""
        self.now_ms = self.clock_ms()
        self.expire_backlog = self.active_expire()
        for hook in self.subsystems.get("cron", ()):   # per-subsystem periodic work
            hook(self)
        self.cron_ticks = getattr(self, "cron_ticks", 0) + 1
        if self.cron_ticks % 600 == 0:
            # big values freed by DEL/overwrites stay in the heap (tune_malloc): once a
            # minute or so, malloc_trim gives free pages back, in a thread
            self._shrink_trim = True
        # a shrink step costs a few ms of its own: never in a tick whose expiry pass had
        # real work, so the two never add up into one long stall
        if ((self._shrink_grave or self.cron_ticks % 10 == 0) and not self.expire_backlog
                and self.expire_pass_seconds < 0.001):
            self.shrink_tables()
        timeout = self.config.timeout
        if timeout:
            limit = self.clock.time() - timeout
            for c in list(self.clients.values()):
                if (c.last_interaction < limit and c.kind == "normal" and c.blocked is None
                        and not c.in_pubsub_context() and not c.is_replica):
                    c.close()
        self.stats.sample(self)


def tune_malloc():
    """Server processes only (not embedded use): serve big blocks (dict tables above all)
    from glibc's heap instead of separate mappings, and never give heap pages back inside
    free().  Unmapping a 40 MB dict table freed when shrink_tables replaces it stalled the
    event loop for 5-15 ms (the whole call holds the GIL); from the heap that free is a few
    list operations, and the pages go back to the OS through malloc_trim in a thread
    (release_free_memory), which runs without the GIL.  Returns True when applied."""
    try:
        import ctypes
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    # M_MMAP_MAX (-4) = 0: no mmap'ed chunks; M_TRIM_THRESHOLD (-1): no trimming in free()
    return bool(mallopt(-4, 0)) and bool(mallopt(-1, 0x7FFFFFFF))


def release_free_memory(background=False):
    """Give freed heap pages back to the OS (glibc keeps them otherwise; Redis' jemalloc
    purges on its own, in a background thread).  ``background``: run malloc_trim in a
    thread; ctypes releases the GIL for the call, so the event loop keeps serving."""
    try:
        import ctypes
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    if background:
        import threading
        threading.Thread(target=trim, args=(0,), name="ember-trim", daemon=True).start()
    else:
        trim(0)


class _NullLog:
    def __getattr__(self, name):
        return lambda *a, **k: None


def _not_implemented(name):
    def handler(c, argv):
        raise ReplyError("ERR '%s' command is not implemented in ember yet" % name)
    return handler
