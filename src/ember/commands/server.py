"""Server commands: DBSIZE, FLUSHDB/FLUSHALL, SWAPDB, TIME, LASTSAVE, INFO, CONFIG, SHUTDOWN,
DEBUG, SLOWLOG, MONITOR, LOLWUT, MEMORY, LATENCY, ROLE and COMMAND.

``install(server)`` (called by the Server at start) wires the runtime parts these commands
need: the slow log (dispatch.call pushes entries only when a call exceeds the threshold),
MONITOR feeding, the CONFIG SET hooks that must take effect immediately (loglevel, slowlog)
and the memory-peak tracker.

Invariants:
- INFO field names and order follow Redis 7.2 (7.0's output plus the 7.2 additions);
  values are ember's own where ember has them, Redis' idle defaults otherwise;
- ``used_memory`` is the process RSS from /proc/self/statm (Python has no allocator counter
  that is cheap and honest; tracemalloc would slow every allocation);
- other subsystems may adjust INFO values through ``server.subsystems["info"]``: a list
  of callables ``hook(server, section_name, fields)`` where fields is an ordered dict.
"""

import hashlib
import os
import resource
import sys
import time
from collections import deque

from .. import errors
from ..glob import compile as glob_compile
from ..keyspace.db import type_name
from ..protocol.replies import (
    NO_REPLY, BigNumber, Map, Raw, ReplyError, SetReply, Verbatim, TRUE, FALSE,
)
from . import table as cmdtable
from ..server import latency
from .args import ArgReader, parse_int
from .registry import command


# ======================================================================================
# install: runtime hooks
# ======================================================================================
class SlowLog:
    __slots__ = ("entries", "next_id")

    def __init__(self):
        self.entries = deque()
        self.next_id = 0


def install(server):
    """Wire slowlog, MONITOR, memory tracking and CONFIG SET hooks into ``server``."""
    server.slowlog = SlowLog()
    server.mem_peak = 0
    # used_memory_startup: measured now, before any data is loaded (it was taken at the
    # first INFO, which after a big RDB load made the whole dataset "overhead")
    server.mem_startup = rss_bytes()
    server.active_expire_enabled = True
    _refresh_slowlog_threshold(server)
    cfg = server.config
    cfg.on_change("slowlog-log-slower-than", lambda *a: _refresh_slowlog_threshold(server))
    cfg.on_change("latency-monitor-threshold", lambda *a: _refresh_slowlog_threshold(server))
    cfg.on_change("latency-tracking", lambda *a: _refresh_slowlog_threshold(server))
    cfg.on_change("slowlog-max-len", lambda *a: _trim_slowlog(server))

    def on_loglevel(config, name, old, new):
        setter = getattr(server.log, "set_level", None)
        if setter is not None and new is not None:
            setter(new)
    cfg.on_change("loglevel", on_loglevel)
    server.feed_monitors = lambda c, argv, now: feed_monitors(server, c, argv, now)
    server.slowlog_push = lambda c, spec, argv, dt_ns: slow_call(server, c, spec, argv, dt_ns)

    def drop_monitor(c):
        if c.is_monitor:
            try:
                server.monitors.remove(c)
            except ValueError:
                pass
    server.subsystems.setdefault("client_close", []).append(drop_monitor)
    from . import client as client_commands
    client_commands.install(server)
    from ..keyspace import eviction
    eviction.install(server)        # maxmemory accounting and eviction (idle until set)


def _refresh_slowlog_threshold(server):
    """Dispatch compares every command's duration (ns) with one threshold and calls
    ``server.slowlog_push`` (slow_call) past it: the smaller of the slowlog's (negative:
    off) and the latency monitor's (milliseconds, 0: off)."""
    cfg = server.config
    v = cfg.slowlog_log_slower_than
    server.slowlog_real_ns = slow = (1 << 62) if v < 0 else v * 1000
    ms = cfg.latency_monitor_threshold
    server.latency_threshold_ms = ms
    server.slowlog_threshold_ns = min(slow, ms * 1_000_000) if ms else slow
    server.latency_tracking = bool(cfg.latency_tracking)


def slow_call(server, c, spec, argv, dt_ns):
    """A command reached dispatch's threshold: SLOWLOG and/or a latency-monitor event."""
    if dt_ns >= server.slowlog_real_ns:
        slowlog_push(server, c, argv, dt_ns)
    ms = server.latency_threshold_ms
    if ms and dt_ns >= ms * 1_000_000:
        server.latency.add("fast-command" if spec.fast else "command", dt_ns // 1_000_000)


def _trim_slowlog(server):
    sl = server.slowlog
    limit = server.config.slowlog_max_len
    while len(sl.entries) > limit:
        sl.entries.pop()


def slowlog_push(server, c, argv, dt_ns):
    """Record one slow command (called by dispatch.call only past the threshold)."""
    limit = server.config.slowlog_max_len
    sl = server.slowlog
    n = len(argv)
    shown = n if n <= 32 else 31
    args = []
    for a in argv[:shown]:
        a = bytes(a)
        if len(a) > 128:
            a = a[:128] + b"... (%d more bytes)" % (len(a) - 128)
        args.append(a)
    if n > 32:
        args.append(b"... (%d more arguments)" % (n - 31))
    entry = (sl.next_id, int(time.time()), dt_ns // 1000, args,
             (c.addr or "").encode(), c.name or b"")
    sl.next_id += 1
    sl.entries.appendleft(entry)
    while len(sl.entries) > limit:
        sl.entries.pop()


# ======================================================================================
# keyspace commands
# ======================================================================================
@command("dbsize")
def dbsize(c, argv):
    """DBSIZE"""
    return len(c.db.data)


def _flush_args(c, argv):
    """Whether to free lazily: ASYNC, or lazyfree-lazy-user-flush without SYNC."""
    if len(argv) > 2:
        raise ReplyError(errors.SYNTAX)
    if len(argv) == 2:
        opt = argv[1].upper()
        if opt not in (b"ASYNC", b"SYNC"):
            raise ReplyError(errors.SYNTAX)
        return opt == b"ASYNC"
    return bool(c.server.config.lazyfree_lazy_user_flush)


def _flush_db(server, db, lazy=False):
    from .transactions import touch_all_watched_in_db
    touch_all_watched_in_db(server, db)
    n = db.clear(lazy)
    server.dirty += n
    if n:
        server._shrink_trim = True      # the cron gives the freed pages back (shrink_tables)
    return n


@command("flushdb")
def flushdb(c, argv):
    """FLUSHDB [ASYNC|SYNC]"""
    lazy = _flush_args(c, argv)
    server = c.server
    _flush_db(server, c.db, lazy)
    server.dirty += 1
    for h in server.subsystems.get("flush", ()):
        h(server, c.db)
    return "OK"


@command("flushall")
def flushall(c, argv):
    """FLUSHALL [ASYNC|SYNC]"""
    lazy = _flush_args(c, argv)
    server = c.server
    for db in server.dbs:
        _flush_db(server, db, lazy)
    server.dirty += 1
    for h in server.subsystems.get("flush", ()):
        h(server, None)
    return "OK"


@command("swapdb")
def swapdb(c, argv):
    """SWAPDB index1 index2"""
    server = c.server
    if server.config.cluster_enabled:
        raise ReplyError("ERR SWAPDB is not allowed in cluster mode")
    try:
        a = parse_int(argv[1])
    except ReplyError:
        raise ReplyError("ERR invalid first DB index") from None
    try:
        b = parse_int(argv[2])
    except ReplyError:
        raise ReplyError("ERR invalid second DB index") from None
    n = len(server.dbs)
    if a < 0 or a >= n or b < 0 or b >= n:
        raise ReplyError(errors.DB_INDEX_OUT_OF_RANGE)
    if a == b:
        return "OK"
    da, dbb = server.dbs[a], server.dbs[b]
    from .transactions import touch_all_watched_in_db
    touch_all_watched_in_db(server, da, dbb)
    touch_all_watched_in_db(server, dbb, da)
    # Swap contents, not objects: clients hold references to their Database.
    for attr in ("data", "expires", "atime", "wheel", "scans"):
        va, vb = getattr(da, attr), getattr(dbb, attr)
        setattr(da, attr, vb)
        setattr(dbb, attr, va)
    server.dirty += 1
    for h in server.subsystems.get("swapdb", ()):
        h(server, da, dbb)
    ready = server.subsystems.get("key_ready")
    if ready is not None:
        blocked_keys = server.subsystems.get("blocked_keys")
        for db in (da, dbb):
            keys = blocked_keys(db.id) if blocked_keys is not None else list(db.data)
            for k in keys:
                if k in db.data:
                    ready(db, k)
    return "OK"


@command("time")
def time_(c, argv):
    """TIME"""
    t = time.time()
    sec = int(t)
    return [b"%d" % sec, b"%d" % int((t - sec) * 1_000_000)]


@command("lastsave")
def lastsave(c, argv):
    """LASTSAVE"""
    return int(c.server.lastsave)


@command("role")
def role(c, argv):
    """ROLE"""
    hook = c.server.subsystems.get("role")
    if hook is not None:
        return hook(c)
    return [b"master", 0, []]


# ======================================================================================
# INFO
# ======================================================================================
DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication",
                    "cpu", "modules", "errorstats", "cluster", "keyspace")
ALL_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace")


def bytes_to_human(n) -> str:
    """Redis' bytesToHuman: B, K, M, G, T, P with two decimals."""
    n = float(n)
    if n < 1024:
        return "%dB" % int(n)
    for unit, div in (("K", 1024), ("M", 1024 ** 2), ("G", 1024 ** 3), ("T", 1024 ** 4)):
        if n < div * 1024 or unit == "T":
            return "%.2f%s" % (n / div, unit)
    return "%.2fP" % (n / 1024 ** 5)


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def total_system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def used_memory(server) -> int:
    m = rss_bytes()
    if m > server.mem_peak:
        server.mem_peak = m
    return m


def _uname():
    u = os.uname()
    return "%s %s %s" % (u.sysname, u.release, u.machine)


def _sec_server(server):
    now = time.time()
    uptime = int(time.monotonic() - server.start_monotonic)
    cfg = server.config
    f = {
        "redis_version": server.redis_version,
        "ember_version": server.version,
        "redis_git_sha1": "00000000",
        "redis_git_dirty": "0",
        "redis_build_id": "0",
        "redis_mode": "cluster" if cfg.cluster_enabled else "standalone",
        "os": _uname(),
        "arch_bits": "64" if sys.maxsize > 2 ** 32 else "32",
        "monotonic_clock": "POSIX clock_gettime",
        "multiplexing_api": "epoll" if sys.platform.startswith("linux") else "kqueue",
        "atomicvar_api": "c11-builtin",
        "gcc_version": "0.0.0",
        "process_id": server.pid,
        "process_supervised": "no",
        "run_id": server.run_id,
        "tcp_port": server.tcp_port,
        "server_time_usec": int(now * 1_000_000),
        "uptime_in_seconds": uptime,
        "uptime_in_days": uptime // 86400,
        "hz": cfg.hz,
        "configured_hz": cfg.hz,
        "lru_clock": int(now) & ((1 << 24) - 1),
        "executable": server.executable,
        "config_file": server.config_file or (cfg.config_file or ""),
        "io_threads_active": 0,
    }
    if cfg.port:
        binds = cfg.bind_addresses() if hasattr(cfg, "bind_addresses") else list(cfg.bind or ())
        f["listener0"] = "name=tcp," + ",".join("bind=%s" % b for b in binds) + ",port=%d" % server.tcp_port
    if cfg.unixsocket:
        f["listener%d" % (1 if cfg.port else 0)] = "name=unix,bind=%s" % cfg.unixsocket
    return f


def _sec_clients(server):
    from .client import client_memory
    clients = server.clients.values()
    normal = 0
    blocked = 0
    tracking = 0
    max_in = max_out = 0
    for c in clients:
        if not c.is_replica:
            normal += 1
        if c.blocked is not None:
            blocked += 1
        if c.tracking:
            tracking += 1
        qbuf, obl, _, _ = client_memory(c)
        max_in = max(max_in, qbuf)
        max_out = max(max_out, obl)
    return {
        "connected_clients": normal,
        "cluster_connections": 0,
        "maxclients": server.config.maxclients,
        "client_recent_max_input_buffer": max_in,
        "client_recent_max_output_buffer": max_out,
        "blocked_clients": blocked,
        "tracking_clients": tracking,
        "clients_in_timeout_table": blocked,
        "total_blocking_keys": 0,
        "total_blocking_keys_on_nokey": 0,
    }


def _sec_memory(server):
    from .client import client_memory
    used = used_memory(server)
    peak = max(server.mem_peak, used)
    startup = getattr(server, "mem_startup", None)
    if startup is None:
        startup = server.mem_startup = used
    cfg = server.config
    dataset = max(0, used - startup)
    sysmem = total_system_memory()
    return {
        "used_memory": used,
        "used_memory_human": bytes_to_human(used),
        "used_memory_rss": used,
        "used_memory_rss_human": bytes_to_human(used),
        "used_memory_peak": peak,
        "used_memory_peak_human": bytes_to_human(peak),
        "used_memory_peak_perc": "%.2f%%" % (used * 100.0 / peak if peak else 100.0),
        "used_memory_overhead": startup,
        "used_memory_startup": startup,
        "used_memory_dataset": dataset,
        "used_memory_dataset_perc": "%.2f%%" % (dataset * 100.0 / used if used else 0.0),
        "allocator_allocated": used,
        "allocator_active": used,
        "allocator_resident": used,
        "total_system_memory": sysmem,
        "total_system_memory_human": bytes_to_human(sysmem),
        "used_memory_lua": 31744,
        "used_memory_vm_eval": 31744,
        "used_memory_lua_human": "31.00K",
        "used_memory_scripts_eval": 0,
        "number_of_cached_scripts": 0,
        "number_of_functions": 0,
        "number_of_libraries": 0,
        "used_memory_vm_functions": 32768,
        "used_memory_vm_total": 64512,
        "used_memory_vm_total_human": "63.00K",
        "used_memory_functions": 184,
        "used_memory_scripts": 184,
        "used_memory_scripts_human": "184B",
        "maxmemory": cfg.maxmemory,
        "maxmemory_human": bytes_to_human(cfg.maxmemory),
        "maxmemory_policy": cfg.maxmemory_policy,
        "allocator_frag_ratio": "1.00",
        "allocator_frag_bytes": 0,
        "allocator_rss_ratio": "1.00",
        "allocator_rss_bytes": 0,
        "rss_overhead_ratio": "1.00",
        "rss_overhead_bytes": 0,
        "mem_fragmentation_ratio": "1.00",
        "mem_fragmentation_bytes": 0,
        "mem_not_counted_for_evict": 0,
        "mem_replication_backlog": 0,
        "mem_total_replication_buffers": 0,
        "mem_clients_slaves": sum(client_memory(c)[3] for c in server.clients.values() if c.is_replica),
        "mem_clients_normal": sum(client_memory(c)[3] for c in server.clients.values() if not c.is_replica),
        "mem_cluster_links": 0,
        "mem_aof_buffer": 0,
        "mem_allocator": "libc",
        "active_defrag_running": 0,
        "lazyfree_pending_objects": server.lazyfree.pending,
        "lazyfreed_objects": server.lazyfree.freed,
    }


def _sec_persistence(server):
    cfg = server.config
    f = {
        "loading": int(bool(server.loading)),
        "async_loading": 0,
        "current_cow_peak": 0,
        "current_cow_size": 0,
        "current_cow_size_age": 0,
        "current_fork_perc": "0.00",
        "current_save_keys_processed": 0,
        "current_save_keys_total": 0,
        "rdb_changes_since_last_save": server.dirty,
        "rdb_bgsave_in_progress": 0,
        "rdb_last_save_time": int(server.lastsave),
        "rdb_last_bgsave_status": "ok",
        "rdb_last_bgsave_time_sec": -1,
        "rdb_current_bgsave_time_sec": -1,
        "rdb_saves": 0,
        "rdb_last_cow_size": 0,
        "rdb_last_load_keys_expired": 0,
        "rdb_last_load_keys_loaded": 0,
        "aof_enabled": int(bool(cfg.appendonly)),
        "aof_rewrite_in_progress": 0,
        "aof_rewrite_scheduled": 0,
        "aof_last_rewrite_time_sec": -1,
        "aof_current_rewrite_time_sec": -1,
        "aof_last_bgrewrite_status": "ok",
        "aof_rewrites": 0,
        "aof_rewrites_consecutive_failures": 0,
        "aof_last_write_status": "ok",
        "aof_last_cow_size": 0,
        "module_fork_in_progress": 0,
        "module_fork_last_cow_size": 0,
    }
    return f


def total_calls(server) -> int:
    n = 0
    for spec in cmdtable.iter_specs(server.command_specs):
        n += spec.calls
    return n


def _sec_stats(server):
    s = server.stats
    kbps_in, kbps_out = s.instantaneous_kbps()
    el_rate, el_usec = s.instantaneous_eventloop()
    return {
        "total_connections_received": s.total_connections_received,
        "total_commands_processed": total_calls(server),
        "instantaneous_ops_per_sec": int(s.instantaneous_ops),
        "total_net_input_bytes": s.total_net_input_bytes,
        "total_net_output_bytes": s.total_net_output_bytes,
        "total_net_repl_input_bytes": 0,
        "total_net_repl_output_bytes": 0,
        "instantaneous_input_kbps": "%.2f" % kbps_in,
        "instantaneous_output_kbps": "%.2f" % kbps_out,
        "instantaneous_input_repl_kbps": "0.00",
        "instantaneous_output_repl_kbps": "0.00",
        "rejected_connections": s.rejected_connections,
        "sync_full": s.sync_full,
        "sync_partial_ok": s.sync_partial_ok,
        "sync_partial_err": s.sync_partial_err,
        "expired_keys": s.expired_keys,
        "expired_stale_perc": "%.2f" % (s.expired_stale_perc * 100),
        "expired_time_cap_reached_count": s.expired_time_cap_reached_count,
        "expire_cycle_cpu_milliseconds": int(s.expire_cycle_us // 1000),
        "evicted_keys": s.evicted_keys,
        "evicted_clients": s.evicted_clients,
        "total_eviction_exceeded_time": 0,
        "current_eviction_exceeded_time": 0,
        "keyspace_hits": s.keyspace_hits,
        "keyspace_misses": s.keyspace_misses,
        "pubsub_channels": 0,
        "pubsub_patterns": 0,
        "pubsubshard_channels": 0,
        "latest_fork_usec": s.latest_fork_usec,
        "total_forks": s.total_forks,
        "migrate_cached_sockets": 0,
        "slave_expires_tracked_keys": 0,
        "active_defrag_hits": 0,
        "active_defrag_misses": 0,
        "active_defrag_key_hits": 0,
        "active_defrag_key_misses": 0,
        "total_active_defrag_time": 0,
        "current_active_defrag_time": 0,
        "tracking_total_keys": s.tracking_total_keys,
        "tracking_total_items": 0,
        "tracking_total_prefixes": 0,
        "unexpected_error_replies": s.unexpected_error_replies,
        "total_error_replies": s.total_error_replies,
        "dump_payload_sanitizations": s.dump_payload_sanitizations,
        "total_reads_processed": s.total_reads_processed,
        "total_writes_processed": s.total_writes_processed,
        "io_threaded_reads_processed": 0,
        "io_threaded_writes_processed": 0,
        "client_query_buffer_limit_disconnections": s.client_query_buffer_limit_disconnections,
        "client_output_buffer_limit_disconnections": s.client_output_buffer_limit_disconnections,
        "reply_buffer_shrinks": s.reply_buffer_shrinks,
        "reply_buffer_expands": s.reply_buffer_expands,
        "eventloop_cycles": s.eventloop_cycles(),
        "eventloop_duration_sum": s.eventloop_duration_us(),
        "eventloop_duration_cmd_sum": sum(sp.usec_ns for sp in cmdtable.iter_specs(server.command_specs)) // 1000,
        "instantaneous_eventloop_cycles_per_sec": el_rate,
        "instantaneous_eventloop_duration_usec": el_usec,
        "acl_access_denied_auth": 0,
        "acl_access_denied_cmd": 0,
        "acl_access_denied_key": 0,
        "acl_access_denied_channel": 0,
    }


def _sec_replication(server):
    replid = getattr(server, "replid", None)
    if replid is None:
        replid = server.replid = os.urandom(20).hex()
    return {
        "role": "master",
        "connected_slaves": 0,
        "master_failover_state": "no-failover",
        "master_replid": replid,
        "master_replid2": "0" * 40,
        "master_repl_offset": 0,
        "second_repl_offset": -1,
        "repl_backlog_active": 0,
        "repl_backlog_size": getattr(server.config, "repl_backlog_size", 1048576),
        "repl_backlog_first_byte_offset": 0,
        "repl_backlog_histlen": 0,
    }


def _sec_cpu(server):
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        th = resource.getrusage(resource.RUSAGE_THREAD)
    except (AttributeError, ValueError, OSError):
        th = me
    return {
        "used_cpu_sys": "%.6f" % me.ru_stime,
        "used_cpu_user": "%.6f" % me.ru_utime,
        "used_cpu_sys_children": "%.6f" % ch.ru_stime,
        "used_cpu_user_children": "%.6f" % ch.ru_utime,
        "used_cpu_sys_main_thread": "%.6f" % th.ru_stime,
        "used_cpu_user_main_thread": "%.6f" % th.ru_utime,
    }


def _sec_modules(server):
    return {}


def _sec_commandstats(server):
    f = {}
    for spec in cmdtable.iter_specs(server.command_specs):
        if not (spec.calls or spec.failed_calls or spec.rejected_calls):
            continue
        usec = spec.usec_ns // 1000
        f["cmdstat_" + spec.name] = ("calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d"
                                     % (spec.calls, usec, (usec / spec.calls) if spec.calls else 0.0,
                                        spec.rejected_calls, spec.failed_calls))
    return f


def _sec_errorstats(server):
    return {"errorstat_" + code: "count=%d" % n for code, n in sorted(server.stats.errors.items())}


def _sec_latencystats(server):
    if not server.latency_tracking:
        return {}
    pcts = server.config.latency_tracking_info_percentiles
    names = ["p" + _fmt_pct(p) for p in pcts]
    f = {}
    for spec in cmdtable.iter_specs(server.command_specs):
        h = spec.lat_hist
        if h:
            f["latency_percentiles_usec_" + spec.name] = ",".join(
                "%s=%.3f" % (name, latency.percentile(h, p) / 1000.0) for name, p in zip(names, pcts))
    return f


def _fmt_pct(p):
    return ("%.6f" % p).rstrip("0").rstrip(".")


def _sec_cluster(server):
    return {"cluster_enabled": int(bool(server.config.cluster_enabled))}


def avg_ttl(db, now) -> int:
    exp = db.expires
    if not exp:
        return 0
    if len(exp) <= 1024:
        vals = list(exp.values())
    else:
        import itertools
        vals = list(itertools.islice(exp.values(), 1024))
    ttls = [w - now for w in vals if w > now]
    return int(sum(ttls) / len(ttls)) if ttls else 0


def _sec_keyspace(server):
    f = {}
    now = server.clock_ms()
    for db in server.dbs:
        if db.data:
            f["db%d" % db.id] = "keys=%d,expires=%d,avg_ttl=%d" % (len(db.data), len(db.expires),
                                                                   avg_ttl(db, now))
    return f


SECTIONS = {
    "server": ("Server", _sec_server),
    "clients": ("Clients", _sec_clients),
    "memory": ("Memory", _sec_memory),
    "persistence": ("Persistence", _sec_persistence),
    "stats": ("Stats", _sec_stats),
    "replication": ("Replication", _sec_replication),
    "cpu": ("CPU", _sec_cpu),
    "modules": ("Modules", _sec_modules),
    "commandstats": ("Commandstats", _sec_commandstats),
    "errorstats": ("Errorstats", _sec_errorstats),
    "latencystats": ("Latencystats", _sec_latencystats),
    "cluster": ("Cluster", _sec_cluster),
    "keyspace": ("Keyspace", _sec_keyspace),
}


def info_sections(args):
    """The ordered list of section names an INFO call asks for."""
    if not args:
        return list(DEFAULT_SECTIONS)
    wanted = set()
    for a in args:
        s = a.decode("utf-8", "replace").lower() if isinstance(a, bytes) else a.lower()
        if s == "default":
            wanted.update(DEFAULT_SECTIONS)
        elif s in ("all", "everything"):
            wanted.update(ALL_SECTIONS)
        else:
            wanted.add(s)
    return [s for s in ALL_SECTIONS if s in wanted]


def info_fields(server, section):
    title, fn = SECTIONS[section]
    fields = fn(server)
    for h in server.subsystems.get("info", ()):
        h(server, section, fields)
    return title, fields


def info_text(server, args=()) -> str:
    parts = []
    for s in info_sections(args):
        title, fields = info_fields(server, s)
        lines = ["# " + title]
        lines.extend("%s:%s" % (k, v) for k, v in fields.items())
        parts.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(parts)


@command("info")
def info(c, argv):
    """INFO [section [section ...]]"""
    return Verbatim(info_text(c.server, argv[1:]).encode("utf-8", "replace"))


# ======================================================================================
# CONFIG
# ======================================================================================
def _is_local(c) -> bool:
    a = c.addr or ""
    return c.unix or a.startswith("127.") or a.startswith("::1") or a.startswith("embedded")


@command("config|get")
def config_get(c, argv):
    """CONFIG GET parameter [parameter ...]"""
    return Map(c.server.config.get(argv[2:]))


@command("config|set")
def config_set(c, argv):
    """CONFIG SET parameter value [parameter value ...]"""
    if len(argv) % 2:
        raise ReplyError(errors.wrong_arity("config|set"))
    pairs = [(argv[i], argv[i + 1]) for i in range(2, len(argv), 2)]
    c.server.config.set(pairs, local_client=_is_local(c))
    return "OK"


def reset_stats(server):
    server.stats.reset()
    for spec in cmdtable.iter_specs(server.command_specs):
        spec.calls = spec.failed_calls = spec.rejected_calls = spec.usec_ns = 0
        spec.lat_hist = {}
    server.mem_peak = 0
    for h in server.subsystems.get("resetstat", ()):
        h(server)


@command("config|resetstat")
def config_resetstat(c, argv):
    """CONFIG RESETSTAT"""
    reset_stats(c.server)
    return "OK"


@command("config|rewrite")
def config_rewrite(c, argv):
    """CONFIG REWRITE"""
    server = c.server
    extra = None
    hook = server.subsystems.get("config_rewrite_lines")
    if hook is not None:
        extra = hook(server)
    try:
        server.config.rewrite(extra_lines=extra)
    except ReplyError:
        raise
    except OSError as e:
        server.log.warning("CONFIG REWRITE failed: %s" % e.strerror)
        raise ReplyError("ERR Rewriting config file: %s" % e.strerror) from None
    server.log.notice("CONFIG REWRITE executed with success.")
    return "OK"


def help_reply(name, lines):
    """Redis' HELP shape: a header line, the given lines, then the HELP entry."""
    out = ["%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" % name]
    out.extend(lines)
    out.extend(["HELP", "    Print this help."])
    return out


@command("config|help")
def config_help(c, argv):
    """CONFIG HELP"""
    return help_reply("CONFIG", [
        "GET <pattern>",
        "    Reply with the parameters matching the glob-style <pattern>, with their values.",
        "SET <directive> <value>",
        "    Change the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Clear the statistics INFO reports.",
        "REWRITE",
        "    Write the running configuration back to the config file.",
    ])


# ======================================================================================
# SHUTDOWN
# ======================================================================================
@command("shutdown")
def shutdown(c, argv):
    """SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]"""
    server = c.server
    save = None
    now = force = abort = False
    for a in argv[1:]:
        u = a.upper()
        if u == b"NOSAVE" and save is None:
            save = False
        elif u == b"SAVE" and save is None:
            save = True
        elif u == b"NOW":
            now = True
        elif u == b"FORCE":
            force = True
        elif u == b"ABORT":
            abort = True
        else:
            raise ReplyError(errors.SYNTAX)
    if abort:
        if save is not None or now or force:
            raise ReplyError(errors.SYNTAX)
        if server.shutdown_requested is None:
            raise ReplyError("ERR No shutdown in progress.")
        server.shutdown_requested = None
        return "OK"
    busy = server.busy_script
    if busy is not None:
        # another client while a script is past busy-reply-threshold: only NOSAVE goes
        if save is not False:
            raise ReplyError(busy.busy_error())
    elif c.multi is not None or server.in_exec:
        raise ReplyError("ERR Command not allowed inside a transaction")
    check = server.subsystems.get("shutdown_check")
    if check is not None:
        err = check(server, {"save": save, "now": now, "force": force})
        if err and not force:
            raise ReplyError(err)
    server.shutdown_requested = {"save": save, "now": now, "force": force, "client": c.id}
    net = getattr(server, "network", None)
    if net is not None and net.stop_event is not None:
        net.stop_event.set()
    return NO_REPLY


# ======================================================================================
# DEBUG
# ======================================================================================
DEBUG_REFUSED = ("ERR DEBUG command not allowed. If the enable-debug-command option is set to "
                 "\"local\", you can run it from a local connection, otherwise you need to set "
                 "this option in the configuration file, and then restart the server.")


def _debug_allowed(c) -> bool:
    v = c.server.config.enable_debug_command
    if v in ("yes", True):
        return True
    if v == "local":
        return _is_local(c)
    return False


def _sdsrepr(b: bytes) -> str:
    out = ['"']
    for ch in bytes(b):
        if ch == 0x5c:
            out.append("\\\\")
        elif ch == 0x22:
            out.append('\\"')
        elif ch == 10:
            out.append("\\n")
        elif ch == 13:
            out.append("\\r")
        elif ch == 9:
            out.append("\\t")
        elif ch == 7:
            out.append("\\a")
        elif ch == 8:
            out.append("\\b")
        elif 32 <= ch < 127:
            out.append(chr(ch))
        else:
            out.append("\\x%02x" % ch)
    out.append('"')
    return "".join(out)


def value_digest(key, value, expire) -> bytes:
    """A 20-byte digest of one key's value (ember's own scheme, stable across runs)."""
    h = hashlib.sha1()
    h.update(type_name(value).encode())
    h.update(b"\0")
    h.update(_value_bytes(value))
    if expire is not None:
        h.update(b"!expire:%d" % expire)
    return h.digest()


def _value_bytes(value) -> bytes:
    if type(value) in (bytes, bytearray):
        return bytes(value)
    try:
        from ..persistence.rdb import dump_value
        return dump_value(type_name(value), value)
    except Exception:
        return repr(value).encode("utf-8", "replace")


def dataset_digest(server) -> str:
    acc = bytearray(20)
    any_key = False
    for db in server.dbs:
        for key, value in db.data.items():
            any_key = True
            d = hashlib.sha1(b"%d\0" % db.id + key + b"\0" + value_digest(key, value, db.expires.get(key))).digest()
            for i in range(20):
                acc[i] ^= d[i]
    return bytes(acc).hex() if any_key else "0" * 40


def _debug_protocol(c, kind):
    if kind == b"string":
        return b"Hello World"
    if kind == b"integer":
        return 12345
    if kind == b"double":
        return 3.141
    if kind == b"bignum":
        return BigNumber("1234567999999999999999999999999999999")
    if kind == b"null":
        return None
    if kind == b"array":
        return [0, 1, 2]
    if kind == b"set":
        return SetReply([0, 1, 2])
    if kind == b"map":
        return Map([(0, FALSE), (1, TRUE), (2, FALSE)])
    if kind == b"attrib":
        if c.resp3:
            attr = b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
            return _Concat(attr, b"Some real reply following the attribute")
        return b"Some real reply following the attribute"
    if kind == b"push":
        if not c.resp3:
            raise ReplyError("ERR RESP2 is not supported by this command")
        c.send(b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n")
        return b"Some real reply following the push reply"
    if kind == b"verbatim":
        return Verbatim(b"This is a verbatim\nstring")
    if kind == b"true":
        return TRUE
    if kind == b"false":
        return FALSE
    raise ReplyError("ERR Wrong protocol type name. Please use one of the following: "
                     "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")


def _Concat(prefix, bulk):
    return Raw(prefix + b"$%d\r\n%s\r\n" % (len(bulk), bulk))


def _debug_object(c, key):
    from .generic import encoding_of
    db = c.db
    v = db.data.get(key)
    if v is None:
        raise ReplyError(errors.NO_SUCH_KEY)
    enc = encoding_of(c, v)
    ser = len(_value_bytes(v))
    idle = max(0, (c.server.now_ms - db.atime.get(key, c.server.now_ms)) // 1000)
    lru = (c.server.now_ms // 1000) & ((1 << 24) - 1)
    return ("Value at:0x%x refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d"
            % (id(v), enc, ser, lru, idle))


DEBUG_HELP = [
    "CHANGE-REPL-ID",
    "    Give the replication stream a fresh replication id.",
    "DIGEST",
    "    Reply with a digest of the whole dataset (zeros when it is empty).",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Reply with one digest per key, computed from its value only.",
    "JMAP",
    "    Accepted for compatibility; does nothing in ember.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level facts about the value stored at <key>.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named <prefix>:<num> (default prefix \"key\"), whose",
    "    values are \"value:<num>\" or, with <size>, padded/cut to <size> bytes.",
    "PROTOCOL <type>",
    "    Reply with a sample of the given RESP type: string, integer, double, bignum,",
    "    null, array, set, map, attrib, push, verbatim, true or false.",
    "RELOAD",
    "    Save the dataset and load it back (needs persistence).",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Turn the active expiry cycle off or on; lazy expiry always runs.",
    "SLEEP <seconds>",
    "    Block the server for <seconds> (may be fractional).",
]


@command("debug")
def debug(c, argv):
    """DEBUG subcommand [arg ...]"""
    if not _debug_allowed(c):
        raise ReplyError(DEBUG_REFUSED)
    server = c.server
    sub = argv[1].upper()
    n = len(argv)
    if sub == b"HELP" and n == 2:
        return help_reply("DEBUG", DEBUG_HELP)
    if sub == b"SLEEP" and n == 3:
        try:
            secs = float(argv[2])   # Redis uses strtod: junk reads as 0
        except ValueError:
            secs = 0.0
        if secs > 0 and secs == secs:
            time.sleep(secs)
        return "OK"
    if sub == b"OBJECT" and n == 3:
        return _debug_object(c, argv[2])
    if sub == b"SET-ACTIVE-EXPIRE" and n == 3:
        server.active_expire_enabled = bool(parse_int(argv[2]))
        return "OK"
    if sub == b"PROTOCOL" and n == 3:
        return _debug_protocol(c, argv[2].lower())
    if sub == b"DIGEST" and n == 2:
        return dataset_digest(server)
    if sub == b"DIGEST-VALUE" and n >= 2:
        out = []
        for key in argv[2:]:
            v = c.db.data.get(key)
            out.append(("0" * 40 if v is None else value_digest(key, v, None).hex()).encode())
        return out
    if sub == b"CHANGE-REPL-ID" and n == 2:
        hook = server.subsystems.get("change_repl_id")
        if hook is not None:
            hook(server)
        else:
            server.replid = os.urandom(20).hex()
        return "OK"
    if sub == b"JMAP" and n == 2:
        return "OK"
    if sub == b"LOG" and n == 3:
        server.log.warning("DEBUG LOG: %s" % argv[2].decode("utf-8", "replace"))
        return "OK"
    if sub == b"POPULATE" and 3 <= n <= 5:
        out_of_range = "ERR value is out of range, must be positive"
        count = parse_int(argv[2], out_of_range)
        if count < 0:
            raise ReplyError(out_of_range)
        prefix = argv[3] if n >= 4 else b"key"
        size = None
        if n == 5:
            size = parse_int(argv[4], out_of_range)
            if size < 0:
                raise ReplyError(out_of_range)
        db = c.db
        for i in range(count):
            key = b"%s:%d" % (prefix, i)
            if db.lookup(key) is not None:
                continue
            val = b"value:%d" % i
            if size is not None:
                val = val[:size] if len(val) >= size else val + b"\0" * (size - len(val))
            db.add(key, val)
        server.dirty += count
        return "OK"
    if sub == b"RELOAD":
        hook = server.subsystems.get("debug_reload")
        if hook is not None:
            return hook(c, argv)
        raise ReplyError("ERR DEBUG RELOAD is not available yet: ember has no persistence layer wired in")
    if sub == b"QUICKLIST-PACKED-THRESHOLD" or sub == b"LISTPACK" or sub == b"QUICKLIST":
        raise ReplyError("ERR DEBUG %s is not supported by ember" % sub.decode())
    raise ReplyError("ERR unknown subcommand '%s'. Try DEBUG HELP." % argv[1].decode("utf-8", "replace")[:128])


# ======================================================================================
# SLOWLOG
# ======================================================================================
@command("slowlog|get")
def slowlog_get(c, argv):
    """SLOWLOG GET [count]"""
    count = 10
    if len(argv) == 3:
        try:
            count = parse_int(argv[2])
        except ReplyError:
            raise ReplyError("ERR count should be greater than or equal to -1") from None
        if count < -1:
            raise ReplyError("ERR count should be greater than or equal to -1")
        if count == -1:
            count = len(c.server.slowlog.entries)
    elif len(argv) > 3:
        raise ReplyError(errors.wrong_arity("slowlog|get"))
    out = []
    for i, (eid, ts, dur, args, addr, name) in enumerate(c.server.slowlog.entries):
        if i >= count:
            break
        out.append([eid, ts, dur, list(args), addr, name])
    return out


@command("slowlog|len")
def slowlog_len(c, argv):
    """SLOWLOG LEN"""
    return len(c.server.slowlog.entries)


@command("slowlog|reset")
def slowlog_reset(c, argv):
    """SLOWLOG RESET"""
    c.server.slowlog.entries.clear()
    return "OK"


@command("slowlog|help")
def slowlog_help(c, argv):
    """SLOWLOG HELP"""
    return help_reply("SLOWLOG", [
        "GET [<count>]",
        "    Reply with the <count> newest slow log entries (default 10, -1 for all).",
        "    Each entry holds: id, unix timestamp, duration in microseconds, the",
        "    command's arguments, the client's address and the client's name.",
        "LEN",
        "    Reply with the number of entries in the slow log.",
        "RESET",
        "    Empty the slow log.",
    ])


# ======================================================================================
# MONITOR
# ======================================================================================
def feed_monitors(server, c, argv, now_ms):
    from .dispatch import lookup
    spec, _ = lookup(server, argv)
    if spec is not None and (spec.skip_monitor or spec.admin):
        return
    t = time.time()
    if c.unix:
        origin = "unix:%s" % (server.config.unixsocket or "")
    elif server.in_script:
        origin = "lua"
    else:
        origin = c.addr
    line = "+%.6f [%d %s] %s\r\n" % (t, c.db.id, origin, " ".join(_sdsrepr(a) for a in argv))
    data = line.encode("utf-8", "replace")
    for m in list(server.monitors):
        if m is not c:
            m.send(data)


@command("monitor")
def monitor(c, argv):
    """MONITOR"""
    server = c.server
    if c.is_monitor:
        return "OK"
    if c.multi is not None:
        raise ReplyError("ERR MONITOR isn't allowed for DEBUG_SCRIPT or inside MULTI")
    c.is_monitor = True
    server.monitors.append(c)
    return "OK"


# ======================================================================================
# LOLWUT
# ======================================================================================
@command("lolwut")
def lolwut(c, argv):
    """LOLWUT [VERSION version]"""
    r = ArgReader(argv)
    while r.has_more():
        if r.match(b"VERSION"):
            r.next_int()
        else:
            r.next()
    return Verbatim(("Redis ver. %s\n" % c.server.redis_version).encode())


# ======================================================================================
# MEMORY
# ======================================================================================
def estimate_size(value, samples=5) -> int:
    """A rough byte count of a value, in the spirit of Redis' objectComputeSize: a fixed
    header, a per-element overhead, and element sizes extrapolated from ``samples`` of them
    (0 = look at every element)."""
    t = type(value)
    if t is bytes or t is bytearray:
        n = len(value)
        return 16 + (n if n > 20 else 8) + (8 if n > 44 else 0)
    total = 48
    try:
        length = len(value)
        it = iter(value)
    except TypeError:
        return total
    total += 16 * length
    sampled = acc = 0
    try:
        for x in it:
            if samples and sampled >= samples:
                break
            acc += len(x) if isinstance(x, (bytes, bytearray)) else 16
            sampled += 1
    except Exception:
        pass
    if sampled:
        total += acc * length // sampled
    return total


@command("memory|usage")
def memory_usage(c, argv):
    """MEMORY USAGE key [SAMPLES count]"""
    r = ArgReader(argv, 3)
    samples = 5
    while r.has_more():
        if r.match(b"SAMPLES"):
            samples = r.next_int()
            if samples < 0:
                raise ReplyError(errors.SYNTAX)
        else:
            raise ReplyError(errors.SYNTAX)
    key = argv[2]
    db = c.db
    if db.expires:
        db.lookup(key)                  # lazy expiry only: MEMORY USAGE does not touch
    v = db.data.get(key)
    if v is None:
        return None
    from ..keyspace.eviction import key_size
    return key_size(key, v, samples)


@command("memory|doctor")
def memory_doctor(c, argv):
    """MEMORY DOCTOR"""
    used = used_memory(c.server)
    if used < 5 * 1024 * 1024 or not any(db.data for db in c.server.dbs):
        txt = ("Hi Sam, there is hardly any data in this instance, so there is nothing for me to "
               "diagnose yet. Put some keys in and ask again.")
    else:
        txt = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."
    return Verbatim(txt.encode())


@command("memory|stats")
def memory_stats(c, argv):
    """MEMORY STATS"""
    server = c.server
    used = used_memory(server)
    startup = getattr(server, "mem_startup", None) or used
    keys = sum(len(db.data) for db in server.dbs)
    dataset = max(0, used - startup)
    items = [
        (b"peak.allocated", max(server.mem_peak, used)),
        (b"total.allocated", used),
        (b"startup.allocated", startup),
        (b"replication.backlog", 0),
        (b"clients.slaves", 0),
        (b"clients.normal", 0),
        (b"cluster.links", 0),
        (b"aof.buffer", 0),
        (b"lua.caches", 0),
        (b"functions.caches", 0),
    ]
    for db in server.dbs:
        if db.data or db.expires:
            items.append((b"db.%d" % db.id, Map([
                (b"overhead.hashtable.main", 72 + 8 * len(db.data)),
                (b"overhead.hashtable.expires", 56 + 8 * len(db.expires)),
                (b"overhead.hashtable.slot-to-keys", 0),
            ])))
    items += [
        (b"overhead.total", startup),
        (b"keys.count", keys),
        (b"keys.bytes-per-key", (dataset // keys) if keys else 0),
        (b"dataset.bytes", dataset),
        (b"dataset.percentage", (dataset * 100.0 / used) if used else 0.0),
        (b"peak.percentage", (used * 100.0 / max(server.mem_peak, used)) if used else 0.0),
        (b"allocator.allocated", used),
        (b"allocator.active", used),
        (b"allocator.resident", used),
        (b"allocator-fragmentation.ratio", 1.0),
        (b"allocator-fragmentation.bytes", 0),
        (b"allocator-rss.ratio", 1.0),
        (b"allocator-rss.bytes", 0),
        (b"rss-overhead.ratio", 1.0),
        (b"rss-overhead.bytes", 0),
        (b"fragmentation", 1.0),
        (b"fragmentation.bytes", 0),
    ]
    return Map(items)


@command("memory|malloc-stats")
def memory_malloc_stats(c, argv):
    """MEMORY MALLOC-STATS"""
    return b"Stats not supported for the current allocator"


@command("memory|purge")
def memory_purge(c, argv):
    """MEMORY PURGE: a full collection of CPython's cyclic garbage (the only one the
    server takes, see server/gcpolicy.py), then freed heap pages back to the OS."""
    from ..server.app import release_free_memory
    from ..server.gcpolicy import full_collect
    full_collect()
    release_free_memory()
    return "OK"


@command("memory|help")
def memory_help(c, argv):
    """MEMORY HELP"""
    return help_reply("MEMORY", [
        "DOCTOR",
        "    Reply with a report on possible memory problems.",
        "MALLOC-STATS",
        "    Reply with the memory allocator's own statistics.",
        "PURGE",
        "    Ask the allocator to give unused memory back.",
        "STATS",
        "    Reply with facts about the server's memory usage.",
        "USAGE <key> [SAMPLES <count>]",
        "    Reply with the bytes <key> and its value use. Nested values are sampled",
        "    <count> times (default: 5, 0 means sample all).",
    ])


# ======================================================================================
# LATENCY (server/latency.py keeps the monitor's events and the per-command histograms)
# ======================================================================================
def _event_name(arg):
    return arg.decode("utf-8", "replace").lower()


@command("latency|doctor")
def latency_doctor(c, argv):
    """LATENCY DOCTOR"""
    server = c.server
    return Verbatim(server.latency.doctor(server.latency_threshold_ms).encode())


@command("latency|latest")
def latency_latest(c, argv):
    """LATENCY LATEST"""
    return c.server.latency.latest()


@command("latency|history")
def latency_history(c, argv):
    """LATENCY HISTORY event"""
    return c.server.latency.history(_event_name(argv[2]))


@command("latency|reset")
def latency_reset(c, argv):
    """LATENCY RESET [event ...]"""
    mon = c.server.latency
    if len(argv) == 2:
        return mon.reset()
    return mon.reset([_event_name(a) for a in argv[2:]])


@command("latency|graph")
def latency_graph(c, argv):
    """LATENCY GRAPH event"""
    g = c.server.latency.graph(_event_name(argv[2]))
    if g is None:
        raise ReplyError("ERR No samples available for event '%s'" % argv[2].decode("utf-8", "replace"))
    return Verbatim(g)


def _histogram_entry(spec):
    return Map([(b"calls", spec.calls),
                (b"histogram_usec", Map(latency.log_buckets(spec.lat_hist)))])


@command("latency|histogram")
def latency_histogram(c, argv):
    """LATENCY HISTOGRAM [command ...]"""
    server = c.server
    out = []
    if not server.latency_tracking:
        return Map(out)
    if len(argv) == 2:
        specs = [s for s in cmdtable.iter_specs(server.command_specs) if s.lat_hist]
    else:
        specs = []
        for name in argv[2:]:
            s = server.command_specs.get(name.decode("utf-8", "replace").lower())
            if s is None and b"|" in name:
                top, sub = name.lower().split(b"|", 1)
                p = server.command_specs.get(top.decode("utf-8", "replace"))
                s = p.subcommands.get(sub) if p is not None else None
            if s is not None and s.lat_hist and s not in specs:
                specs.append(s)
    for s in specs:
        out.append((s.name.encode(), _histogram_entry(s)))
    return Map(out)


@command("latency|help")
def latency_help(c, argv):
    """LATENCY HELP"""
    return help_reply("LATENCY", [
        "DOCTOR",
        "    Reply with a readable analysis of the latency events seen.",
        "GRAPH <event>",
        "    Reply with an ASCII graph of the latency of <event>.",
        "HISTORY <event>",
        "    Reply with the (time, latency) samples kept for <event>.",
        "LATEST",
        "    Reply with the newest sample of every event.",
        "RESET [<event> ...]",
        "    Forget the samples of the given events (all events when none is given).",
        "HISTOGRAM [COMMAND ...]",
        "    Reply with the cumulative latency distribution of the given commands",
        "    (of every command when none is given).",
    ])


# ======================================================================================
# COMMAND
# ======================================================================================
def _visible_specs(server):
    return [s for s in server.command_specs.values()]


@command("command")
def command_(c, argv):
    """COMMAND"""
    if len(argv) > 1:
        raise ReplyError(errors.unknown_subcommand("command", argv[1]))
    return [cmdtable.command_info_reply(s) for s in _visible_specs(c.server)]


@command("command|count")
def command_count(c, argv):
    """COMMAND COUNT"""
    return len(c.server.command_specs)


def _find_spec(server, name: bytes):
    n = name.decode("utf-8", "replace").lower()
    s = server.command_specs.get(n)
    if s is None and "|" in n:
        top, sub = n.split("|", 1)
        p = server.command_specs.get(top)
        if p is not None:
            s = p.subcommands.get(sub.encode())
    return s


@command("command|info")
def command_info(c, argv):
    """COMMAND INFO [command-name ...]"""
    server = c.server
    if len(argv) == 2:
        return [cmdtable.command_info_reply(s) for s in _visible_specs(server)]
    out = []
    for name in argv[2:]:
        s = _find_spec(server, name)
        out.append(cmdtable.command_info_reply(s) if s is not None else None)
    return out


@command("command|docs")
def command_docs(c, argv):
    """COMMAND DOCS [command-name ...]"""
    server = c.server
    if len(argv) == 2:
        return Map([cmdtable.command_docs_reply(s) for s in _visible_specs(server)])
    out = []
    for name in argv[2:]:
        s = _find_spec(server, name)
        if s is not None:
            out.append(cmdtable.command_docs_reply(s))
    return Map(out)


@command("command|list")
def command_list(c, argv):
    """COMMAND LIST [FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]"""
    server = c.server
    specs = list(cmdtable.iter_specs(server.command_specs))
    if len(argv) == 2:
        return [s.name.encode() for s in specs]
    if len(argv) != 5 or argv[2].upper() != b"FILTERBY":
        raise ReplyError(errors.SYNTAX)
    kind = argv[3].upper()
    val = argv[4]
    if kind == b"MODULE":
        return []
    if kind == b"ACLCAT":
        cat = val.decode("utf-8", "replace").lower()
        return [s.name.encode() for s in specs
                if cat in (a.lstrip("@").lower() for a in s.acl_categories)]
    if kind == b"PATTERN":
        m = glob_compile(val, nocase=True)
        return [s.name.encode() for s in specs if m(s.name.encode())]
    raise ReplyError(errors.SYNTAX)


@command("command|getkeys")
def command_getkeys(c, argv):
    """COMMAND GETKEYS command [arg ...]"""
    return cmdtable.getkeys_reply(c.server.command_specs, argv[2:], with_flags=False)


@command("command|getkeysandflags")
def command_getkeysandflags(c, argv):
    """COMMAND GETKEYSANDFLAGS command [arg ...]"""
    return cmdtable.getkeys_reply(c.server.command_specs, argv[2:], with_flags=True)


@command("command|help")
def command_help(c, argv):
    """COMMAND HELP"""
    return help_reply("COMMAND", [
        "(no subcommand)",
        "    Reply with the details of every command of this server.",
        "COUNT",
        "    Reply with the number of commands of this server.",
        "LIST",
        "    Reply with the names of all commands of this server.",
        "INFO [<command-name> ...]",
        "    Reply with the details of the named commands.",
        "    With no names, the details of every command are returned.",
        "DOCS [<command-name> ...]",
        "    Reply with the documentation of the named commands.",
        "    With no names, the documentation of every command is returned.",
        "GETKEYS <full-command>",
        "    Reply with the keys found in a full command line.",
        "GETKEYSANDFLAGS <full-command>",
        "    Reply with the keys found in a full command line and their access flags.",
    ])

