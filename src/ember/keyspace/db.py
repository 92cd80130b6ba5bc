"""One logical database: key -> value, key -> absolute expiry (ms), and the change hooks.

Value model: a Redis string is ``bytes`` (encoding int/embstr/raw derived from content) or
``bytearray`` (a string modified in place by APPEND/SETRANGE/SETBIT: encoding "raw"); every
other type is an object whose class has a ``type_name`` ("list", "hash", ...) and an
``encoding()`` method.

Invariants:
- every read goes through ``lookup``/``get_*`` which expire lazily (a key whose expiry is due
  does not exist), except on replicas, which wait for the master's DEL (Redis semantics);
- a key in ``expires`` is always in ``data``;
- writers call ``modified(key)`` (WATCH, client tracking, keyspace hooks) and bump
  ``server.dirty``; collections that become empty are deleted by their command module.
"""

from ..errors import WRONGTYPE
from .expiry import ExpiryWheel
from .scan import ScanSnapshots
from ..protocol.replies import ReplyError

STRING_TYPES = (bytes, bytearray)
_NOTIFY_NEW = 1 << 14   # keyspace.notify.NEW ("n"): fired when a key is created


def type_name(value) -> str:
    t = type(value)
    if t is bytes or t is bytearray:
        return "string"
    return value.type_name


class Database:
    __slots__ = ("id", "data", "expires", "server", "atime", "lru", "wheel", "scans")

    def __init__(self, server, index: int):
        self.id = index
        self.server = server
        self.data = {}
        self.expires = {}
        self.atime = {}          # key -> last access (ms) for OBJECT IDLETIME / LRU
        self.lru = 0             # the access time written, shared for up to a second
        self.wheel = ExpiryWheel()
        self.scans = ScanSnapshots()

    # ---- lookups ---------------------------------------------------------------------
    def lookup(self, key):
        """Value of ``key`` or None, expiring it lazily."""
        if self.expires:
            when = self.expires.get(key)
            if when is not None and when <= self.server.now_ms and self.expire_if_needed(key, when):
                return None
        v = self.data.get(key)
        if v is not None:
            now = self.server.now_ms
            lru = self.lru
            if not 0 <= now - lru < 1000:
                self.lru = lru = now
            self.atime[key] = lru
        return v

    def lru_clock(self):
        """The access time to record: ``now_ms``, but the same int object for up to a second
        (Redis' LRU clock has a 1 s resolution too), so the access times of keys touched in
        the same second share one object instead of costing 32 bytes each."""
        now = self.server.now_ms
        lru = self.lru
        if not 0 <= now - lru < 1000:
            self.lru = lru = now
        return lru

    def expire_if_needed(self, key, when) -> bool:
        server = self.server
        if server.is_replica_readonly_view():
            # A replica does not delete: the master will send a DEL. Reads still see it gone.
            return True
        if server.paused_writes():
            return True
        self.delete_expired(key)
        return True

    def delete_expired(self, key):
        server = self.server
        server.stats.expired_keys += 1
        v = self.data.pop(key)
        del self.expires[key]
        self.atime.pop(key, None)
        server.on_key_expired(self, key)
        if server.config.lazyfree_lazy_expire:
            server.lazyfree.free_value(v)

    def get_string(self, key):
        v = self.lookup(key)
        if v is None or type(v) is bytes or type(v) is bytearray:
            return v
        raise ReplyError(WRONGTYPE)

    def get_typed(self, key, cls):
        """Value of ``key`` if it is a ``cls``; None if missing; WRONGTYPE otherwise."""
        v = self.lookup(key)
        if v is None or type(v) is cls:
            return v
        raise ReplyError(WRONGTYPE)

    def exists(self, key) -> bool:
        return self.lookup(key) is not None

    # ---- writes ----------------------------------------------------------------------
    def set(self, key, value, keepttl=False):
        """Create or overwrite ``key``; clears its TTL unless ``keepttl``.  An overwritten
        big value is freed lazily under lazyfree-lazy-server-del (Redis' dbSetValue)."""
        server = self.server
        n = server.notifier
        if n is not None and getattr(n, "flags", 0) & _NOTIFY_NEW and key not in self.data:
            n(_NOTIFY_NEW, b"new", key, self)
        if server.config.lazyfree_lazy_server_del:
            old = self.data.get(key)
            self.data[key] = value
            if old is not None and type(old) is not bytes:
                server.lazyfree.free_value(old)
            old = None
        else:
            self.data[key] = value
        self.atime[key] = self.lru_clock()
        if not keepttl and self.expires:
            self.expires.pop(key, None)
        self.modified(key)

    def add(self, key, value):
        """Store a new key (the caller knows it does not exist)."""
        n = self.server.notifier
        if n is not None and getattr(n, "flags", 0) & _NOTIFY_NEW:
            n(_NOTIFY_NEW, b"new", key, self)
        self.data[key] = value
        self.atime[key] = self.lru_clock()
        self.modified(key)

    def delete(self, key, lazy=None) -> bool:
        """Delete ``key`` if it exists (after lazy expiry). Returns whether it did.  A big
        value is freed lazily when ``lazy`` says so; by default (None: a delete the server
        makes, such as RENAME's or a STORE command's of its destination) when
        lazyfree-lazy-server-del is on, as Redis' dbDelete.  DEL passes False: it follows
        lazyfree-lazy-user-del instead."""
        if self.lookup(key) is None:
            return False
        server = self.server
        if lazy is None:
            lazy = server.config.lazyfree_lazy_server_del
        v = self.data.pop(key)
        if self.expires:
            self.expires.pop(key, None)
        self.atime.pop(key, None)
        self.modified(key)
        if lazy and type(v) is not bytes:
            server.lazyfree.free_value(v)
        return True

    def remove_raw(self, key):
        """Drop ``key`` without hooks (used when the caller signals itself)."""
        self.data.pop(key, None)
        self.expires.pop(key, None)
        self.atime.pop(key, None)

    def modified(self, key):
        hooks = self.server.key_hooks
        if hooks:
            for h in hooks:
                h(self, key)

    # ---- expiry ----------------------------------------------------------------------
    def set_expire(self, key, when_ms: int):
        self.expires[key] = when_ms
        self.wheel.add(key, when_ms)

    def get_expire(self, key):
        return self.expires.get(key) if self.expires else None

    def persist(self, key) -> bool:
        return self.expires.pop(key, None) is not None

    def clear(self, lazy=False):
        """Empty the database; returns the number of keys it had.  ``lazy``: the old tables
        go to the server's LazyFree (FLUSHALL/FLUSHDB ASYNC) instead of being freed now."""
        n = len(self.data)
        if lazy and n:
            w = self.wheel
            self.server.lazyfree.free_tables(n, self.data, [self.expires, self.atime, w.buckets, w.heap])
        self.data = {}
        self.expires = {}
        self.atime = {}
        self.wheel.clear()
        self.scans = ScanSnapshots()
        return n

    def __len__(self):
        return len(self.data)

    def raise_wrongtype(self):
        raise ReplyError(WRONGTYPE)
