"""Append-only file: Redis 7's multi-part AOF (base + incremental files + manifest), the
write path (``appendfsync always|everysec|no``), BGREWRITEAOF, automatic rewrites, loading
at start-up (also a pre-7 single ``appendonly.aof``) and the INFO aof_* fields.

Layout in ``dir/appenddirname``::

    <appendfilename>.<n>.base.rdb   (or .base.aof with aof-use-rdb-preamble no)
    <appendfilename>.<n>.incr.aof   commands written since that file was opened
    <appendfilename>.manifest       "file <name> seq <n> type <b|i|h>" lines

``install(server)`` creates one ``Aof``; with ``appendonly yes`` it becomes the start-up
loader (``subsystems["startup_load"]``, consulted by the snapshot module).

Invariants:
- the manifest is only ever replaced atomically (temp file, fsync, rename, fsync dir), and it
  never names a file that does not exist yet;
- propagated commands are appended to the current incr file; with ``always`` the data is
  written and fsynced inside the propagate hook, i.e. before the reply of the command that
  produced it can be sent (inside MULTI/EXEC the sync happens once, at the EXEC);
- with ``everysec``/``no`` the buffer reaches the OS at the end of the event-loop turn (so a
  killed process loses nothing the OS had), fsync runs once a second (``everysec``);
- a rewrite opens a new incr file in the parent *before* forking, so every write made during
  the rewrite lands in a file that the new manifest keeps; the files replaced by the new base
  are deleted only after the new manifest is in place;
- while loading, commands run through dispatch with a private client and nothing is
  propagated (the propagate hook is only installed after loading).
"""

import asyncio
import os
import signal
import sys
import threading
import time

from ..server import gcpolicy
from .child import ForkedJob
from .fileio import atomic_write
from .rdb import HashTTLValue

_exit = os._exit     # the fatal AOF error exit (in-process tests replace it)
# write commands are refused with this (plus strerror) while the AOF cannot be written
AOF_MISCONF = "MISCONF Errors writing to the AOF file: "

BASE, INCR, HIST = "b", "i", "h"


class AofError(Exception):
    pass


class AofFormatError(AofError):
    """A command in an AOF is malformed at ``offset``."""

    def __init__(self, offset, msg="Bad file format"):
        super().__init__(msg)
        self.offset = offset


class AofTruncated(AofError):
    """The file ends in the middle of a command; ``offset`` is where the last complete
    command (outside an unfinished MULTI) ends."""

    def __init__(self, offset, multi=False):
        super().__init__("truncated")
        self.offset = offset
        self.multi = multi


# ---------------------------------------------------------------------------- encoding

def encode_command(argv) -> bytes:
    out = [b"*%d\r\n" % len(argv)]
    for a in argv:
        if type(a) is not bytes:
            a = a if isinstance(a, (bytearray, memoryview)) else str(a).encode()
            a = bytes(a)
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def parse_commands(buf, pos=0):
    """Yield ``(argv, start, end)`` for each command of an AOF (RESP multibulk; ``#``
    annotation lines are skipped).  Raises AofTruncated / AofFormatError."""
    n = len(buf)
    find = buf.find
    while pos < n:
        start = pos
        c = buf[pos:pos + 1]
        if c == b"#":
            e = find(b"\n", pos)
            if e < 0:
                raise AofTruncated(start)
            pos = e + 1
            continue
        if c != b"*":
            raise AofFormatError(start)
        e = find(b"\r\n", pos)
        if e < 0:
            raise AofTruncated(start)
        try:
            argc = int(buf[pos + 1:e])
        except ValueError:
            raise AofFormatError(start) from None
        if argc < 1:
            raise AofFormatError(start)
        pos = e + 2
        argv = []
        for _ in range(argc):
            if pos >= n:
                raise AofTruncated(start)
            if buf[pos:pos + 1] != b"$":
                raise AofFormatError(start)
            e = find(b"\r\n", pos)
            if e < 0:
                raise AofTruncated(start)
            try:
                blen = int(buf[pos + 1:e])
            except ValueError:
                raise AofFormatError(start) from None
            if blen < 0:
                raise AofFormatError(start)
            pos = e + 2
            if pos + blen + 2 > n:
                raise AofTruncated(start)
            argv.append(bytes(buf[pos:pos + blen]))
            if buf[pos + blen:pos + blen + 2] != b"\r\n":
                raise AofFormatError(start)
            pos += blen + 2
        yield argv, start, pos


def scan_valid(buf, pos=0):
    """Check an AOF body: returns ``(valid_up_to, problem)`` where problem is None,
    "truncated", "multi" (unfinished MULTI at the end) or "format"."""
    valid = pos
    multi_start = None
    try:
        for argv, start, end in parse_commands(buf, pos):
            name = argv[0].lower()
            if name == b"multi":
                multi_start = start
            elif name == b"exec":
                multi_start = None
            if multi_start is None:
                valid = end
    except AofTruncated:
        return (valid if multi_start is None else multi_start), "truncated"
    except AofFormatError as e:
        return (valid if multi_start is None else multi_start), "format"
    if multi_start is not None:
        return multi_start, "multi"
    return valid, None


# ---------------------------------------------------------------------------- manifest

class Manifest:
    def __init__(self):
        self.base = None       # (name, seq)
        self.incrs = []        # [(name, seq)]
        self.history = []      # [name]

    def copy(self):
        m = Manifest()
        m.base = self.base
        m.incrs = list(self.incrs)
        m.history = list(self.history)
        return m

    def encode(self) -> bytes:
        lines = []
        if self.base is not None:
            lines.append("file %s seq %d type b\n" % (_quote(self.base[0]), self.base[1]))
        for name in self.history:
            lines.append("file %s seq 0 type h\n" % _quote(name))
        for name, seq in self.incrs:
            lines.append("file %s seq %d type i\n" % (_quote(name), seq))
        return "".join(lines).encode()

    @classmethod
    def parse(cls, text: bytes):
        m = cls()
        for lineno, raw in enumerate(text.decode("utf-8", "replace").split("\n"), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            toks = _split(line)
            if toks is None or len(toks) % 2:
                raise AofError("Invalid AOF manifest file format")
            kv = {}
            for i in range(0, len(toks), 2):
                kv[toks[i]] = toks[i + 1]
            name, seq, typ = kv.get("file"), kv.get("seq"), kv.get("type")
            if not name or seq is None or typ not in (BASE, INCR, HIST) or "/" in name:
                raise AofError("Invalid AOF manifest file format")
            try:
                seq = int(seq)
            except ValueError:
                raise AofError("Invalid AOF manifest file format") from None
            if typ == BASE:
                if m.base is not None:
                    raise AofError("Found duplicate base file information")
                m.base = (name, seq)
            elif typ == INCR:
                if m.incrs and seq <= m.incrs[-1][1]:
                    raise AofError("Found a non-monotonic sequence number")
                m.incrs.append((name, seq))
            else:
                m.history.append(name)
        if m.base is None and not m.incrs:
            raise AofError("Found an empty AOF manifest")
        return m


def _quote(name):
    if any(ch in name for ch in " \t\"'\\"):
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return name


def _split(line):
    out = []
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] in " \t":
            i += 1
        if i >= n:
            break
        if line[i] == '"':
            i += 1
            cur = []
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n:
                    i += 1
                cur.append(line[i])
                i += 1
            if i >= n:
                return None
            i += 1
            out.append("".join(cur))
        else:
            j = i
            while j < n and line[j] not in " \t":
                j += 1
            out.append(line[i:j])
            i = j
    return out


def write_atomic(path, data: bytes):
    atomic_write(path, lambda f: f.write(data))


# ---------------------------------------------------------------------------- base as commands

def dataset_commands(server):
    """Yield RESP-encoded commands recreating the dataset (aof-use-rdb-preamble no)."""
    from . import convert
    now = int(time.time() * 1000)
    for db in server.dbs:
        if not db.data:
            continue
        yield encode_command([b"SELECT", b"%d" % db.id])
        expires = db.expires
        for key, value in db.data.items():
            exp = expires.get(key) if expires else None
            if exp is not None and exp < now:
                continue
            tname, model = convert.to_model(value)
            if type(model) is HashTTLValue and model.drop_expired(now) and not model.pairs:
                continue
            for argv in _value_commands(key, tname, model):
                yield encode_command(argv)
            if exp is not None:
                yield encode_command([b"PEXPIREAT", key, b"%d" % exp])


def _batches(key, cmd, items, size=64):
    for i in range(0, len(items), size):
        yield [cmd, key] + items[i:i + size]


def _value_commands(key, tname, m):
    if tname == "string":
        yield [b"SET", key, bytes(m)]
    elif tname == "list":
        yield from _batches(key, b"RPUSH", [bytes(x) for x in m])
    elif tname == "set":
        yield from _batches(key, b"SADD", [bytes(x) for x in m])
    elif tname == "hash":
        items = []
        for f, v in m.items():
            items += [bytes(f), bytes(v)]
        yield from _batches(key, b"HSET", items, 128)
        ttls = getattr(m, "ttls", None)
        if ttls:                       # field TTLs: one HPEXPIREAT per distinct expiry
            by_when = {}
            for f, when in ttls.items():
                by_when.setdefault(when, []).append(bytes(f))
            for when, fields in sorted(by_when.items()):
                for i in range(0, len(fields), 128):
                    part = fields[i:i + 128]
                    yield [b"HPEXPIREAT", key, b"%d" % when, b"FIELDS", b"%d" % len(part)] + part
    elif tname == "zset":
        items = []
        for member, score in m:
            s = float(score)
            items += [b"inf" if s == float("inf") else b"-inf" if s == float("-inf")
                      else repr(s).encode(), bytes(member)]
        yield from _batches(key, b"ZADD", items, 128)
    elif tname == "stream":
        yield from _stream_commands(key, m)
    else:
        raise AofError("cannot rewrite type %s" % tname)


def _sid(i):
    return b"%d-%d" % (i[0], i[1])


def _stream_commands(key, sv):
    if sv.entries:
        for ms, seq, fields in sv.entries:
            argv = [b"XADD", key, _sid((ms, seq))]
            for f, v in fields:
                argv += [bytes(f), bytes(v)]
            yield argv
    else:
        # an empty stream: create it, then drop the placeholder entry
        yield [b"XADD", key, b"MAXLEN", b"0", _sid(sv.last_id if sv.last_id != (0, 0) else (0, 1)),
               b"x", b"y"]
    yield [b"XSETID", key, _sid(sv.last_id), b"ENTRIESADDED", b"%d" % sv.entries_added,
           b"MAXDELETEDID", _sid(sv.max_deleted_id)]
    for g in sv.groups:
        yield [b"XGROUP", b"CREATE", key, bytes(g.name), _sid(g.last_id), b"ENTRIESREAD",
               b"%d" % g.entries_read]
        for cons in g.consumers:
            yield [b"XGROUP", b"CREATECONSUMER", key, bytes(g.name), bytes(cons.name)]
        for pid, p in g.pel.items():
            yield [b"XCLAIM", key, bytes(g.name), bytes(p.consumer), b"0", _sid(pid),
                   b"TIME", b"%d" % p.delivery_time, b"RETRYCOUNT", b"%d" % p.delivery_count,
                   b"JUSTID", b"FORCE"]


# ---------------------------------------------------------------------------- the subsystem

def install(server):
    aof = server.subsystems.get("aof")
    if aof is not None:
        return aof
    aof = Aof(server)
    subs = server.subsystems
    subs["aof"] = aof
    subs.setdefault("info", []).append(aof.info_hook)
    subs.setdefault("cron", []).append(aof.cron)
    subs.setdefault("shutdown", []).insert(0, aof.shutdown_hook)
    prev_child = subs.get("child_active")

    def child_active(srv):
        return aof.child_pid is not None or bool(prev_child and prev_child(srv))
    subs["child_active"] = child_active
    if server.config.appendonly:
        subs["startup_load"] = aof.startup_load
    server.config.on_change("appendonly", aof.on_config_appendonly)
    return aof


class Aof(ForkedJob):
    def __init__(self, server):
        self.server = server
        self.state = "off"            # off | on | wait_rewrite
        self.fd = None
        self.buf = []
        self.cur_db = -1
        self.last_ts = 0
        self.manifest = None
        self.flush_pending = False
        self.unsynced = False
        self.last_fsync = time.monotonic()
        self.fsync_thread = None
        self.child_pid = None
        self.child_start = 0.0
        self.child_base_seq = 0
        self.child_old = None         # manifest entries the new base replaces
        self.scheduled = False
        self.rewrites = 0
        self.rewrite_failures = 0
        self.last_rewrite_ok = True
        self.last_rewrite_time = -1
        self.last_write_ok = True
        self.base_size = 0
        self.current_size = 0
        self.last_retry = 0.0

    # ---- paths -----------------------------------------------------------------------
    def dirpath(self):
        cfg = self.server.config
        return os.path.join(cfg.dir or os.getcwd(), cfg.appenddirname)

    def fpath(self, name):
        return os.path.join(self.dirpath(), name)

    def manifest_name(self):
        return self.server.config.appendfilename + ".manifest"

    def persist_manifest(self, m=None):
        m = m or self.manifest
        write_atomic(self.fpath(self.manifest_name()), m.encode())

    def _incr_name(self, seq):
        return "%s.%d.incr.aof" % (self.server.config.appendfilename, seq)

    def _base_name(self, seq):
        ext = "rdb" if self.server.config.aof_use_rdb_preamble else "aof"
        return "%s.%d.base.%s" % (self.server.config.appendfilename, seq, ext)

    def _open_new_incr(self, why):
        m = self.manifest
        seq = (m.incrs[-1][1] if m.incrs else 0) + 1
        name = self._incr_name(seq)
        fd = os.open(self.fpath(name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
        self.server.log.notice("Creating AOF incr file %s on %s" % (name, why))
        m.incrs.append((name, seq))
        old = self.fd
        self.fd = fd
        self.cur_db = -1
        self.last_ts = 0
        if old is not None:
            os.close(old)
        return name

    # ---- the write path --------------------------------------------------------------
    def feed(self, dbid, argv):
        buf = self.buf
        cfg = self.server.config
        if cfg.aof_timestamp_enabled:
            t = int(time.time())
            if t > self.last_ts:
                self.last_ts = t
                buf.append(b"#TS:%d\r\n" % t)
        if dbid != self.cur_db:
            buf.append(b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%d\r\n" % (len(str(dbid)), dbid))
            self.cur_db = dbid
        buf.append(encode_command(argv))
        if cfg.appendfsync == "always":
            if not self.server.in_exec:
                # group commit: one write+fsync per event-loop turn, before any reply of
                # that turn is sent; without a network loop (embedded) sync right away
                net = getattr(self.server, "network", None)
                if net is None or not net.hold_replies(self._sync_always):
                    self.flush(True, fatal=True)
        elif not self.flush_pending:
            self.flush_pending = True
            try:
                asyncio.get_running_loop().call_soon(self._flush_soon)
            except RuntimeError:
                self.flush_pending = False
                self.flush(False)

    def _sync_always(self):
        if self.server.config.appendfsync == "always":
            self.flush(True, fatal=True)
        else:
            self.flush(False)

    def _flush_soon(self):
        self.flush_pending = False
        self.flush(False)

    def flush(self, sync, fatal=False):
        """Write the buffer (and fdatasync it when ``sync``).  ``fatal``: this write is what
        the replies of ``appendfsync always`` wait for; if it fails the process exits at once
        (status 1) without sending them, as Redis does: an acknowledged write must be on
        disk, and a later successful write could not make up for this one."""
        if self.fd is None:
            return
        if self.buf:
            data = b"".join(self.buf)
            try:
                view = memoryview(data)
                while view:
                    n = os.write(self.fd, view)
                    view = view[n:]
            except OSError as e:
                if self.last_write_ok or fatal:
                    self.server.log.warning("Error writing to the AOF file: %s" % e.strerror)
                if fatal:
                    self._exit_on_error("Can't recover from AOF write error when the AOF "
                                        "fsync policy is 'always'. Exiting...")
                self.last_write_ok = False
                self.buf = [bytes(view)] if len(view) else []
                self._deny_writes(e)
                return
            self.buf = []
            self.current_size += len(data)
            self.unsynced = True
            if not self.last_write_ok:
                self.server.log.warning("AOF write error looks solved, Redis can write again.")
                self._deny_writes(None)
            self.last_write_ok = True
        if sync and self.unsynced:
            try:
                os.fdatasync(self.fd)
            except OSError as e:
                if fatal:
                    self._exit_on_error("Can't persist append only file: %s, AOF fsync policy "
                                        "is 'always'. Exiting..." % e.strerror)
                self.server.log.warning("Can't persist append only file: %s" % e.strerror)
                self.last_write_ok = False
                self._deny_writes(e)
                return
            self.unsynced = False
            self.last_fsync = time.monotonic()
            if self.server.write_blocked_reason is not None:
                self._deny_writes(None)

    def _deny_writes(self, err):
        """While the AOF cannot be written (``err``), write commands get Redis' MISCONF
        error; a later successful write or fsync (``err`` None) lifts it."""
        server = self.server
        cur = server.write_blocked_reason
        if err is not None:
            if cur is None or cur.startswith(AOF_MISCONF):
                server.write_blocked_reason = AOF_MISCONF + (err.strerror or str(err))
                server._refresh_gate()
        elif cur is not None and cur.startswith(AOF_MISCONF):
            server.write_blocked_reason = None
            server._refresh_gate()

    def _exit_on_error(self, msg):
        self.server.log.warning(msg)
        _exit(1)

    def _background_fsync(self):
        t = self.fsync_thread
        if t is not None and t.is_alive():
            return
        fd = self.fd
        self.unsynced = False
        self.last_fsync = time.monotonic()

        def run():
            try:
                os.fdatasync(fd)
            except OSError:
                pass
        self.fsync_thread = threading.Thread(target=run, daemon=True)
        self.fsync_thread.start()

    def _wait_fsync_thread(self):
        t = self.fsync_thread
        if t is not None:
            t.join()
            self.fsync_thread = None

    def _enable_propagation(self):
        server = self.server
        if self.feed not in server.propagate_hooks:
            server.propagate_hooks.append(self.feed)
        server.propagating = True

    def _disable_propagation(self):
        server = self.server
        if self.feed in server.propagate_hooks:
            server.propagate_hooks.remove(self.feed)
        server.propagating = bool(server.propagate_hooks)

    # ---- start-up --------------------------------------------------------------------
    def startup_load(self, server) -> bool:
        log = server.log
        d = self.dirpath()
        cfg = server.config
        mpath = self.fpath(self.manifest_name())
        legacy = os.path.join(cfg.dir or os.getcwd(), cfg.appendfilename)
        t0 = time.monotonic()
        try:
            if os.path.exists(mpath):
                with open(mpath, "rb") as f:
                    self.manifest = Manifest.parse(f.read())
                if not self._load_files():
                    return False
                log.notice("DB loaded from append only file: %.3f seconds" % (time.monotonic() - t0))
            elif os.path.exists(legacy) and not os.path.isdir(legacy):
                # a pre-7 single file: load it, then upgrade it to a base in the directory
                os.makedirs(d, exist_ok=True)
                if not self._load_one(legacy, cfg.appendfilename, last=True):
                    return False
                log.notice("DB loaded from append only file: %.3f seconds" % (time.monotonic() - t0))
                m = Manifest()
                m.base = (cfg.appendfilename, 1)
                os.rename(legacy, self.fpath(cfg.appendfilename))
                self.manifest = m
                log.notice("Successfully migrated an old-style AOF into the AOF directory")
            else:
                os.makedirs(d, exist_ok=True)
                self.manifest = Manifest()
                name = self._base_name(1)
                log.notice("Creating AOF base file %s on server start" % name)
                self._write_base(self.fpath(name))
                self.manifest.base = (name, 1)
            m = self.manifest
            if m.incrs:
                name = m.incrs[-1][0]
                self.fd = os.open(self.fpath(name), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                log.notice("Opening AOF incr file %s on server start" % name)
            else:
                self._open_new_incr("server start")
                self.persist_manifest()
        except AofError as e:
            log.warning("%s. Exiting." % e if not str(e).startswith("Fatal") else str(e))
            return False
        except OSError as e:
            log.warning("Fatal error: can't open the append only file %s: %s"
                        % (d, e.strerror or e))
            return False
        self._update_sizes()
        self.state = "on"
        self._enable_propagation()
        server.dirty = 0
        return True

    def _update_sizes(self):
        m = self.manifest
        total = 0
        self.base_size = 0
        for name, kind in ([(m.base[0], BASE)] if m.base else []) + [(n, INCR) for n, _ in m.incrs]:
            try:
                sz = os.path.getsize(self.fpath(name))
            except OSError:
                sz = 0
            total += sz
            if kind == BASE:
                self.base_size = sz
        self.current_size = total

    def _load_files(self) -> bool:
        m = self.manifest
        files = ([(m.base[0], "base")] if m.base else []) + [(n, "incr") for n, _ in m.incrs]
        for i, (name, kind) in enumerate(files):
            path = self.fpath(name)
            if not os.path.exists(path):
                self.server.log.warning("The AOF file %s doesn't exist" % name)
                return False
            t0 = time.monotonic()
            if not self._load_one(path, name, last=(i == len(files) - 1)):
                return False
            self.server.log.notice("DB loaded from %s file %s: %.3f seconds"
                                   % (kind, name, time.monotonic() - t0))
        return True

    def _load_one(self, path, name, last) -> bool:
        """Replay one file (RDB base, AOF, or RDB preamble + AOF tail)."""
        server = self.server
        log = server.log
        cfg = server.config
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        if data[:5] == b"REDIS":
            from . import snapshot
            from .rdb import RdbError
            snap = snapshot.install(server)
            log.notice("Reading RDB base file on AOF loading...")
            try:
                snap.load(data)
                pos = len(data)
            except RdbError as e:
                if e.message == "trailing data after EOF":
                    pos = e.offset                     # RDB preamble + AOF tail
                    log.notice("Reading the remaining AOF tail...")
                else:
                    log.warning("Bad file format reading the append only file %s: %s" % (name, e))
                    return False
        if pos >= len(data):
            return True
        valid, problem = self._replay(data, pos)
        if problem is None:
            return True
        if problem == "format":
            log.warning("Bad file format reading the append only file %s: make a backup of your "
                        "AOF file, then use ./redis-check-aof --fix <filename.manifest>" % name)
            return False
        if problem == "multi":
            log.warning("Revert incomplete MULTI/EXEC transaction in AOF file %s" % name)
        if last and cfg.aof_load_truncated:
            log.warning("!!! Warning: short read while loading the AOF file %s!!!" % name)
            log.warning("!!! Truncating the AOF %s at offset %d !!!" % (name, valid))
            try:
                os.truncate(path, valid)
            except OSError as e:
                log.warning("Error truncating the AOF file %s: %s" % (name, e.strerror))
                return False
            log.warning("AOF %s loaded anyway because aof-load-truncated is enabled" % name)
            return True
        if not last:
            log.warning("Fatal error: the truncated file is not the last file")
            return False
        log.warning("Unexpected end of file reading the append only file %s. You can: 1) Make a "
                    "backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. "
                    "2) Alternatively you can set the 'aof-load-truncated' configuration option to "
                    "yes and restart the server." % name)
        return False

    def _replay(self, data, pos):
        """Execute the commands of ``data[pos:]``; returns (valid_up_to, problem)."""
        from ..commands.dispatch import call, lookup
        from ..server.client import Client
        from ..protocol.replies import ReplyError
        server = self.server
        c = Client(server, send=lambda d: None, addr="", laddr="", kind="normal")
        c.name = None
        multi = None
        multi_start = 0
        valid = pos
        server.loading = True
        server._refresh_gate()
        was_propagating = server.propagating
        server.propagating = False
        try:
            for argv, start, end in parse_commands(data, pos):
                name = argv[0].lower()
                if name == b"multi":
                    multi = []
                    multi_start = start
                    continue
                if name == b"exec" and multi is not None:
                    for a in multi:
                        self._run(c, a, lookup, call, ReplyError)
                    multi = None
                    valid = end
                    continue
                if multi is not None:
                    multi.append(argv)
                    continue
                self._run(c, argv, lookup, call, ReplyError)
                valid = end
        except AofTruncated:
            return (valid if multi is None else multi_start), "truncated"
        except AofFormatError:
            return valid, "format"
        finally:
            server.loading = False
            server._refresh_gate()
            server.propagating = was_propagating
            server.propagate_override = None
        if multi is not None:
            return multi_start, "multi"
        return valid, None

    def _run(self, c, argv, lookup, call, ReplyError):
        server = self.server
        spec, err = lookup(server, argv)
        if spec is None:
            raise AofError("Fatal error: Unknown command '%s' reading the append only file"
                           % argv[0].decode("utf-8", "replace"))
        server.now_ms = server.clock_ms()
        reply = call(c, spec, argv)
        if isinstance(reply, ReplyError):
            server.log.verbose("AOF command %s replied %s" % (argv[0], reply.message))

    # ---- base files & rewrite --------------------------------------------------------
    def _write_base(self, path):
        """Write the dataset as a base file at ``path`` (atomically)."""
        server = self.server
        if server.config.aof_use_rdb_preamble:
            from . import snapshot
            snapshot.install(server).write(path)
            return

        def fill(f):
            chunk = []
            size = 0
            for cmd in dataset_commands(server):
                chunk.append(cmd)
                size += len(cmd)
                if size > 1 << 20:
                    f.write(b"".join(chunk))
                    chunk, size = [], 0
            f.write(b"".join(chunk))
        atomic_write(path, fill, path + ".tmp-%d" % os.getpid())

    def rewrite_command(self):
        """BGREWRITEAOF; returns the status text or raises ReplyError."""
        from ..protocol.replies import ReplyError
        if self.child_pid is not None:
            raise ReplyError("ERR Background append only file rewriting already in progress")
        other = self.server.subsystems.get("snapshot")
        if (other is not None and other.child_pid is not None) or self.server.in_exec:
            self.scheduled = True
            return "Background append only file rewriting scheduled"
        if self.start_rewrite():
            return "Background append only file rewriting started"
        raise ReplyError("ERR Can't execute an AOF background rewriting. "
                         "Please check the server logs for more information.")

    def start_rewrite(self) -> bool:
        server = self.server
        log = server.log
        self.last_retry = time.time()
        try:
            os.makedirs(self.dirpath(), exist_ok=True)
            if self.manifest is None:
                self.manifest = Manifest()
            if self.fd is not None:
                self.flush(True)
            self._wait_fsync_thread()
            old = self.manifest.copy()
            if self.state != "off":
                self._open_new_incr("background rewrite")
            if self.state == "on":
                self.persist_manifest()
        except OSError as e:
            log.warning("Can't open new incr AOF for rewrite: %s" % (e.strerror or e))
            self.last_rewrite_ok = False
            return False
        self.child_old = old
        self.child_base_seq = (old.base[1] if old.base else 0) + 1
        unfreeze = gcpolicy.before_fork()
        t_fork = time.perf_counter()
        try:
            pid = os.fork()
        except OSError as e:
            gcpolicy.after_fork(unfreeze)
            log.warning("Can't rewrite append only file in background: fork: %s" % e.strerror)
            self.last_rewrite_ok = False
            return False
        if pid == 0:
            self._child()     # never returns
        gcpolicy.after_fork(unfreeze)
        self.server.note_fork(time.perf_counter() - t_fork)
        self.child_pid = pid
        self.child_start = time.monotonic()
        self.scheduled = False
        log.notice("Background append only file rewriting started by pid %d" % pid)
        return True

    def _temp_name(self, pid):
        return self.fpath("temp-rewriteaof-bg-%d.aof" % pid)

    def _child(self):
        code = 1
        try:
            log = self._enter_child()
            self.fd = None
            tmp = self._temp_name(os.getpid())
            self._write_base(tmp)
            log.notice("Successfully created the temporary AOF base file %s" % os.path.basename(tmp))
            log.notice("Fork CoW for AOF rewrite: current 0 MB, peak 0 MB, average 0 MB")
            code = 0
        except BaseException as e:  # noqa: BLE001 - the child must always _exit
            try:
                self.server.log.warning("Error rewriting the append only file: %s" % e)
            except BaseException:
                pass
        finally:
            os._exit(code)

    def _remove_temp(self, pid):
        for p in (self._temp_name(pid),):
            try:
                os.unlink(p)
            except OSError:
                pass
        try:
            os.unlink(os.path.join(self.dirpath(), "temp-%d.rdb" % pid))
        except OSError:
            pass

    def reap(self, block=False):
        done = self._wait_child(block)
        if done is None:
            return
        pid, status = done
        self.child_pid = None
        log = self.server.log
        self.last_rewrite_time = int(time.monotonic() - self.child_start)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            log.notice("Background AOF rewrite terminated with success")
            try:
                self._install_new_base(pid)
            except OSError as e:
                log.warning("Error trying to rename the temporary AOF base file: %s"
                            % (e.strerror or e))
                self._remove_temp(pid)
                self._rewrite_failed()
                return
            self.last_rewrite_ok = True
            self.rewrite_failures = 0
            self.rewrites += 1
            log.notice("Background AOF rewrite finished successfully")
        else:
            if os.WIFSIGNALED(status):
                log.warning("Background AOF rewrite terminated by signal %d" % os.WTERMSIG(status))
            else:
                log.warning("Background AOF rewrite terminated with error")
            self._remove_temp(pid)
            if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGUSR1):
                self._rewrite_failed()

    def _rewrite_failed(self):
        self.last_rewrite_ok = False
        self.rewrite_failures += 1
        if self.state == "wait_rewrite":
            self.scheduled = True

    def _install_new_base(self, pid):
        old = self.child_old
        name = self._base_name(self.child_base_seq)
        os.replace(self._temp_name(pid), self.fpath(name))
        self.server.log.notice("Successfully renamed the temporary AOF base file %s into %s"
                               % (os.path.basename(self._temp_name(pid)), name))
        m = self.manifest
        old_incrs = {n for n, _ in old.incrs}
        nm = Manifest()
        nm.base = (name, self.child_base_seq)
        nm.incrs = [(n, s) for n, s in m.incrs if n not in old_incrs]
        history = ([old.base[0]] if old.base and old.base[0] != name else []) + [n for n, _ in old.incrs]
        self.persist_manifest(nm)
        self.manifest = nm
        if self.state == "wait_rewrite":
            self.state = "on"
        for h in history:
            self.server.log.notice("Removing the history file %s in the background" % h)
            try:
                os.unlink(self.fpath(h))
            except OSError:
                pass
        self.flush(False)
        self._update_sizes()

    # ---- runtime on/off --------------------------------------------------------------
    def on_config_appendonly(self, config, name, old, new):
        if bool(new) == (self.state != "off"):
            return
        if new:
            self.start()
        else:
            self.stop()

    def start(self):
        """CONFIG SET appendonly yes: propagate from now on; a rewrite writes the base."""
        self.state = "wait_rewrite"
        self.manifest = None
        mpath = self.fpath(self.manifest_name())
        if os.path.exists(mpath):
            try:
                with open(mpath, "rb") as f:
                    self.manifest = Manifest.parse(f.read())
            except (OSError, AofError):
                self.manifest = None
        self._enable_propagation()
        if self.child_pid is not None:
            self.kill_child()
        snap = self.server.subsystems.get("snapshot")
        if snap is not None and snap.child_pid is not None:
            self.scheduled = True
            os.makedirs(self.dirpath(), exist_ok=True)
            if self.manifest is None:
                self.manifest = Manifest()
            self._open_new_incr("AOF enable")
            return
        if not self.start_rewrite():
            self._disable_propagation()
            self.state = "off"
            from ..protocol.replies import ReplyError
            raise ReplyError("ERR Unable to turn on AOF. Check server logs.")

    def stop(self):
        self.kill_child()
        self.flush(True)
        self._wait_fsync_thread()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        self._disable_propagation()
        self.buf = []
        self.state = "off"
        self.scheduled = False

    # ---- cron / shutdown / info ------------------------------------------------------
    def cron(self, server):
        if self.child_pid is not None:
            self.reap()
        if self.state == "off":
            return
        if self.buf:
            self.flush(False)
        if (server.config.appendfsync == "everysec" and self.unsynced
                and time.monotonic() - self.last_fsync >= 1.0):
            self._background_fsync()
        if self.child_pid is not None:
            return
        other = server.subsystems.get("snapshot")
        if other is not None and other.child_pid is not None:
            return
        if self.scheduled and (self.last_rewrite_ok or time.time() - self.last_retry > 5):
            self.start_rewrite()
            return
        cfg = server.config
        perc = cfg.auto_aof_rewrite_percentage
        if perc and self.state == "on" and self.current_size > cfg.auto_aof_rewrite_min_size:
            base = self.base_size or 1
            growth = (self.current_size * 100 // base) - 100
            if growth >= perc and (self.last_rewrite_ok or time.time() - self.last_retry > 5):
                server.log.notice("Starting automatic rewriting of AOF on %d%% growth" % growth)
                self.start_rewrite()

    def shutdown_hook(self, server, req):
        if self.child_pid is not None:
            server.log.warning("There is a child rewriting the AOF. Killing it!")
            self.kill_child()
        if self.state != "off" and self.fd is not None:
            server.log.notice("Calling fsync() on the AOF file.")
            self.flush(True)
            self._wait_fsync_thread()

    def info_hook(self, server, section, fields):
        if section != "persistence":
            return
        running = self.child_pid is not None
        fields["aof_enabled"] = int(self.state != "off")
        fields["aof_rewrite_in_progress"] = int(running)
        fields["aof_rewrite_scheduled"] = int(self.scheduled)
        fields["aof_last_rewrite_time_sec"] = self.last_rewrite_time
        fields["aof_current_rewrite_time_sec"] = (
            int(time.monotonic() - self.child_start) if running else -1)
        fields["aof_last_bgrewrite_status"] = "ok" if self.last_rewrite_ok else "err"
        fields["aof_rewrites"] = self.rewrites
        fields["aof_rewrites_consecutive_failures"] = self.rewrite_failures
        fields["aof_last_write_status"] = "ok" if self.last_write_ok else "err"
        if self.state != "off":
            extra = {
                "aof_current_size": self.current_size + sum(len(b) for b in self.buf),
                "aof_base_size": self.base_size,
                "aof_pending_rewrite": int(self.scheduled),
                "aof_buffer_length": sum(len(b) for b in self.buf),
                "aof_pending_bio_fsync": int(self.fsync_thread is not None
                                             and self.fsync_thread.is_alive()),
                "aof_delayed_fsync": 0,
            }
            # Redis lists these right after aof_last_cow_size
            items = list(fields.items())
            idx = next((i for i, (k, _) in enumerate(items) if k == "aof_last_cow_size"),
                       len(items) - 1) + 1
            items[idx:idx] = list(extra.items())
            fields.clear()
            fields.update(items)
