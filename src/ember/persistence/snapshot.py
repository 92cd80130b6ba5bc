"""RDB snapshots of a running Server: SAVE, BGSAVE (fork), the ``save`` schedule, loading at
start-up, save on shutdown, DEBUG RELOAD and the INFO persistence fields.

``install(server)`` creates one ``Snapshotter`` and wires it in:
- ``subsystems["snapshot"]``      the object (commands/dump.py's SAVE/BGSAVE use it);
- ``subsystems["info"]``          fills the rdb_* fields of INFO persistence;
- ``subsystems["debug_reload"]``  DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE];
- ``subsystems["flush"]``         FLUSHALL kills a saving child and saves when save points exist;
- ``subsystems["shutdown_check"]``/``["shutdown"]``  the final save (SHUTDOWN [SAVE|NOSAVE],
  SIGTERM/SIGINT);
- ``subsystems["functions_rdb"]`` the list of FUNCTION library codes read from the last RDB
  (and written back on save: a scripting engine may replace the list or provide
  ``subsystems["functions_dump"]`` returning the codes to save);
- the cron: ``server.cron`` is wrapped so each tick reaps a finished child (``waitpid``
  WNOHANG) and starts a BGSAVE when a ``save <seconds> <changes>`` point is due.

Invariants:
- at most one saving child; the child writes ``temp-<pid>.rdb`` in ``dir`` and renames it over
  ``dbfilename`` only when complete (fsynced), so a child killed mid-way leaves the previous
  dump intact; the parent removes the temp file of a child that failed;
- the child never returns into the event loop: it resets the signal wakeup fd and handlers
  (a signal to the child must not wake the parent's loop through the shared socket) and ends
  with ``os._exit``;
- ``server.dirty`` counts changes since the last successful save; after a BGSAVE only the
  changes made while the child ran remain;
- a failed BGSAVE with ``stop-writes-on-bgsave-error yes`` and save points configured sets
  ``server.write_blocked_reason`` to Redis' MISCONF error until a save succeeds.
"""

import gc
import os
import signal
import time
from itertools import islice

from ..server import gcpolicy
from .child import ForkedJob

from .. import REDIS_VERSION
from ..commands.hashes import field_expiry
from . import convert
from .fileio import atomic_write
from .rdb import (
    Aux, Function, HashTTLValue, KeyEntry, NeedsNewerVersion, RdbError, RdbWriter, RDB_VERSION,
    RDB_VERSION_HFE, KeyRun, enc_string, load_rdb,
)

MISCONF = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           "persist to disk. Commands that may modify the data set are disabled, because this "
           "instance is configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details "
           "about the RDB error.")
RETRY_DELAY = 5          # seconds between BGSAVE attempts after a failure (Redis' value)
AUX_REDIS_VER = "7.2.4"  # what a Redis 7.2 server writes


def install(server):
    snap = server.subsystems.get("snapshot")
    if snap is not None:
        return snap
    snap = Snapshotter(server)
    subs = server.subsystems
    subs["snapshot"] = snap
    subs.setdefault("info", []).append(snap.info_hook)
    subs["debug_reload"] = snap.debug_reload
    subs.setdefault("flush", []).append(snap.flush_hook)
    subs.setdefault("shutdown", []).append(snap.shutdown_hook)
    subs.setdefault("functions_rdb", [])
    prev_check = subs.get("shutdown_check")

    def shutdown_check(server, opts):
        if prev_check is not None:
            err = prev_check(server, opts)
            if err:
                return err
        return snap.shutdown_check(opts)
    subs["shutdown_check"] = shutdown_check
    orig_cron = server.cron

    def cron():
        orig_cron()
        snap.cron()
    server.cron = cron
    return snap


class Snapshotter(ForkedJob):
    def __init__(self, server):
        self.server = server
        self.child_pid = None
        self.child_start = 0.0        # monotonic
        self.child_keys = 0
        self.dirty_before = 0
        self.last_ok = True
        self.last_bgsave_time = -1
        self.last_try = 0.0           # wall time of the last BGSAVE attempt
        self.scheduled = False
        self.saves = 0
        self.keys_loaded = 0
        self.keys_expired = 0
        self.shutdown_saved = False

    # ---- paths & writing ------------------------------------------------------------------
    def directory(self):
        return self.server.config.dir or os.getcwd()

    def path(self):
        return os.path.join(self.directory(), self.server.config.dbfilename)

    def _aux(self):
        server = self.server
        used = 0
        try:
            with open("/proc/self/statm") as f:
                used = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
        return [("redis-ver", AUX_REDIS_VER), ("redis-bits", "64"),
                ("ctime", str(int(time.time()))), ("used-mem", str(used)),
                ("aof-base", "0")]

    def _functions(self):
        hook = self.server.subsystems.get("functions_dump")
        if hook is not None:
            return list(hook(self.server))
        return list(self.server.subsystems.get("functions_rdb") or ())

    def write(self, path):
        """Write the whole dataset to ``path`` through a temp file in the same directory,
        fsync, rename.  Raises OSError on failure (the temp file is removed).  The file is
        RDB 10 unless a hash has field TTLs (RDB 12)."""
        version = RDB_VERSION_HFE if self._field_ttls_tracked() else RDB_VERSION
        tmp = os.path.join(os.path.dirname(os.path.abspath(path)), "temp-%d.rdb" % os.getpid())
        try:
            atomic_write(path, lambda fp: self._dump(fp, version), tmp)
        except NeedsNewerVersion:     # a hash with field TTLs the guess above missed
            atomic_write(path, lambda fp: self._dump(fp, RDB_VERSION_HFE), tmp)

    def _field_ttls_tracked(self):
        """Does a hash tracked by field expiry still have field TTLs?  (A hash with TTLs that
        is not tracked is caught by the writer: NeedsNewerVersion, and the save restarts.)"""
        fe = self.server.subsystems.get("hash_field_expiry")
        if fe is None:
            return False
        dbs = self.server.dbs
        for dbi, key in fe.tracked():
            h = dbs[dbi].data.get(key)
            if h is not None and getattr(h, "ttl", None):
                return True
        return False

    def _dump(self, fp, version):
        server = self.server
        cfg = server.config
        opts = convert.encoding_options(cfg)
        delay = getattr(cfg, "rdb_key_save_delay", 0) or 0
        w = RdbWriter(fp, checksum=bool(cfg.rdbchecksum), options=opts)
        w.header(version)
        for k, v in self._aux():
            w.aux(k, v)
        for code in self._functions():
            w.function(code)
        to_model = convert.to_model
        enc_key = w.encode_key
        es = enc_string
        comp = opts.compress
        for db in server.dbs:
            data = db.data
            if not data:
                continue
            expires = db.expires
            w.select_db(db.id)
            w.resize_db(len(data), len(expires))
            parts = []
            append = parts.append
            for key, value in list(data.items()) if delay else data.items():
                exp = expires.get(key) if expires else None
                if type(value) is bytes:
                    if exp is None:
                        append(b"\x00" + es(key, comp) + es(value, comp))
                    else:
                        append(enc_key("string", key, value, exp))
                else:
                    tname, model = to_model(value)
                    append(enc_key(tname, key, model, exp))
                if len(parts) >= 2048:
                    w.raw(b"".join(parts))
                    parts.clear()
                if delay:
                    time.sleep(delay / 1e6)
            w.raw(b"".join(parts))
        w.finish()

    # ---- SAVE -----------------------------------------------------------------------------
    def save(self) -> bool:
        """Synchronous save (SAVE, shutdown, FLUSHALL, DEBUG RELOAD)."""
        server = self.server
        try:
            self.write(self.path())
        except Exception as e:
            server.log.warning("Failed opening the temp RDB file temp-%d.rdb (in server root dir %s)"
                               " for saving: %s" % (os.getpid(), self.directory(), _strerror(e)))
            return False
        server.log.notice("DB saved on disk")
        server.dirty = 0
        server.lastsave = int(time.time())
        self.last_ok = True
        self.saves += 1
        self._refresh_block()
        return True

    def save_command(self, c):
        from ..protocol.replies import ReplyError
        if self.child_pid is not None:
            raise ReplyError("ERR Background save already in progress")
        if self.save():
            return "OK"
        raise ReplyError("ERR")

    # ---- BGSAVE ---------------------------------------------------------------------------
    def bgsave_command(self, c, schedule):
        from ..protocol.replies import ReplyError
        server = self.server
        if self.child_pid is not None:
            raise ReplyError("ERR Background save already in progress")
        other = server.subsystems.get("child_active")
        if (other is not None and other(server)) or server.in_exec:
            if schedule or server.in_exec:
                self.scheduled = True
                return "Background saving scheduled"
            raise ReplyError("ERR Another child process is active (AOF?): can't BGSAVE right now. "
                             "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
        if self.bgsave():
            return "Background saving started"
        raise ReplyError("ERR")

    def bgsave(self) -> bool:
        server = self.server
        self.last_try = time.time()
        self.dirty_before = server.dirty
        self.child_keys = sum(len(db.data) for db in server.dbs)
        path = self.path()
        unfreeze = gcpolicy.before_fork()   # the child's collector must not walk (and copy) every object
        t_fork = time.perf_counter()
        try:
            pid = os.fork()
        except OSError as e:
            gcpolicy.after_fork(unfreeze)
            self.last_ok = False
            server.log.warning("Can't save in background: fork: %s" % e.strerror)
            self._refresh_block()
            return False
        if pid == 0:
            self._child(path)   # never returns
        gcpolicy.after_fork(unfreeze)
        server.note_fork(time.perf_counter() - t_fork)
        self.child_pid = pid
        self.child_start = time.monotonic()
        self.scheduled = False
        server.log.notice("Background saving started by pid %d" % pid)
        return True

    def _child(self, path):
        code = 1
        try:
            log = self._enter_child()
            self.write(path)
            log.notice("DB saved on disk")
            log.notice("Fork CoW for RDB: current 0 MB, peak 0 MB, average 0 MB")
            code = 0
        except BaseException as e:  # noqa: BLE001 - the child must always _exit
            try:
                self.server.log.warning("Write error saving DB on disk: %s" % _strerror(e))
            except BaseException:
                pass
        finally:
            os._exit(code)

    def _remove_temp(self, pid):
        try:
            os.unlink(os.path.join(self.directory(), "temp-%d.rdb" % pid))
        except OSError:
            pass

    def reap(self, block=False):
        done = self._wait_child(block)
        if done is None:
            return
        pid, status = done
        server = self.server
        self.child_pid = None
        self.last_bgsave_time = int(time.monotonic() - self.child_start)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            server.log.notice("Background saving terminated with success")
            server.dirty -= self.dirty_before
            server.lastsave = int(time.time())
            self.last_ok = True
            self.saves += 1
        elif os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            server.log.warning("Background saving terminated by signal %d" % sig)
            self._remove_temp(pid)
            if sig != signal.SIGUSR1:
                self.last_ok = False
        else:
            server.log.warning("Background saving error")
            self._remove_temp(pid)
            self.last_ok = False
        self._refresh_block()

    def _refresh_block(self):
        server = self.server
        cfg = server.config
        blocked = (not self.last_ok and cfg.stop_writes_on_bgsave_error and bool(cfg.save))
        cur = server.write_blocked_reason
        if blocked and cur is None:
            server.write_blocked_reason = MISCONF
            server._refresh_gate()
        elif not blocked and cur == MISCONF:
            server.write_blocked_reason = None
            server._refresh_gate()

    # ---- cron -----------------------------------------------------------------------------
    def cron(self):
        if self.child_pid is not None:
            self.reap()
            return
        server = self.server
        now = time.time()
        may_retry = self.last_ok or now - self.last_try > RETRY_DELAY
        other = server.subsystems.get("child_active")
        if other is not None and other(server):
            return
        if self.scheduled and may_retry:
            self.bgsave()
            return
        points = server.config.save
        if not points or not may_retry:
            return
        dirty = server.dirty
        since = now - server.lastsave
        for secs, changes in points:
            if dirty >= changes and since > secs:
                server.log.notice("%d changes in %d seconds. Saving..." % (changes, secs))
                self.bgsave()
                break

    # ---- FLUSHALL / SHUTDOWN --------------------------------------------------------------
    def flush_hook(self, server, db):
        if db is not None:
            return
        self.kill_child()
        if server.config.save:
            self.save()
            server.dirty += 1

    def _final_save(self, save):
        """Returns False when a save was needed and failed."""
        server = self.server
        if self.child_pid is not None:
            server.log.warning("There is a child saving an .rdb. Killing it!")
            self.kill_child()
        if save is False or (save is None and not server.config.save):
            return True
        server.log.notice("Saving the final RDB snapshot before exiting.")
        if not self.save():
            server.log.warning("Error trying to save the DB, can't exit.")
            return False
        return True

    def shutdown_check(self, opts):
        if self._final_save(opts.get("save")):
            self.shutdown_saved = True
            return None
        if opts.get("force"):
            self.shutdown_saved = True
            return None
        return "ERR Errors trying to SHUTDOWN. Check logs."

    def shutdown_hook(self, server, req):
        if self.shutdown_saved:
            return
        self.shutdown_saved = True
        save = req.get("save") if req else None
        sig = req.get("signal") if req else None
        if sig:
            flags = getattr(server.config, "shutdown_on_" + sig.lower(), "default")
            flags = " ".join(flags) if isinstance(flags, (list, tuple)) else str(flags)
            if "nosave" in flags.split():
                save = False
            elif "save" in flags.split():
                save = True
        self._final_save(save)

    # ---- loading --------------------------------------------------------------------------
    def load(self, source, merge=False):
        """Load an RDB (path or bytes) into the server's databases.  Raises RdbError on
        corrupt or truncated data.  Returns (keys_loaded, keys_expired)."""
        server = self.server
        cfg = server.config
        log = server.log
        from_model = convert.from_model
        server.loading = True
        server._refresh_gate()
        loaded = expired = 0
        functions = []
        now = server.clock_ms()
        dbs = server.dbs
        db = dbs[0]
        # the values built here are not garbage: a collection every few hundred of them
        # would walk the growing heap again and again (a third of the load time)
        gc_was_enabled = gc.isenabled()
        gc.disable()
        # loading into empty plain dicts (start-up, DEBUG RELOAD): the access times of the
        # keys without an IDLE opcode (all of them, unless Redis saved LRU data) are written
        # at the end in one dict.fromkeys per db instead of one insert per key
        late_atime = not merge and all(type(d.atime) is dict and not d.atime and not d.data
                                       for d in dbs)
        try:
            data, atime, expires = db.data, db.atime, db.expires
            readonly_replica = server.is_readonly_replica()
            build = convert.builders(cfg)
            for ev in load_rdb(source, verify_checksum=bool(cfg.rdbchecksum), build=build):
                if type(ev) is KeyRun:
                    dbi, keys, values, exps = ev
                    if dbi != db.id:
                        db = self._load_db(dbi)
                        data, atime, expires = db.data, db.atime, db.expires
                    if type(data) is dict and not merge:
                        n = len(data)
                        data.update(zip(keys, values))
                        if len(data) - n != len(keys):
                            raise RdbError(0, "duplicate key in RDB", _repeated(data, n, keys))
                        if not late_atime:
                            atime.update(dict.fromkeys(keys, now))
                        loaded += len(keys)
                        for key, when in exps:
                            if when < now and not readonly_replica:
                                del data[key]
                                atime.pop(key, None)
                                expired += 1
                                loaded -= 1
                            else:
                                db.set_expire(key, when)
                        continue
                    whens = dict(exps)
                    for key, value in zip(keys, values):
                        when = whens.get(key) if whens else None
                        if when is not None and when < now and not readonly_replica:
                            expired += 1
                            continue
                        if key in data:
                            if not merge:
                                raise RdbError(0, "duplicate key in RDB", key)
                            expires.pop(key, None)
                        data[key] = value
                        if not late_atime:
                            atime[key] = now
                        if when is not None:
                            db.set_expire(key, when)
                        loaded += 1
                elif type(ev) is KeyEntry:
                    dbi, key, tname, value, exp, idle, _ = ev
                    if dbi != db.id:
                        db = self._load_db(dbi)
                        data, atime, expires = db.data, db.atime, db.expires
                    if exp is not None and exp < now and not readonly_replica:
                        expired += 1
                        continue
                    if tname != "string":
                        if type(value) is HashTTLValue:
                            value.drop_expired(now)
                        try:
                            value = from_model(tname, value, cfg)
                        except convert.UnknownType as e:
                            raise RdbError(0, str(e), key) from None
                        except ValueError as e:
                            raise RdbError(0, "bad value: %s" % e, key) from None
                        if not len(value):
                            continue      # Redis skips empty collections
                    if key in data:
                        if not merge:
                            raise RdbError(0, "duplicate key in RDB", key)
                        expires.pop(key, None)
                    data[key] = value
                    if idle is not None:
                        atime[key] = now - idle * 1000
                    elif not late_atime:
                        atime[key] = now
                    if exp is not None:
                        db.set_expire(key, exp)
                    if tname == "hash" and value.ttl:   # ("hash:flat": no field TTLs)
                        field_expiry(server).track(db, key, value)
                    loaded += 1
                elif type(ev) is Aux:
                    k = ev.key
                    if k == b"redis-ver":
                        log.notice("Loading RDB produced by version %s"
                                   % ev.value.decode("utf-8", "replace"))
                    elif k == b"ctime":
                        try:
                            age = int(time.time()) - int(ev.value)
                            log.notice("RDB age %d seconds" % max(age, 0))
                        except ValueError:
                            pass
                    elif k == b"used-mem":
                        try:
                            log.notice("RDB memory usage when created %.2f Mb"
                                       % (int(ev.value) / 1048576))
                        except ValueError:
                            pass
                elif type(ev) is Function:
                    functions.append(ev.code)
            if late_atime:
                for d in dbs:
                    if d.data:
                        at = dict.fromkeys(d.data, now)
                        at.update(d.atime)        # the keys loaded with an idle time
                        d.atime = at
        finally:
            if gc_was_enabled:
                # the loaded values are long-lived: move them out of the collector's
                # generations (else the first collections after the load walk all of them;
                # without server/gcpolicy, a BGSAVE's gc.unfreeze() hands them back to the
                # oldest generation)
                gc.freeze()
                gc.enable()
            server.loading = False
            server._refresh_gate()
        if functions or not merge:
            lst = server.subsystems.setdefault("functions_rdb", [])
            lst[:] = functions
            hook = server.subsystems.get("functions_load")
            if hook is not None:
                hook(server, functions)
        self.keys_loaded, self.keys_expired = loaded, expired
        log.notice("Done loading RDB, keys loaded: %d, keys expired: %d." % (loaded, expired))
        return loaded, expired

    def _load_db(self, dbi):
        dbs = self.server.dbs
        if dbi >= len(dbs):
            raise RdbError(0, "FATAL: Data file was created with a Redis server "
                              "configured to handle more than %d databases." % len(dbs))
        return dbs[dbi]

    def load_at_startup(self) -> bool:
        """Load ``dir/dbfilename`` if present.  False (after logging why) when the file exists
        but cannot be loaded: the caller must exit non-zero rather than start empty."""
        server = self.server
        other = server.subsystems.get("startup_load")
        if other is not None:      # e.g. the AOF loader when appendonly is on
            return other(server)
        path = self.path()
        if not os.path.exists(path):
            return True
        t0 = time.monotonic()
        try:
            self.load(path)
        except RdbError as e:
            server.log.warning("Internal error in RDB reading offset %d -> %s"
                               % (e.offset, e.message + ("" if e.key is None else
                                                         " (key %r)" % (e.key,))))
            server.log.warning("Fatal error loading the DB (%s): %s. Exiting." % (path, e))
            return False
        except OSError as e:
            server.log.warning("Fatal error loading the DB: %s. Exiting." % _strerror(e))
            return False
        server.log.notice("DB loaded from disk: %.3f seconds" % (time.monotonic() - t0))
        server.lastsave = int(time.time())
        server.dirty = 0
        return True

    # ---- DEBUG RELOAD ---------------------------------------------------------------------
    def debug_reload(self, c, argv):
        from ..protocol.replies import ReplyError
        server = self.server
        merge = noflush = nosave = False
        for a in argv[2:]:
            u = a.upper()
            if u == b"MERGE":
                merge = True
            elif u == b"NOFLUSH":
                noflush = True
            elif u == b"NOSAVE":
                nosave = True
            else:
                raise ReplyError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
        if not nosave:
            if self.child_pid is not None:
                self.kill_child()
            if not self.save():
                raise ReplyError("ERR")
        if not noflush:
            for db in server.dbs:
                db.clear()
        try:
            self.load(self.path(), merge=merge or noflush)
        except (RdbError, OSError) as e:
            server.log.warning("Error trying to load the RDB dump: %s" % e)
            raise ReplyError("ERR Error trying to load the RDB dump, check server logs.") from None
        server.log.notice("DB reloaded by DEBUG RELOAD")
        return "OK"

    # ---- INFO -----------------------------------------------------------------------------
    def info_hook(self, server, section, fields):
        if section != "persistence":
            return
        running = self.child_pid is not None
        fields["rdb_bgsave_in_progress"] = int(running)
        fields["rdb_last_bgsave_status"] = "ok" if self.last_ok else "err"
        fields["rdb_last_bgsave_time_sec"] = self.last_bgsave_time
        fields["rdb_current_bgsave_time_sec"] = (
            int(time.monotonic() - self.child_start) if running else -1)
        fields["rdb_saves"] = self.saves
        fields["rdb_last_load_keys_expired"] = self.keys_expired
        fields["rdb_last_load_keys_loaded"] = self.keys_loaded
        if running:
            fields["current_save_keys_total"] = self.child_keys


def _repeated(data, n, keys):
    """The first key of ``keys`` that did not add a new entry when ``data`` (``n`` entries
    before) was updated with them: repeated in ``keys`` or already in ``data``."""
    seen = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    added = set(islice(reversed(data), len(data) - n))
    return next(k for k in keys if k not in added)


def _strerror(e):
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return str(e)
