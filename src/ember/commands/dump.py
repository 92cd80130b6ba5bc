"""Persistence commands: DUMP, RESTORE (serialized values), SAVE and BGSAVE (snapshots).

DUMP/RESTORE payloads are RDB v10 values plus the 2-byte version and CRC-64 trailer, so a
DUMP from redis-server (7.0) RESTOREs here and the reverse; a hash with field TTLs is
dumped with the RDB 12 hash types (payload version 12, as Redis 7.4), and RESTORE drops the
fields already expired.  SAVE/BGSAVE delegate to the
snapshot subsystem (``persistence.snapshot``), installed on first use when the entry point
did not install it already (embedded servers).

RESTORE checks in Redis' order: options, then BUSYKEY, then the TTL, then the payload's
version/checksum, then its body ("Bad data format").  A TTL already in the past deletes the
target (with REPLACE) and stores nothing, replying OK.
"""

from .. import errors
from ..persistence import convert
from ..persistence.rdb import (
    HashTTLValue, RdbError, create_dump_payload, load_value, MAX_READ_VERSION, RDB_VERSION,
)
from ..persistence.crc64 import crc64
from ..protocol.replies import ReplyError
from ..datatypes.hashtype import Hash
from .hashes import field_expiry
from .registry import command

_NOT_INT = "ERR value is not an integer or out of range"
_I64_MIN, _I64_MAX = -(1 << 63), (1 << 63) - 1


def _int(b):
    try:
        if not b or len(b) > 20 or b[:1] in (b"+", b" ") or b[-1:] == b" " or (
                b[:1] == b"0" and len(b) > 1) or b[:2] == b"-0":
            raise ValueError
        v = int(b)
    except ValueError:
        raise ReplyError(_NOT_INT) from None
    if v < _I64_MIN or v > _I64_MAX:
        raise ReplyError(_NOT_INT)
    return v


def serialize(server, value) -> bytes:
    """The DUMP payload for an ember value."""
    tname, model = convert.to_model(value)
    return create_dump_payload(tname, model, rdb_version=RDB_VERSION,
                               options=convert.encoding_options(server.config))


def deserialize(server, payload):
    """Ember value from a DUMP payload; ReplyError with Redis' texts when it is bad."""
    p = bytes(payload)
    if len(p) < 10:
        raise ReplyError("ERR DUMP payload version or checksum are wrong")
    ver = p[-10] | (p[-9] << 8)
    crc = int.from_bytes(p[-8:], "little")
    if ver > MAX_READ_VERSION or (crc != 0 and crc64(memoryview(p)[:-8]) != crc):
        raise ReplyError("ERR DUMP payload version or checksum are wrong")
    try:
        tname, model, _end = load_value(p[:-10])
        if type(model) is HashTTLValue:
            model.drop_expired(server.now_ms)     # expired fields are not restored
        value = convert.from_model(tname, model, server.config)
        if tname != "string" and not len(value):
            raise ValueError("empty collection")
        return value
    except (RdbError, ValueError, IndexError, KeyError, TypeError):
        raise ReplyError("ERR Bad data format") from None


@command("dump")
def dump(c, argv):
    """DUMP key"""
    v = c.db.lookup(argv[1])
    if v is None:
        return None
    return serialize(c.server, v)


@command("restore")
def restore(c, argv):
    """RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"""
    server = c.server
    key = argv[1]
    replace = absttl = False
    idle = freq = None
    i, n = 4, len(argv)
    while i < n:
        u = argv[i].upper()
        more = i + 1 < n
        if u == b"REPLACE":
            replace = True
        elif u == b"ABSTTL":
            absttl = True
        elif u == b"IDLETIME" and more and freq is None:
            idle = _int(argv[i + 1])
            if idle < 0:
                raise ReplyError("ERR Invalid IDLETIME value, must be >= 0")
            i += 1
        elif u == b"FREQ" and more and idle is None:
            freq = _int(argv[i + 1])
            if freq < 0 or freq > 255:
                raise ReplyError("ERR Invalid FREQ value, must be >= 0 and <= 255")
            i += 1
        else:
            raise ReplyError(errors.SYNTAX)
        i += 1
    db = c.db
    if not replace and db.lookup(key) is not None:
        raise ReplyError("BUSYKEY Target key name already exists.")
    ttl = _int(argv[2])
    if ttl < 0:
        raise ReplyError("ERR Invalid TTL value, must be >= 0")
    value = deserialize(server, argv[3])
    now = server.now_ms
    if ttl and not absttl:
        ttl += now
    if ttl and ttl <= now and not server.loading:
        # already expired: the key is not created (an old one is removed when replacing)
        if replace and db.delete(key):
            server.dirty += 1
            server.notify("generic", "del", key, db.id)
            server.propagate_as([b"DEL", key])
        return "OK"
    if replace:
        db.delete(key)
    db.set(key, value)
    if ttl:
        db.set_expire(key, ttl)
    if type(value) is Hash and value.ttl:
        field_expiry(server).track(db, key, value)
    if idle is not None:
        db.atime[key] = now - idle * 1000
    if freq is not None:
        hook = server.subsystems.get("lfu_set")
        if hook is not None:
            hook(db, key, freq)
    server.notify("generic", "restore", key, db.id)
    server.dirty += 1
    if ttl and not absttl:
        # propagate with the absolute expiry, as Redis does (replicas/AOF replay later)
        out = list(argv)
        out[2] = b"%d" % ttl
        out.append(b"ABSTTL")
        server.propagate_as(out)
    return "OK"


# ------------------------------------------------------------------ snapshots

def _snapshot(server):
    snap = server.subsystems.get("snapshot")
    if snap is None:
        from ..persistence import snapshot
        snap = snapshot.install(server)
    return snap


@command("save")
def save(c, argv):
    """SAVE"""
    return _snapshot(c.server).save_command(c)


@command("bgsave")
def bgsave(c, argv):
    """BGSAVE [SCHEDULE]"""
    schedule = False
    if len(argv) > 1:
        if len(argv) == 2 and argv[1].lower() == b"schedule":
            schedule = True
        else:
            raise ReplyError(errors.SYNTAX)
    return _snapshot(c.server).bgsave_command(c, schedule)
