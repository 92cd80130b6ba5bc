"""The active-expiry wheel: stale entries are compacted a slice at a time (never one long
rebuild), the invariant (every key with a TTL is filed in the bucket of its expiry second)
holds at every step, and active expiry still frees every key."""

from ember.clock import ManualClock
from ember.embedded import Ember
from ember.keyspace.expiry import ExpiryWheel


def _filed_in_own_bucket(wheel, expires):
    for key, when in expires.items():
        assert key in wheel.buckets.get(when // 1000, ()), key


def test_refreshed_ttls_are_compacted_in_slices():
    clock = ManualClock()
    e = Ember(clock=clock)
    c = e.client()
    db = e.server.dbs[0]
    n = 3000
    for rnd in range(4):            # a cache refreshing its TTLs: 3 stale entries per key
        for i in range(n):
            c.execute("SET", "k%d" % i, "v", "PX", str(100_000 + rnd * 7_000 + i))
    wheel = db.wheel
    assert wheel.entries == 4 * n
    assert wheel.needs_compaction(len(db.expires))
    steps = 0
    while not wheel.compact(db.expires, lambda: True):   # deadline hit after every slice
        steps += 1
        _filed_in_own_bucket(wheel, db.expires)
        assert steps < 100
    assert steps >= (4 * n) // ExpiryWheel.SLICE - 1      # really done in several slices
    assert wheel.entries == n
    _filed_in_own_bucket(wheel, db.expires)
    assert not wheel.needs_compaction(len(db.expires))
    # everything still expires through the wheel alone
    clock._t += 200
    e.server.active_expire_enabled = True
    for _ in range(1000):
        if not db.data:
            break
        e.server.active_expire()
    assert not db.data and not db.expires


def test_compaction_runs_from_the_cron():
    clock = ManualClock()
    e = Ember(clock=clock)
    c = e.client()
    db = e.server.dbs[0]
    for rnd in range(3):
        for i in range(20000):
            c.execute("SET", "k%d" % i, "v", "EX", str(1000 + rnd * 100))
    c.execute("PERSIST", "k0")
    for _ in range(2000):
        e.cron()
        if not db.wheel.needs_compaction(len(db.expires)):
            break
    assert db.wheel.entries == len(db.expires) == 19999
    assert c.execute("TTL", "k5") == 1200
    assert c.execute("TTL", "k0") == -1


def test_compaction_also_runs_while_active_expiry_is_off():
    e = Ember(clock=ManualClock())
    c = e.client()
    db = e.server.dbs[0]
    e.server.active_expire_enabled = False      # DEBUG SET-ACTIVE-EXPIRE 0
    for rnd in range(3):
        for i in range(2000):
            c.execute("SET", "k%d" % i, "v", "EX", str(1000 + rnd * 100))
    for _ in range(500):
        e.cron()
        if not db.wheel.needs_compaction(len(db.expires)):
            break
    assert db.wheel.entries == len(db.expires) == 2000
    assert len(db.data) == 2000


def test_tables_shrink_after_mass_expiry_in_small_steps():
    """Python dicts never shrink on delete: once a db's tables are mostly empty the cron
    rebuilds them, and empties each replaced table by slices (never one long free), and
    never in a tick whose expiry pass had work."""
    import sys
    clock = ManualClock()
    e = Ember(clock=clock)
    server = e.server
    c = e.client()
    db = server.dbs[0]
    server.SHRINK_POP_SLICE = 64
    for i in range(300):
        c.execute("SET", "keep%d" % i, "v")
    for i in range(60000):
        c.execute("SET", "k%d" % i, "v", "PX", "1000")
    big = sys.getsizeof(db.data)
    clock._t += 2
    replaced = []
    orig = server.shrink_tables
    steps = []

    def shrink():
        steps.append(server.expire_pass_seconds)
        if not server._shrink_grave:
            replaced.extend((name, getattr(db, name)) for name in ("data", "expires", "atime"))
        return orig()
    server.shrink_tables = shrink
    for _ in range(5000):
        e.cron()
        if len(db.data) == 300 and not server._shrink_grave and sys.getsizeof(db.data) < big // 8:
            break
    assert len(db.data) == 300 and c.execute("GET", "keep7") == b"v"
    assert sys.getsizeof(db.data) < big // 8
    assert not server._shrink_grave
    assert all(t < 0.001 for t in steps)          # never after an expiry pass with work
    # the replaced tables were emptied (by slices: several steps each) and freed
    old = [d for name, d in replaced if name == "data" and d is not db.data]
    assert old and all(len(d) == 0 for d in old)
    assert len(steps) >= 300 // 64


def test_active_expiry_stats_in_info():
    """INFO stats' expire_cycle_cpu_milliseconds, expired_time_cap_reached_count and
    expired_stale_perc follow the active expiry passes."""
    from ember.commands.server import info_fields
    clock = ManualClock()
    e = Ember(clock=clock)
    server = e.server
    c = e.client()
    for i in range(5000):
        c.execute("SET", "k%d" % i, "v", "PX", "1000")
    for i in range(5000):
        c.execute("SET", "p%d" % i, "v", "PX", "100000")
    clock._t += 5
    server.EXPIRE_PASS_SECONDS = 0.0005     # several capped passes
    server.cron()
    st = info_fields(server, "stats")[1]
    assert st["expired_time_cap_reached_count"] >= 1
    assert 0.0 < float(st["expired_stale_perc"]) <= 5.0     # ~50% due, smoothed (x0.05)
    server.EXPIRE_PASS_SECONDS = 1.0
    for _ in range(50):
        server.cron()
    st = info_fields(server, "stats")[1]
    assert st["expired_keys"] == 5000 and c.execute("DBSIZE") == 5000
    assert st["expire_cycle_cpu_milliseconds"] >= 1
    assert float(st["expired_stale_perc"]) < 1.0            # decays once nothing is due
