"""Differential tests: bitmap, HyperLogLog and geo commands sent to ember and to the
redis-server oracle (RESP2 and RESP3), raw replies compared byte for byte.

HLL values are compared as the bytes GET returns (Redis' own layout) after the same PFADDs.
Known oracle differences, tested in tests/commands instead: Redis 7.0 answers BITCOUNT /
BITPOS on a missing key before checking the arguments (7.2 checks them first), and prints
stored doubles (ZRANGE ... WITHSCORES of STOREDIST results) with %.17g where 7.2 uses the
shortest form; ``normalise`` from the zset diff test canonicalises those.
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from helpers import RawConn
from test_zsets_diff import EmbeddedRaw, normalise  # noqa: F401


@pytest.fixture(scope="module")
def ember_conn_factory(request):
    try:
        import ember.server.network  # noqa: F401
    except ImportError:
        from ember.embedded import Ember
        server = Ember().server
        return lambda: EmbeddedRaw(server)
    proc = request.getfixturevalue("ember_shared")
    return lambda: RawConn(proc.port)


@pytest.fixture(scope="module")
def conns(redis_oracle, ember_conn_factory):
    pairs = {}
    for proto in (2, 3):
        e = ember_conn_factory()
        r = RawConn(redis_oracle.port)
        for conn in (e, r):
            conn.call("SELECT", "10")
            conn.call("FLUSHDB")
            if proto == 3:
                conn.call("HELLO", "3")
        pairs[proto] = (e, r)
    yield pairs
    for e, r in pairs.values():
        e.call("FLUSHDB")
        r.call("FLUSHDB")
        e.close()
        r.close()


def _check(conns, proto, cmds, norm=False):
    e, r = conns[proto]
    for cmd in cmds:
        got, want = e.call(*cmd), r.call(*cmd)
        if norm:
            got, want = normalise(got), normalise(want)
        assert got == want, (proto, cmd, got, want)


def _flush(conns):
    for e, r in conns.values():
        e.call("FLUSHDB")
        r.call("FLUSHDB")


BIT_CASES = [
    ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "-1", "1"),
    ("SETBIT", "b", "x", "1"), ("SETBIT", "b", "1", "2"), ("SETBIT", "b", "4294967296", "1"),
    ("SETBIT", "b", "100", "1"), ("GETBIT", "b", "100"), ("GETBIT", "b", "1000"),
    ("GETBIT", "nokey", "3"), ("OBJECT", "ENCODING", "b"), ("GET", "b"),
    ("SET", "s", "foobar"), ("BITCOUNT", "s"), ("BITCOUNT", "s", "1", "1"),
    ("BITCOUNT", "s", "-2", "-1"), ("BITCOUNT", "s", "5", "30", "BIT"), ("BITCOUNT", "s", "1"),
    ("BITCOUNT", "s", "0", "1", "WORD"), ("BITCOUNT", "s", "a", "1"),
    ("BITPOS", "s", "1"), ("BITPOS", "s", "0", "2", "-1"), ("BITPOS", "s", "1", "7", "15", "BIT"),
    ("BITPOS", "s", "2"), ("BITPOS", "nokey", "0"), ("BITPOS", "nokey", "1"),
    ("SET", "ff", b"\xff\xff"), ("BITPOS", "ff", "0"), ("BITPOS", "ff", "0", "0", "-1"),
    ("BITPOS", "ff", "0", "1"),
    ("BITOP", "AND", "d", "s", "ff"), ("GET", "d"), ("BITOP", "OR", "d", "s", "ff", "nokey"),
    ("GET", "d"), ("BITOP", "XOR", "d", "s", "ff"), ("GET", "d"), ("BITOP", "NOT", "d", "s"),
    ("GET", "d"), ("BITOP", "NOT", "d", "s", "ff"), ("BITOP", "NAND", "d", "s"),
    ("BITOP", "AND", "d", "nokey"), ("EXISTS", "d"), ("HSET", "h", "a", "1"),
    ("SETBIT", "h", "1", "1"), ("BITCOUNT", "h"), ("BITOP", "AND", "d", "h"),
    ("BITFIELD", "bf", "SET", "i8", "0", "-100", "GET", "u8", "0", "INCRBY", "i8", "0", "-100"),
    ("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "-1000", "OVERFLOW", "FAIL",
     "INCRBY", "i8", "0", "-1"),
    ("BITFIELD", "bf", "SET", "u4", "#3", "15", "GET", "u4", "#3", "GET", "i64", "0"),
    ("BITFIELD", "bf", "GET", "u64", "0"), ("BITFIELD", "bf", "GET", "i65", "0"),
    ("BITFIELD", "bf", "GET", "I8", "0"), ("BITFIELD", "bf", "OVERFLOW", "X", "GET", "i8", "0"),
    ("BITFIELD", "bf", "FOO"), ("BITFIELD_RO", "bf", "GET", "i8", "0", "SET", "i8", "0", "1"),
    ("BITFIELD_RO", "bf", "GET", "i8", "0"), ("BITFIELD", "bf", "GET", "i8", "-1"),
    ("BITFIELD", "bf", "SET", "i8", "0", "x"), ("BITFIELD", "nok", "GET", "i8", "0"),
    ("EXISTS", "nok"), ("GET", "bf"),
]


@pytest.mark.parametrize("proto", [2, 3])
def test_bit_cases(conns, proto):
    _check(conns, proto, BIT_CASES)
    _flush(conns)


_field = st.tuples(st.sampled_from("iu"), st.integers(1, 64), st.booleans(), st.integers(0, 90),
                   st.sampled_from(["GET", "SET", "INCRBY", "OVERFLOW"]),
                   st.one_of(st.integers(-2 ** 63, 2 ** 63 - 1), st.integers(-300, 300)),
                   st.sampled_from(["WRAP", "SAT", "FAIL"]))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.binary(min_size=1, max_size=40),
       ranges=st.lists(st.tuples(st.integers(-60, 60), st.integers(-60, 60),
                                 st.sampled_from([None, "BYTE", "BIT"])), max_size=4),
       fields=st.lists(_field, min_size=1, max_size=4))
def test_random_bits(conns, data, ranges, fields):
    cmds = [("SET", "rb", data)]
    for a, b, mode in ranges:
        extra = (mode,) if mode else ()
        cmds.append(("BITCOUNT", "rb", str(a), str(b)) + extra)
        cmds.append(("BITPOS", "rb", "1", str(a), str(b)) + extra)
        cmds.append(("BITPOS", "rb", "0", str(a)))
    ops = []
    for sign, bits, hashed, off, kind, val, ow in fields:
        if sign == "u" and bits == 64:
            bits = 63
        t = "%s%d" % (sign, bits)
        o = "#%d" % (off % 5) if hashed else str(off)
        if kind == "GET":
            ops += ["GET", t, o]
        elif kind == "OVERFLOW":
            ops += ["OVERFLOW", ow]
        else:
            ops += [kind, t, o, str(val)]
    cmds += [("BITFIELD", "rb") + tuple(ops), ("GET", "rb"), ("BITCOUNT", "rb"), ("BITPOS", "rb", "0")]
    _check(conns, 2, cmds)


# ---- HyperLogLog ---------------------------------------------------------------------------
HLL_CASES = [
    ("PFADD", "h"), ("GET", "h"), ("PFADD", "h", "a", "b", "c"), ("PFADD", "h", "a"),
    ("GET", "h"), ("PFCOUNT", "h"), ("GET", "h"), ("PFCOUNT", "h", "nokey"), ("PFCOUNT", "nokey"),
    ("PFDEBUG", "ENCODING", "h"), ("PFDEBUG", "DECODE", "h"), ("PFDEBUG", "DECODE", "nokey"),
    ("PFDEBUG", "FOO", "h"), ("SET", "s", "x"), ("PFADD", "s", "a"), ("PFCOUNT", "s"),
    ("PFCOUNT", "h", "s"), ("PFMERGE", "m", "s"), ("HSET", "hh", "a", "1"), ("PFADD", "hh", "a"),
    ("SET", "bad", b"HYLL\x01" + bytes(10) + b"\x80\x7f"), ("PFCOUNT", "bad"),
    ("PFADD", "bad", "zz"), ("PFCOUNT", "bad", "h"), ("PFMERGE", "m", "bad"),
    ("SET", "bad2", b"HYLL\x00" + bytes(11)), ("PFADD", "bad2", "a"),
    ("PFMERGE", "m", "h", "nokey"), ("GET", "m"), ("PFCOUNT", "m"),
    ("PFDEBUG", "TODENSE", "m"), ("PFDEBUG", "TODENSE", "m"), ("PFDEBUG", "ENCODING", "m"),
    ("PFDEBUG", "DECODE", "m"), ("GET", "m"), ("PFMERGE", "m2", "h", "m"), ("GET", "m2"),
]


@pytest.mark.parametrize("proto", [2, 3])
def test_hll_cases(conns, proto):
    _check(conns, proto, HLL_CASES)
    _flush(conns)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(batches=st.lists(st.lists(st.binary(max_size=20), max_size=40), min_size=1, max_size=6),
       big=st.sampled_from([0, 0, 0, 30, 300, 1200]))
def test_random_hll(conns, batches, big):
    cmds = []
    for i, batch in enumerate(batches):
        cmds.append(("PFADD", "rh%d" % (i % 3)) + tuple(batch))
        cmds.append(("GET", "rh%d" % (i % 3)))
    cmds.append(("PFADD", "rh0") + tuple(b"n%d" % j for j in range(big)))
    cmds += [("GET", "rh0"), ("PFCOUNT", "rh0"), ("GET", "rh0"), ("PFCOUNT", "rh0", "rh1", "rh2"),
             ("PFMERGE", "rm", "rh1", "rh0", "rh2"), ("GET", "rm"), ("PFCOUNT", "rm"),
             ("PFMERGE", "rh1", "rh2"), ("GET", "rh1"), ("DEL", "rh0", "rh1", "rh2", "rm")]
    _check(conns, 2, cmds)


# ---- geo -------------------------------------------------------------------------------------
GEO_SETUP = [("GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
              "2.349014", "48.864716", "Paris", "-0.118092", "51.509865", "London", "0", "0", "Null",
              "179.9", "85", "Far", "-179.9", "-85", "Farsouth")]
GEO_CASES = GEO_SETUP + [
    ("GEOADD", "g", "181", "0", "x"), ("GEOADD", "g", "0", "86", "x"), ("GEOADD", "g", "a", "0", "x"),
    ("GEOADD", "g", "NX", "XX", "1", "2", "x"), ("GEOADD", "g", "CH", "1", "2", "Null", "1", "2", "new"),
    ("GEOADD", "g", "1", "2"), ("GEOPOS", "g", "Palermo", "nope", "Far", "Farsouth"),
    ("GEOPOS", "nokey", "a"), ("GEOHASH", "g", "Palermo", "Catania", "nope", "Far", "Farsouth"),
    ("GEOHASH", "nokey", "a"),
    ("GEODIST", "g", "Palermo", "Catania"), ("GEODIST", "g", "Paris", "London", "km"),
    ("GEODIST", "g", "Paris", "London", "mi"), ("GEODIST", "g", "Paris", "London", "FT"),
    ("GEODIST", "g", "Paris", "nope"), ("GEODIST", "g", "Paris", "London", "yd"),
    ("GEODIST", "g", "Paris", "London", "km", "x"), ("GEODIST", "nokey", "a", "b"),
    ("GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC", "WITHDIST",
     "WITHCOORD", "WITHHASH"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "BYRADIUS", "2000", "km"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "BYBOX", "4000", "4000", "km", "DESC", "WITHDIST"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "BYRADIUS", "20000", "km", "COUNT", "3"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "BYRADIUS", "20000", "km", "COUNT", "3", "ANY"),
    ("GEOSEARCH", "g", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "nokey", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"),
    ("GEOSEARCH", "g", "BYRADIUS", "1", "km", "ASC", "ASC"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "ASC", "ASC", "ASC"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "BYRADIUS", "1", "km", "ANY"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "BYRADIUS", "-1", "km"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "BYRADIUS", "x", "km"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "BYBOX", "1", "-1", "km"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "BYRADIUS", "1", "km", "COUNT", "0"),
    ("GEOSEARCH", "g", "FROMMEMBER", "Paris", "BYRADIUS", "1", "km", "STORE", "x"),
    ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Paris", "BYRADIUS", "2000", "km"),
    ("ZRANGE", "d", "0", "-1", "WITHSCORES"),
    ("GEOSEARCHSTORE", "d", "g", "FROMMEMBER", "Paris", "BYRADIUS", "1", "km", "WITHDIST"),
    ("GEOSEARCHSTORE", "d", "nokey", "FROMMEMBER", "Paris", "BYRADIUS", "1", "km"), ("EXISTS", "d"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "WITHDIST", "ASC"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d2"), ("ZRANGE", "d2", "0", "-1", "WITHSCORES"),
    ("GEORADIUS_RO", "g", "15", "37", "200", "km", "STORE", "d2"),
    ("GEORADIUSBYMEMBER", "g", "Paris", "500", "km", "WITHCOORD"),
    ("GEORADIUSBYMEMBER", "g", "nope", "500", "km"),
    ("GEORADIUSBYMEMBER_RO", "g", "London", "1000", "km", "DESC", "COUNT", "1"),
    ("GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d2", "WITHDIST"),
    ("SET", "str", "x"), ("GEOADD", "str", "1", "1", "a"), ("GEOPOS", "str", "a"),
]


@pytest.mark.parametrize("proto", [2, 3])
def test_geo_cases(conns, proto):
    _check(conns, proto, GEO_CASES, norm=True)
    _flush(conns)


_DIST = re.compile(rb"\$\d+\r\n(\d+\.\d{4})\r\n")
_lon = st.floats(-180, 180, allow_nan=False)
_lat = st.floats(-85.05, 85.05, allow_nan=False)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(pts=st.lists(st.tuples(st.floats(-1.0, 1.0), st.floats(-1.0, 1.0)), min_size=1, max_size=40),
       far=st.lists(st.tuples(_lon, _lat), max_size=10),
       centre=st.tuples(st.floats(-179, 179), st.floats(-84, 84)),
       radius=st.sampled_from(["100", "5000", "50000", "300000", "3000000"]),
       box=st.tuples(st.integers(1, 3000), st.integers(1, 3000)),
       proto=st.sampled_from([2, 3]))
def test_random_geo(conns, pts, far, centre, radius, box, proto):
    # Distinct points here; equal distances (ties) have their own test below.
    cx, cy = centre
    args = []
    seen = set()
    for i, (dx, dy) in enumerate(pts):
        xy = ("%.6f" % (cx + dx), "%.6f" % (cy + dy))
        if xy not in seen:
            seen.add(xy)
            args += [xy[0], xy[1], "p%d" % i]
    for i, (x, y) in enumerate(far):
        xy = ("%.6f" % x, "%.6f" % y)
        if xy not in seen:
            seen.add(xy)
            args += [xy[0], xy[1], "f%d" % i]
    c = ("%.6f" % cx, "%.6f" % cy)
    circle = ("FROMLONLAT",) + c + ("BYRADIUS", radius, "m")
    rect = ("FROMMEMBER", "p0", "BYBOX", str(box[0]), str(box[1]), "km")
    cmds = [("GEOADD", "rg") + tuple(args),
            ("GEOPOS", "rg", "p0", "f0"), ("GEOHASH", "rg", "p0", "f0"), ("GEODIST", "rg", "p0", "f0"),
            ("GEOSEARCH", "rg") + circle + ("WITHDIST", "WITHHASH"),
            ("GEOSEARCH", "rg") + rect + ("WITHDIST",),
            ("GEORADIUS", "rg") + c + (radius, "m", "COUNT", "4", "ANY")]
    _check(conns, proto, cmds, norm=True)
    # Sorted replies only when no two distances are equal (ties: test_geo_ties).
    sorted_cmds = [("GEOSEARCH", "rg") + circle + ("ASC", "WITHCOORD"),
                   ("GEOSEARCH", "rg") + rect + ("DESC", "COUNT", "5")]
    e = conns[proto][0]
    for shape in (circle, rect):
        dists = _DIST.findall(e.call("GEOSEARCH", "rg", *shape, "WITHDIST"))
        if len(dists) != len(set(dists)):
            sorted_cmds = []
    _check(conns, proto, sorted_cmds + [("DEL", "rg")], norm=True)


def test_geo_ties(conns):
    """Equal distances (several members at one position): with COUNT below the number of
    matches Redis orders them with its partial quicksort (pqsort, not stable), otherwise
    with glibc's stable qsort; ember replays the same element moves.  Sizes above 40
    exercise pqsort's ninther pivot; BYBOX, DESC, ANY and WITHDIST go the same way."""
    import random
    rng = random.Random(7)
    for trial in range(40):
        cx, cy = rng.uniform(-170, 170), rng.uniform(-80, 80)
        locs = [(cx + rng.uniform(-0.3, 0.3), cy + rng.uniform(-0.3, 0.3))
                for _ in range(rng.randint(1, 8))]
        args = []
        for _ in range(rng.randint(2, 90)):
            x, y = rng.choice(locs)
            args += ["%.6f" % x, "%.6f" % y, "m%d" % rng.randrange(1000)]
        c = ("%.6f" % cx, "%.6f" % cy)
        rad = rng.choice(["15", "40", "100"])
        cmds = [("DEL", "tg"), ("GEOADD", "tg") + tuple(args)]
        for order in ("ASC", "DESC"):
            for k in (1, 4, 9, 45):
                cmds.append(("GEOSEARCH", "tg", "FROMLONLAT") + c + ("BYRADIUS", rad, "km", order,
                                                                    "COUNT", str(k), "WITHDIST"))
            cmds.append(("GEOSEARCH", "tg", "FROMLONLAT") + c + ("BYBOX", rad, rad, "km", order,
                                                                "COUNT", "6"))
            cmds.append(("GEOSEARCH", "tg", "FROMLONLAT") + c + ("BYRADIUS", rad, "km", order))
            cmds.append(("GEORADIUS", "tg") + c + (rad, "km", "COUNT", "3", "ANY", order))
        _check(conns, 2, cmds)
    _check(conns, 2, [("DEL", "tg")])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_geo_dense(conns, seed):
    """Thousands of points, so that the searches split cells (several levels) before
    testing points: the nearest-first path (BYRADIUS ASC COUNT), the sorted one (DESC, BYBOX)
    and the unsorted one, next to the antimeridian and the poles too, some members sharing
    a position (ties), against redis-server."""
    import random
    rng = random.Random(seed)
    centres = [(rng.uniform(-175, 175), rng.uniform(-80, 80)) for _ in range(3)]
    centres += [(179.95, rng.uniform(-10, 10)), (-179.98, 84.9)]
    args = []
    n = 0
    for cx, cy in centres:
        spread = rng.choice([0.05, 0.5, 2.0])
        locs = []
        for _ in range(700):
            if locs and rng.random() < 0.03:
                x, y = rng.choice(locs)          # same position as an earlier member
            else:
                x = cx + rng.uniform(-spread, spread)
                y = max(-85.05, min(85.05, cy + rng.uniform(-spread, spread)))
                x = x - 360 if x > 180 else (x + 360 if x < -180 else x)
                locs.append((x, y))
            args += ["%.6f" % x, "%.6f" % y, "p%d" % n]
            n += 1
    cmds = [("DEL", "dg"), ("GEOADD", "dg") + tuple(args)]
    for cx, cy in centres:
        for _ in range(4):
            c = ("%.6f" % (cx + rng.uniform(-0.2, 0.2)),
                 "%.6f" % max(-85, min(85, cy + rng.uniform(-0.2, 0.2))))
            if abs(float(c[0])) > 180:
                c = ("%.6f" % cx, c[1])
            rad = rng.choice(["0.5", "3", "20", "100", "900"])
            k = str(rng.choice([1, 3, 10, 25, 120]))
            circle = ("GEOSEARCH", "dg", "FROMLONLAT") + c + ("BYRADIUS", rad, "km")
            cmds += [circle + ("ASC", "COUNT", k, "WITHDIST", "WITHCOORD", "WITHHASH"),
                     circle + ("COUNT", k),
                     circle + ("DESC", "COUNT", k, "WITHDIST"),
                     circle + ("ASC",),
                     ("GEOSEARCH", "dg", "FROMLONLAT") + c + ("BYBOX", rad, rad, "km", "ASC",
                                                            "COUNT", k, "WITHDIST"),
                     ("GEORADIUS", "dg") + c + (rad, "km", "ASC", "COUNT", k)]
    _check(conns, 2, cmds)
    _check(conns, 2, [("DEL", "dg")])
