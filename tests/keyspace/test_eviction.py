"""maxmemory and eviction (keyspace/eviction.py): which keys each policy evicts, OOM,
evicted events, INFO fields, OBJECT FREQ/IDLETIME, and an RSS bound over TCP."""

import os
import socket
import time

import pytest

from ember.clock import ManualClock
from ember.embedded import Ember
from ember.keyspace import eviction as ev
from ember.protocol.replies import ReplyError

OOM = "OOM command not allowed when used memory > 'maxmemory'."
VAL = b"v" * 100
PER_KEY = ev.bytes_size(len(b"key:000")) + ev.ENTRY_OVERHEAD + ev.bytes_size(len(VAL))


def make(policy, nkeys=100, **kw):
    """A server whose budget holds about ``nkeys`` keys of the test shape (maxmemory is set
    after creation so that nothing is evicted while we fill it)."""
    kw.setdefault("maxmemory_eviction_tenacity", 100)   # evict fully within one call
    e = Ember(clock=ManualClock(), maxmemory_policy=policy, **kw)
    e.server.subsystems["eviction"].rng.seed(1234)
    c = e.client()
    return e, c


def budget(c, nkeys, extra_ttl=0):
    c.execute("CONFIG", "SET", "maxmemory",
              ev.BASE_OVERHEAD + nkeys * PER_KEY + extra_ttl * ev.EXPIRE_OVERHEAD + PER_KEY // 2)


def info(c, section):
    raw = c.execute("INFO", section)
    text = raw.data.decode() if hasattr(raw, "data") else (raw.decode() if isinstance(raw, bytes) else str(raw))
    out = {}
    for line in text.split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def keys(c):
    return {k.decode() for k in c.execute("KEYS", "*")}


def test_idle_when_maxmemory_is_zero():
    e = Ember(maxmemory_policy="allkeys-lru")
    c = e.client()
    c.execute("SET", "a", "1")
    assert type(e.server.dbs[0].data) is dict
    assert type(e.server.dbs[0].atime) is dict
    assert not e.server.gated


def test_allkeys_lru_evicts_least_recently_used():
    e, c = make("allkeys-lru", maxmemory_samples=10)
    clock = e.server.clock
    for i in range(100):
        c.execute("SET", "key:%03d" % i, VAL)
        clock.advance(1)
    for i in range(50, 100):                # touch the second half
        c.execute("GET", "key:%03d" % i)
    clock.advance(1)
    budget(c, 80)
    c.execute("SET", "key:new", VAL)
    left = keys(c)
    assert e.server.stats.evicted_keys >= 20
    touched = {"key:%03d" % i for i in range(50, 100)}
    assert touched <= left
    assert "key:new" in left


def test_allkeys_lfu_keeps_frequent_keys():
    e, c = make("allkeys-lfu", maxmemory_samples=10)
    for i in range(100):
        c.execute("SET", "key:%03d" % i, VAL)
    for _ in range(20):
        for i in range(0, 100, 2):         # even keys are hot
            c.execute("GET", "key:%03d" % i)
    assert c.execute("OBJECT", "FREQ", "key:000") > 5
    assert c.execute("OBJECT", "FREQ", "key:001") == 5
    assert c.execute("OBJECT", "FREQ", "key:001") == 5       # OBJECT FREQ does not touch
    budget(c, 70)
    c.execute("SET", "key:zzz", VAL)
    left = keys(c)
    hot = {"key:%03d" % i for i in range(0, 100, 2)}
    assert len(hot & left) >= 45            # sampled: nearly all hot keys survive
    assert e.server.stats.evicted_keys >= 30
    with pytest.raises(ReplyError, match="LFU maxmemory policy is selected"):
        c.execute("OBJECT", "IDLETIME", "key:000")


def test_lfu_counter_decays():
    e, c = make("allkeys-lfu", lfu_decay_time=1)
    c.execute("SET", "k", "v")
    for _ in range(50):
        c.execute("GET", "k")
    f = c.execute("OBJECT", "FREQ", "k")
    assert f > 5
    e.server.clock.advance(60 * 3)
    assert c.execute("OBJECT", "FREQ", "k") == f - 3


def test_allkeys_random_evicts_some():
    e, c = make("allkeys-random")
    for i in range(100):
        c.execute("SET", "key:%03d" % i, VAL)
    budget(c, 50)
    c.execute("SET", "key:new", VAL)
    assert 45 <= c.execute("DBSIZE") <= 52
    assert e.server.stats.evicted_keys >= 49


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"])
def test_volatile_policies_only_evict_keys_with_ttl(policy):
    e, c = make(policy)
    for i in range(100):
        if i % 2:
            c.execute("SET", "key:%03d" % i, VAL, "EX", 1000 + i)
        else:
            c.execute("SET", "key:%03d" % i, VAL)
    budget(c, 70, extra_ttl=20)
    c.execute("SET", "key:new", VAL)
    left = keys(c)
    persistent = {"key:%03d" % i for i in range(0, 100, 2)} | {"key:new"}
    assert persistent <= left
    assert len(left) < 101
    # No volatile key left to evict and still over the limit: OOM.
    c.execute("CONFIG", "SET", "maxmemory", ev.BASE_OVERHEAD + 10 * PER_KEY)
    with pytest.raises(ReplyError) as ei:
        c.execute("SET", "x", "y")
    assert str(ei.value.message) == OOM
    assert c.execute("GET", "key:000") == VAL       # reads still work
    assert c.execute("DEL", "key:000") == 1         # DEL is not denyoom


def test_volatile_ttl_evicts_soonest_expiring_first():
    e, c = make("volatile-ttl", maxmemory_samples=10)
    for i in range(100):
        c.execute("SET", "key:%03d" % i, VAL, "EX", 10000 + i)
    budget(c, 60, extra_ttl=60)
    c.execute("SET", "key:new", VAL)
    left = keys(c) - {"key:new"}
    later = {"key:%03d" % i for i in range(70, 100)}
    assert later <= left
    assert len(left) <= 60


def test_noeviction_oom_text_and_denyoom_only():
    e, c = make("noeviction")
    for i in range(20):
        c.execute("SET", "key:%03d" % i, VAL)
    budget(c, 10)
    with pytest.raises(ReplyError) as ei:
        c.execute("SET", "another", "x")
    assert ei.value.message == OOM
    assert c.execute("DBSIZE") == 20
    assert c.execute("GET", "key:001") == VAL
    assert c.execute("DEL", "key:001") == 1
    c.execute("MULTI")
    with pytest.raises(ReplyError):
        c.execute("SET", "a", "b")
    with pytest.raises(ReplyError, match="EXECABORT"):
        c.execute("EXEC")
    assert info(c, "stats")["evicted_keys"] == "0"


def test_evicted_keyspace_events():
    e, c = make("allkeys-random")
    sub = e.client()
    c.execute("CONFIG", "SET", "notify-keyspace-events", "Ee")
    sub.execute("SUBSCRIBE", "__keyevent@0__:evicted")
    sub.pushes.clear()
    for i in range(30):
        c.execute("SET", "key:%03d" % i, VAL)
    budget(c, 20)
    c.execute("SET", "key:x", VAL)
    n = e.server.stats.evicted_keys
    assert n >= 10
    data = b"".join(sub.pushes)
    assert data.count(b"__keyevent@0__:evicted") == n


def test_info_fields_and_memory_usage():
    e, c = make("allkeys-lru")
    for i in range(10):
        c.execute("SET", "key:%03d" % i, VAL)
    budget(c, 5)
    c.execute("SET", "key:x", VAL)
    m = info(c, "memory")
    assert m["maxmemory_policy"] == "allkeys-lru"
    assert int(m["maxmemory"]) == e.server.config.maxmemory
    assert int(m["used_memory"]) <= int(m["maxmemory"]) + PER_KEY    # evicts before a write
    assert m["maxmemory_human"].endswith(("K", "M"))
    assert m["mem_not_counted_for_evict"] == "0"
    assert int(m["used_memory_dataset"]) == int(m["used_memory"]) - ev.BASE_OVERHEAD
    s = info(c, "stats")
    assert int(s["evicted_keys"]) == e.server.stats.evicted_keys > 0
    assert s["evicted_clients"] == "0"
    assert "total_eviction_exceeded_time" in s
    assert c.execute("MEMORY", "USAGE", "key:x") == PER_KEY - ev.bytes_size(7) + ev.bytes_size(5)
    pairs = [x for i in range(50) for x in ("f%d" % i, "v" * 20)]
    c.execute("HSET", "h", *pairs)                       # listpack: one packed bytes object
    packed = c.execute("MEMORY", "USAGE", "h")
    assert 50 * 24 < packed < 50 * 40
    assert c.execute("MEMORY", "USAGE", "h", "SAMPLES", "0") == packed
    c.execute("CONFIG", "SET", "hash-max-listpack-entries", "10")
    c.execute("HSET", "h2", *pairs)                      # hashtable: a dict and 100 objects
    assert c.execute("OBJECT", "ENCODING", "h2") == b"hashtable"
    assert c.execute("MEMORY", "USAGE", "h2") > 50 * 100
    assert c.execute("MEMORY", "USAGE", "h2", "SAMPLES", "0") > 50 * 100
    assert c.execute("MEMORY", "USAGE", "nosuch") is None


def test_collections_grow_in_place_are_accounted():
    e, c = make("allkeys-lru")
    c.execute("CONFIG", "SET", "maxmemory", "2mb")
    for i in range(200):
        c.execute("RPUSH", "list:%d" % (i % 50), "x" * 200)
    before = e.server.subsystems["eviction"].used_memory()
    for i in range(20000):
        c.execute("RPUSH", "biglist", "x" * 200)
    assert e.server.stats.evicted_keys > 0
    assert e.server.subsystems["eviction"].used_memory() <= 2 * 1024 * 1024 + 8192
    assert before > ev.BASE_OVERHEAD


def test_switching_off_and_flush():
    e, c = make("allkeys-lfu")
    c.execute("CONFIG", "SET", "maxmemory", "10mb")
    c.execute("SET", "a", "1")
    assert type(e.server.dbs[0].data) is ev.TrackedDict
    c.execute("FLUSHALL")
    c.execute("SET", "b", "2")
    e.server.subsystems["eviction"].used_memory()      # re-wraps replaced dicts
    assert type(e.server.dbs[0].data) is ev.TrackedDict
    assert type(e.server.dbs[0].atime) is ev.LFUClock
    c.execute("CONFIG", "SET", "maxmemory", "0")
    assert type(e.server.dbs[0].data) is dict
    assert type(e.server.dbs[0].atime) is ev.LFUClock    # LFU kept while the policy says so
    c.execute("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    assert type(e.server.dbs[0].atime) is dict
    assert c.execute("GET", "b") == b"2"


def test_object_idletime_under_lru():
    e, c = make("allkeys-lru")
    c.execute("CONFIG", "SET", "maxmemory", "10mb")
    c.execute("SET", "a", "1")
    e.server.clock.advance(7)
    assert c.execute("OBJECT", "IDLETIME", "a") == 7
    with pytest.raises(ReplyError, match="LFU maxmemory policy is not selected"):
        c.execute("OBJECT", "FREQ", "a")


def test_tenacity_limit_formula():
    assert ev.tenacity_limit_us(10) == 500
    assert ev.tenacity_limit_us(0) == 0
    assert ev.tenacity_limit_us(100) == float("inf")


def _rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_rss_stays_bounded_over_tcp(ember_server):
    """A write-only load of ~100 MB against maxmemory 20mb: keys are evicted and the RSS
    stays within maxmemory + startup RSS + 25% + 16 MB (the documented slack)."""
    from helpers import encode_command
    port = ember_server.port
    pid = ember_server.proc.pid
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    maxmem = 20 * 1024 * 1024

    def roundtrip(payload, nreplies):
        s.sendall(payload)
        buf = b""
        while buf.count(b"\r\n") < nreplies:
            buf += s.recv(1 << 20)
        return buf

    def bulk(payload):
        s.sendall(payload)
        buf = b""
        while b"\r\n" not in buf:
            buf += s.recv(1 << 16)
        head, _, rest = buf.partition(b"\r\n")
        n = int(head[1:])
        while len(rest) < n + 2:
            rest += s.recv(1 << 16)
        return rest[:n]
    roundtrip(encode_command("PING"), 1)
    startup_kb = _rss_kb(pid)
    roundtrip(encode_command("CONFIG", "SET", "maxmemory", str(maxmem)) +
              encode_command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), 2)
    value = os.urandom(1250).hex().encode()          # 2500 bytes
    peak_kb = 0
    t0 = time.monotonic()
    batch = 500
    total = 0
    for b in range(80):
        payload = b"".join(encode_command("SET", "key:%d:%d" % (b, i), value) for i in range(batch))
        reply = roundtrip(payload, batch)
        assert b"-OOM" not in reply
        total += batch
        if b % 5 == 0:
            peak_kb = max(peak_kb, _rss_kb(pid))
        if time.monotonic() - t0 > 15:
            break
    peak_kb = max(peak_kb, _rss_kb(pid))
    stats = bulk(encode_command("INFO", "stats"))
    s.close()
    assert total * len(value) > 3 * maxmem
    evicted = int(stats.split(b"evicted_keys:")[1].split(b"\r\n")[0])
    assert evicted > total // 2
    slack_kb = (maxmem // 4) // 1024 + 16 * 1024
    print("RSS startup %d kB peak %d kB total %d evicted %d" % (startup_kb, peak_kb, total, evicted))
    assert peak_kb <= startup_kb + maxmem // 1024 + slack_kb, (peak_kb, startup_kb)
