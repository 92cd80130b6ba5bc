"""maxmemory: memory accounting and key eviction (the eight ``maxmemory-policy`` values).

Nothing here runs while ``maxmemory`` is 0: ``install`` only registers CONFIG SET hooks, and
the dispatch fast path is untouched (``server.gated`` is already False).  Once maxmemory is
set, ``activate`` swaps in, for every db:

- ``db.data`` -> ``TrackedDict`` (a dict subclass): its ``__setitem__``/``__delitem__``/``pop``
  keep ``used``, an estimate of the bytes the db's keys cost *in CPython* (key and value
  objects, the ``data``/``atime`` entries, the access-time int), and append new keys to
  ``order``, the list the sampler draws from.  Strings are sized from their length on the fly;
  other values (collections, bytearrays, which change in place) have their last estimate in
  ``csize`` and are re-estimated by a key hook each time a command modifies them.  Keys with a
  TTL are charged ``EXPIRE_OVERHEAD`` each (``len(db.expires)``, counted at check time).
- with an LFU policy, ``db.atime`` -> ``LFUClock``: every access-time write (the same writes
  LRU uses: ``lookup``, GET, SET...) also updates the key's LFU state, Redis' definition: a
  logarithmic 8-bit counter (new keys start at 5; an access increments it with probability
  1/((counter-5)*lfu-log-factor+1)) and a 16-bit minutes clock; the counter loses one per
  ``lfu-decay-time`` minutes elapsed.

Code that replaces those dicts (FLUSHDB's ``clear``, ``shrink_tables``' rebuild) gets a plain
dict back; ``used_memory`` notices (a type check per db) and re-wraps it with a full recount.

Accounting: ``used_memory = BASE_OVERHEAD + sum(db estimates)``; that is what is compared
with maxmemory, and what INFO reports as ``used_memory`` while maxmemory is set.  It does not
count the interpreter itself (its startup RSS, ~30-40 MB), client buffers, or allocator
fragmentation: RSS stays within maxmemory + startup RSS + a slack that the RSS-bound test
(tests/keyspace/test_eviction.py) pins at 25% of maxmemory + 16 MB.  The per-key constants
were measured on CPython 3.11 (RSS delta of 200k SETs): 346 bytes/key for 16-byte keys with
100-byte values, 448 with a TTL.

Eviction follows Redis' approximations: each round samples ``maxmemory-samples`` keys per db
(from ``data`` for allkeys-*, from ``expires`` for volatile-*) into a pool of the 16 best
candidates (LRU: idle time from the access clock ``db.atime``; LFU: 255 - decayed counter;
TTL: the soonest expiry), then evicts the best one still present.  -random policies pick one
random key per db round-robin.  A call spends at most the ``maxmemory-eviction-tenacity``
time budget (Redis' formula); if memory is still over, the command runs anyway and the cron
hook continues.  A denyoom command is refused with the OOM error only when nothing can be
evicted (noeviction, or no candidate).

Sampling (a Python dict cannot be sampled in O(1)): ``data`` keeps ``order``, an append-only
list of inserted keys; a sample draws random indices and swap-removes the entries whose key
is gone (lazy deletion), and the list is rebuilt from the dict when it grows past twice the
key count, so both costs are amortised O(1).  ``expires`` is not wrapped (its writers are
many); its sample list is a snapshot rebuilt once as many samples as it has entries have been
drawn from it, or when the dict outgrew it by half: keys given a TTL since the snapshot are
invisible to volatile-* until then (they are the least likely candidates anyway: recently
written, and for volatile-ttl usually far from expiring).
"""

import bisect
import random
import sys
import time
from itertools import islice

from . import notify as N

POOL_SIZE = 16
LFU_INIT_VAL = 5
BASE_OVERHEAD = 1 << 20          # fixed "startup" figure, as Redis' used_memory_startup
ENTRY_OVERHEAD = 160             # data + atime dict entries and the access-time int
EXPIRE_OVERHEAD = 100            # expires entry, its int, the expiry wheel's reference
LFU_OVERHEAD = 100               # the LFU state dict entry and its int
POLICIES = ("noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru",
            "volatile-lfu", "volatile-random", "volatile-ttl")


# ---- size estimates (CPython object sizes) ---------------------------------------------
def bytes_size(n: int) -> int:
    """Allocated size of a bytes object of length n (pymalloc rounds small blocks to 8,
    larger ones go to malloc with its header)."""
    n += 33
    if n <= 512:
        return (n + 7) & ~7
    return (n + 31) & ~15


def _elem(x) -> int:
    t = type(x)
    if t is bytes:
        return bytes_size(len(x))
    if t is bytearray:
        return 64 + len(x)
    if t is float or t is int:
        return 32
    if t is tuple:
        return 56 + sum(_elem(y) for y in x)
    return 64


def _avg(it, samples):
    total = n = 0
    for x in (it if not samples else islice(it, samples)):
        total += _elem(x)
        n += 1
    return total / n if n else 0


def value_size(v, samples: int = 5) -> int:
    """Estimated bytes held by value ``v`` (elements extrapolated from ``samples`` of them;
    0 = all)."""
    t = type(v)
    if t is bytes:
        return bytes_size(len(v))
    if t is bytearray:
        return sys.getsizeof(v) + 16
    name = getattr(v, "type_name", None)
    try:
        if name == "hash":
            d = v.v
            if type(d) is bytes:            # packed (see datatypes/hashtype.py)
                s = 64 + bytes_size(len(d))
            else:
                n = len(d)
                s = 64 + sys.getsizeof(d) + int(n * _avg(iter(d.items()), samples)) - 56 * n
            fx = v.fx
            if fx is not None:
                s += 64 + sys.getsizeof(fx.ttl) + 32 * len(fx.ttl) + sys.getsizeof(fx.heap)
            return s
        if name == "set":
            n = len(v.items)
            return (96 + sys.getsizeof(v.items) + sys.getsizeof(v.pos)
                    + int(n * (_avg(iter(v.items), samples) + 32)))
        if name == "list":
            return 96 + sys.getsizeof(v) + int(len(v) * _avg(iter(v), samples))
        if name == "zset":
            n = len(v.scores)
            return (200 + sys.getsizeof(v.scores)
                    + int(n * (_avg(iter(v.scores), samples) + 32 + 64 + 8)))
        n = len(v)
    except Exception:
        n = 16
    return 256 + 128 * n


def key_size(key, v, samples: int = 5) -> int:
    """What one key costs: its name, its value and the per-key overhead (MEMORY USAGE)."""
    return bytes_size(len(key)) + ENTRY_OVERHEAD + value_size(v, samples)


# ---- the tracked dicts -----------------------------------------------------------------
class TrackedDict(dict):
    """``db.data`` while maxmemory is set: keeps ``used`` (this dict's estimate; every change
    is also added to ``acct.total``, the server-wide sum) and the sampling list ``order``."""
    __slots__ = ("used", "order", "csize", "acct")

    def __init__(self, src, acct):
        dict.__init__(self, src)
        self.acct = acct
        self.order = list(self)
        self.csize = {}
        used = 0
        for k, v in dict.items(self):
            used += bytes_size(len(k)) + ENTRY_OVERHEAD
            if type(v) is bytes:
                used += bytes_size(len(v))
            else:
                s = self.csize[k] = value_size(v)
                used += s
        self.used = used

    def __setitem__(self, key, value):
        old = dict.get(self, key)
        if old is None:
            delta = bytes_size(len(key)) + ENTRY_OVERHEAD
            order = self.order
            order.append(key)
            if len(order) > 2 * dict.__len__(self) + 64:
                self.order = list(self)
                self.order.append(key)
        elif type(old) is bytes:
            delta = -bytes_size(len(old))
        else:
            delta = -self.csize.pop(key, 0)
        dict.__setitem__(self, key, value)
        if type(value) is bytes:
            delta += bytes_size(len(value))
        else:
            s = self.csize[key] = value_size(value)
            delta += s
        self.used += delta
        self.acct.total += delta

    def _forget(self, key, old):
        delta = bytes_size(len(key)) + ENTRY_OVERHEAD + (
            bytes_size(len(old)) if type(old) is bytes else self.csize.pop(key, 0))
        self.used -= delta
        self.acct.total -= delta

    def __delitem__(self, key):
        old = dict.pop(self, key)
        self._forget(key, old)

    def pop(self, key, *default):
        old = dict.pop(self, key, _MISSING)
        if old is _MISSING:
            if default:
                return default[0]
            raise KeyError(key)
        self._forget(key, old)
        return old

    def resize(self, key, value):
        """A value changed in place (a collection or a bytearray): re-estimate it."""
        s = value_size(value)
        delta = s - self.csize.get(key, 0)
        self.csize[key] = s
        self.used += delta
        self.acct.total += delta

    def sample(self, n, rng):
        """Up to ``n`` random keys present in the dict (lazy swap-removal of stale ones)."""
        order = self.order
        out = []
        tries = 3 * n + 8
        rnd = rng.random
        while len(out) < n and tries and order:
            tries -= 1
            i = int(rnd() * len(order))
            k = order[i]
            if dict.__contains__(self, k):
                out.append(k)
            else:
                last = order.pop()
                if i < len(order):
                    order[i] = last
        if not out and dict.__len__(self):
            self.order = list(self)         # all stale: rebuild and draw again
            return self.sample(n, rng)
        return out


_MISSING = object()


class LFUClock(dict):
    """``db.atime`` under an LFU policy: each access-time write also updates ``lfu``
    (key -> minutes << 8 | counter).  ``undo`` remembers the last update so OBJECT FREQ can
    read a key without counting as an access (Redis looks it up with NOTOUCH)."""
    __slots__ = ("lfu", "ev", "undo")

    def __init__(self, src, ev):
        dict.__init__(self, src)
        self.ev = ev
        self.lfu = {}
        self.undo = None
        mins = (ev.server.now_ms // 60000) & 0xFFFF
        init = (mins << 8) | LFU_INIT_VAL
        for k in dict.keys(self):
            self.lfu[k] = init

    def __setitem__(self, key, now):
        dict.__setitem__(self, key, now)
        lfu = self.lfu
        p = lfu.get(key)
        mins = (now // 60000) & 0xFFFF
        if p is None:
            lfu[key] = (mins << 8) | LFU_INIT_VAL
            self.undo = None
            return
        self.undo = (key, p)
        ev = self.ev
        lfu[key] = (mins << 8) | ev.lfu_incr(lfu_decayed(p, mins, ev.decay_time))

    def pop(self, key, *default):
        self.lfu.pop(key, None)
        return dict.pop(self, key, *default)

    def __delitem__(self, key):
        self.lfu.pop(key, None)
        dict.__delitem__(self, key)


def lfu_decayed(p, now_min, decay_time):
    """The counter of packed LFU state ``p`` after decay (Redis' LFUDecrAndReturn)."""
    counter = p & 0xFF
    if decay_time:
        ldt = p >> 8
        elapsed = now_min - ldt if now_min >= ldt else 65535 - ldt + now_min
        periods = elapsed // decay_time
        if periods:
            counter = 0 if periods > counter else counter - periods
    return counter


def tenacity_limit_us(tenacity: int) -> float:
    """Time budget of one eviction call (Redis' evictionTimeLimitUs)."""
    if tenacity <= 10:
        return 50.0 * tenacity
    if tenacity < 100:
        return 500.0 * 1.15 ** (tenacity - 10)
    return float("inf")


# ---- the eviction subsystem ------------------------------------------------------------
class Eviction:
    def __init__(self, server):
        self.server = server
        self.active = False
        self.rng = random.Random()
        self.pool = []              # sorted [(score, dbid, key)], best last
        self.exp_samples = {}       # dbid -> [expires dict, key list, draws left]
        self.next_db = 0
        self.peak = 0
        self.exceeded_since = None  # monotonic time memory went over maxmemory
        self.exceeded_total = 0.0
        self.total = self.extra = 0
        self.read_config()

    def read_config(self):
        cfg = self.server.config
        self.policy = str(cfg.maxmemory_policy)
        self.maxmemory = cfg.maxmemory
        self.samples = cfg.maxmemory_samples
        self.tenacity = cfg.maxmemory_eviction_tenacity
        self.log_factor = cfg.lfu_log_factor
        self.decay_time = cfg.lfu_decay_time
        self.lfu = "lfu" in self.policy
        self.lru = "lru" in self.policy

    # -- LFU ------------------------------------------------------------------------------
    def lfu_incr(self, counter):
        if counter == 255:
            return 255
        base = counter - LFU_INIT_VAL
        if base < 0:
            base = 0
        if self.rng.random() < 1.0 / (base * self.log_factor + 1):
            counter += 1
        return counter

    def lfu_freq(self, db, key):
        """OBJECT FREQ: the decayed counter, the lookup OBJECT just did not counting."""
        at = db.atime
        if type(at) is not LFUClock:
            return LFU_INIT_VAL
        undo = at.undo
        if undo is not None and undo[0] == key:
            at.lfu[key] = undo[1]
            at.undo = None
        p = at.lfu.get(key)
        if p is None:
            return LFU_INIT_VAL
        return lfu_decayed(p, (self.server.now_ms // 60000) & 0xFFFF, self.decay_time)

    # -- (de)activation -------------------------------------------------------------------
    def refresh(self, *_):
        self.read_config()
        server = self.server
        if self.maxmemory and not self.active:
            self.active = True
            server.ensure_memory = self.ensure_memory
            server.key_hooks.append(self.on_modified)
        elif not self.maxmemory and self.active:
            self.active = False
            server.__dict__.pop("ensure_memory", None)
            try:
                server.key_hooks.remove(self.on_modified)
            except ValueError:
                pass
            for db in server.dbs:
                if type(db.data) is TrackedDict:
                    db.data = dict(db.data)
        self.pool = []
        self.exp_samples = {}
        for db in server.dbs:
            self._wrap(db)
        if self.active:
            self.recount()

    def _wrap(self, db):
        """Give ``db`` the dict types the current settings need (LFU state is kept whenever
        an LFU policy is selected, as Redis does, even with maxmemory 0)."""
        if self.active and type(db.data) is not TrackedDict:
            db.data = TrackedDict(db.data, self)
        at = db.atime
        if self.lfu:
            if type(at) is not LFUClock:
                db.atime = LFUClock(at, self)
        elif type(at) is LFUClock:
            db.atime = dict(at)

    def on_modified(self, db, key):
        d = db.data
        if type(d) is TrackedDict:
            v = dict.get(d, key)
            if v is not None and type(v) is not bytes:
                d.resize(key, v)

    # -- accounting -----------------------------------------------------------------------
    def recount(self):
        """Re-wrap dicts that were replaced (FLUSHDB, shrink_tables...) and recompute the
        totals: ``total`` (sum of the dbs' ``used``) and ``extra`` (TTL and LFU entries,
        counted here, at cron and every 16 evictions, rather than on every write)."""
        total = extra = 0
        lfu = self.lfu
        for db in self.server.dbs:
            if type(db.data) is not TrackedDict or (lfu and type(db.atime) is not LFUClock):
                self._wrap(db)
            total += db.data.used
            if db.expires:
                extra += EXPIRE_OVERHEAD * len(db.expires)
            if lfu:
                extra += LFU_OVERHEAD * len(db.atime.lfu)
        self.total = total
        self.extra = extra

    def dataset(self) -> int:
        return self.total + self.extra

    def used_memory(self) -> int:
        used = BASE_OVERHEAD + self.total + self.extra
        if used > self.peak:
            self.peak = used
        return used

    # -- eviction -------------------------------------------------------------------------
    def ensure_memory(self) -> bool:
        """Evict until used memory is under maxmemory.  False: nothing could be evicted
        (the caller refuses denyoom commands with the OOM error)."""
        if not self.active:
            return True
        used = self.used_memory()
        maxmemory = self.maxmemory
        if used <= maxmemory:
            if self.exceeded_since is not None:
                self.exceeded_total += time.monotonic() - self.exceeded_since
                self.exceeded_since = None
            return True
        t0 = time.monotonic()
        if self.exceeded_since is None:
            self.exceeded_since = t0
        if self.policy == "noeviction":
            return False
        limit = t0 + tenacity_limit_us(self.tenacity) / 1e6
        now = self.server.now_ms
        per_key_extra = LFU_OVERHEAD if self.lfu else 0
        n = 0
        while used > maxmemory:
            picked = self._pick(now)
            if picked is None:
                return False
            db, key = picked
            d = db.data
            before = d.used
            extra = per_key_extra + (EXPIRE_OVERHEAD if key in db.expires else 0)
            self._evict(db, key)
            used -= before - d.used + extra
            n += 1
            if n % 16 == 0:
                if time.monotonic() > limit:
                    return True     # time budget spent: allow the command, cron goes on
                self.recount()
                used = self.used_memory()
        if self.exceeded_since is not None:
            self.exceeded_total += time.monotonic() - self.exceeded_since
            self.exceeded_since = None
        return True

    def _evict(self, db, key):
        server = self.server
        data = db.data
        if key not in data:
            return
        v = data.pop(key)
        if db.expires:
            db.expires.pop(key, None)
        db.atime.pop(key, None)
        server.stats.evicted_keys += 1
        db.modified(key)
        server.notify(N.EVICTED, b"evicted", key, db)
        server.propagate_raw(db.id, [b"DEL", key])
        if server.config.lazyfree_lazy_eviction and type(v) is not bytes:
            # (the estimate in ``used`` already dropped it, as Redis counts a lazily
            # freed value as freed for its eviction loop)
            server.lazyfree.free_value(v)

    def _pick(self, now):
        policy = self.policy
        dbs = self.server.dbs
        volatile = policy.startswith("volatile")
        if policy.endswith("random"):
            n = len(dbs)
            for i in range(n):
                db = dbs[(self.next_db + i) % n]
                keys = self._sample(db, volatile, 1)
                if keys:
                    self.next_db = (self.next_db + i + 1) % n
                    return db, keys[0]
            return None
        # Pooled policies: sample every db into the pool, evict the best present key.
        pool = self.pool
        while True:
            for db in dbs:
                if not (db.expires if volatile else db.data):
                    continue
                for key in self._sample(db, volatile, self.samples):
                    self._pool_insert(self._score(db, key, now), db.id, key)
            if not pool:
                return None
            while pool:
                _, dbid, key = pool.pop()
                db = dbs[dbid]
                if key in db.data and (not volatile or key in db.expires):
                    return db, key
            # every pooled key was gone: sample again (the loop ends when dbs are empty)

    def _pool_insert(self, score, dbid, key):
        pool = self.pool
        if len(pool) >= POOL_SIZE and score <= pool[0][0]:
            return
        for e in pool:
            if e[2] == key and e[1] == dbid:
                return
        bisect.insort(pool, (score, dbid, key))
        if len(pool) > POOL_SIZE:
            del pool[0]

    def _score(self, db, key, now):
        if self.lru:
            return now - db.atime.get(key, now)
        if self.lfu:
            at = db.atime
            p = at.lfu.get(key) if type(at) is LFUClock else None
            if p is None:
                return 255 - LFU_INIT_VAL
            return 255 - lfu_decayed(p, (now // 60000) & 0xFFFF, self.decay_time)
        return -db.expires.get(key, 0)      # volatile-ttl: soonest expiry is best

    def _sample(self, db, volatile, n, rebuilt=False):
        rng = self.rng
        if not volatile:
            d = db.data
            if type(d) is TrackedDict:
                return d.sample(n, rng)
            return list(islice(d, n))
        exp = db.expires
        if not exp:
            return []
        ent = self.exp_samples.get(db.id)
        if (rebuilt or ent is None or ent[0] is not exp or ent[2] <= 0 or not ent[1]
                or len(exp) > 1.5 * len(ent[1]) + 16):
            keys = list(exp)
            ent = self.exp_samples[db.id] = [exp, keys, len(keys)]
        keys = ent[1]
        out = []
        tries = 3 * n + 8
        rnd = rng.random
        while len(out) < n and tries and keys:
            tries -= 1
            ent[2] -= 1
            i = int(rnd() * len(keys))
            k = keys[i]
            if k in exp:
                out.append(k)
            else:
                last = keys.pop()
                if i < len(keys):
                    keys[i] = last
        if not out and not rebuilt:
            return self._sample(db, volatile, n, True)   # all stale: rebuild, draw again
        return out

    # -- periodic work and INFO ---------------------------------------------------------
    def cron(self, server):
        if self.active:
            self.recount()
            if self.policy != "noeviction":
                self.ensure_memory()
        elif self.lfu:
            for db in server.dbs:
                if type(db.atime) is not LFUClock:
                    self._wrap(db)

    def on_flush(self, server, db):
        if self.active:
            self.recount()

    def info(self, server, section, fields):
        if not self.active:
            return
        if section == "memory":
            self.recount()
            used = self.used_memory()
            dataset = used - BASE_OVERHEAD
            fields["used_memory"] = used
            fields["used_memory_human"] = bytes_to_human(used)
            fields["used_memory_peak"] = self.peak
            fields["used_memory_peak_human"] = bytes_to_human(self.peak)
            fields["used_memory_peak_perc"] = "%.2f%%" % (used * 100.0 / self.peak)
            fields["used_memory_overhead"] = BASE_OVERHEAD
            fields["used_memory_startup"] = BASE_OVERHEAD
            fields["used_memory_dataset"] = dataset
            fields["used_memory_dataset_perc"] = "%.2f%%" % (dataset * 100.0 / used)
            rss = fields.get("used_memory_rss", used)
            fields["mem_fragmentation_ratio"] = "%.2f" % (rss / used)
            fields["mem_fragmentation_bytes"] = rss - used
            fields["mem_not_counted_for_evict"] = 0
        elif section == "stats":
            total = self.exceeded_total
            cur = 0.0
            if self.exceeded_since is not None:
                cur = time.monotonic() - self.exceeded_since
            fields["total_eviction_exceeded_time"] = int((total + cur) * 1000)
            fields["current_eviction_exceeded_time"] = int(cur * 1000)


def bytes_to_human(n) -> str:
    if n < 1024:
        return "%dB" % n
    for unit, div in (("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40)):
        if n < div * 1024 or unit == "T":
            return "%.2f%s" % (n / div, unit)


def install(server):
    """Register the eviction subsystem; it does nothing until maxmemory is set."""
    ev = Eviction(server)
    subs = server.subsystems
    subs["eviction"] = ev
    subs["lfu_freq"] = ev.lfu_freq
    subs["key_size"] = key_size
    subs.setdefault("cron", []).append(ev.cron)
    subs.setdefault("info", []).append(ev.info)
    subs.setdefault("flush", []).append(ev.on_flush)
    cfg = server.config
    for name in ("maxmemory", "maxmemory-policy", "maxmemory-samples",
                 "maxmemory-eviction-tenacity", "lfu-log-factor", "lfu-decay-time"):
        cfg.on_change(name, ev.refresh)
    ev.refresh()
    return ev
