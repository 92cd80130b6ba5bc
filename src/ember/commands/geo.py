"""Geo commands: GEOADD GEOPOS GEODIST GEOHASH GEOSEARCH GEOSEARCHSTORE GEORADIUS
GEORADIUSBYMEMBER (+ _RO variants).

Geo sets are sorted sets whose scores are 52-bit geohashes (datatypes.geohash), so ZRANGE &
co. work on them.  GEOADD is ZADD with encoded scores (and propagates as that ZADD).  The
search walks Redis' nine cells in Redis' order and filters by exact distance, so unsorted
replies come out in the same order as Redis'.  Coordinates are printed as Redis'
"human" long doubles (%.17Lf with trailing zeros trimmed), distances with 4 decimals.
"""

from decimal import Decimal

from .. import errors
from ..datatypes import geohash as G
from ..datatypes.zsettype import ZSetValue
from ..keyspace import notify as N
from ..protocol.replies import NULL_ARRAY, Raw, ReplyError
from .args import parse_float, parse_int
from .registry import command
from . import zsets as Z

_UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}


def human_double(c, d: float):
    s = format(Decimal(d), ".17f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s == "-0":
        s = "0"
    b = s.encode()
    if c.resp3:
        return Raw(b"," + b + b"\r\n")
    return b


def distance_reply(d: float) -> bytes:
    return b"%.4f" % d


def _unit(raw) -> float:
    u = _UNITS.get(raw.lower())
    if u is None:
        raise ReplyError("ERR unsupported unit provided. please use M, KM, FT, MI")
    return u


def _lonlat(a, b):
    lon = parse_float(a)
    lat = parse_float(b)
    if lon < G.LON_MIN or lon > G.LON_MAX or lat < G.LAT_MIN or lat > G.LAT_MAX:
        raise ReplyError("ERR invalid longitude,latitude pair %f,%f" % (lon, lat))
    return lon, lat


def _zset(c, key):
    return c.db.get_typed(key, ZSetValue)


@command("geoadd")
def geoadd(c, argv):
    """GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]"""
    i = 2
    nx = xx = False
    while i < len(argv):
        o = argv[i].lower()
        if o == b"nx":
            nx = True
        elif o == b"xx":
            xx = True
        elif o != b"ch":
            break
        i += 1
    if (len(argv) - i) % 3 or (nx and xx):
        raise ReplyError(errors.SYNTAX)
    zargv = [b"zadd"] + list(argv[1:i])
    for j in range(i, len(argv), 3):
        lon, lat = _lonlat(argv[j], argv[j + 1])
        bits = G.encode(lon, lat)
        zargv.append(b"%d" % bits)
        zargv.append(argv[j + 2])
    c.server.propagate_as(zargv)
    return Z._zadd_generic(c, zargv, 2, False)


@command("geopos")
def geopos(c, argv):
    """GEOPOS key [member [member ...]]"""
    zv = _zset(c, argv[1])
    out = []
    for m in argv[2:]:
        s = zv.score(m) if zv is not None else None
        if s is None:
            out.append(NULL_ARRAY)
            continue
        x, y = G.decode_score(s)
        out.append([human_double(c, x), human_double(c, y)])
    return out


@command("geodist")
def geodist(c, argv):
    """GEODIST key member1 member2 [M | KM | FT | MI]"""
    to_m = 1.0
    if len(argv) == 5:
        to_m = _unit(argv[4])
    elif len(argv) > 5:
        raise ReplyError(errors.SYNTAX)
    zv = _zset(c, argv[1])
    if zv is None:
        return None
    s1 = zv.score(argv[2])
    s2 = zv.score(argv[3])
    if s1 is None or s2 is None:
        return None
    x1, y1 = G.decode_score(s1)
    x2, y2 = G.decode_score(s2)
    return distance_reply(G.distance(x1, y1, x2, y2) / to_m)


@command("geohash")
def geohash_(c, argv):
    """GEOHASH key [member [member ...]]"""
    zv = _zset(c, argv[1])
    out = []
    for m in argv[2:]:
        s = zv.score(m) if zv is not None else None
        out.append(None if s is None else G.geohash_string(s))
    return out


# ---- search --------------------------------------------------------------------------------
RADIUS_COORDS, RADIUS_MEMBER, GEOSEARCH, GEOSEARCHSTORE, NOSTORE = 1, 2, 4, 8, 16


def _distance_arg(raw, what="radius"):
    try:
        d = parse_float(raw)
    except ReplyError:
        raise ReplyError("ERR need numeric %s" % what) from None
    return d


def _member_pos(zv, member):
    s = zv.score(member)
    if s is None:
        raise ReplyError("ERR could not decode requested zset member")
    return G.decode_score(s)


def _search(zv, shape):
    """Matching (dist_m, score, member, lon, lat) in Redis' discovery order."""
    kind, x, y, conv, a, b = shape
    if kind == "circle":
        radius_m = a * conv
        width_m = height_m = None
        bounds = G.bounding_box(x, y, radius_m, radius_m)
        est = radius_m
    else:
        width_m, height_m = a * conv, b * conv
        bounds = G.bounding_box(x, y, width_m / 2, height_m / 2)
        est = ((a / 2) * (a / 2) + (b / 2) * (b / 2)) ** 0.5 * conv
    cells = G.search_cells(x, y, est, bounds)
    out = []
    last = None
    decode = G.decode_score
    dist = G.distance
    circle = kind == "circle"
    # Cheap exact-safe prefilter: a point further in latitude than the radius (with a
    # margin far above rounding error) is further than the radius on the sphere too.
    lat_span = (radius_m / G.EARTH_RADIUS) / G.D_R * (1 + 1e-9) + 1e-12 if circle else 0.0
    lat_lo, lat_hi = y - lat_span, y + lat_span
    for i, (bits, step) in enumerate(cells):
        if bits == 0 and step == 0:
            continue
        if last is not None and last != 0 and (bits, step) == cells[last]:
            continue
        lo, hi = G.cell_score_range(bits, step)
        for m, s in zv.range_by_score(float(lo), float(hi), False, True):
            px, py = decode(s)
            if circle:
                if py < lat_lo or py > lat_hi:
                    continue
                d = dist(x, y, px, py)
                if d > radius_m:
                    continue
            else:
                if G.lat_distance(py, y) > height_m / 2:
                    continue
                if G.distance(px, py, x, py) > width_m / 2:
                    continue
                d = G.distance(x, y, px, py)
            out.append((d, s, m, px, py))
        last = i
    return out


def _search_any(zv, shape, limit):
    """Like _search but stops once ``limit`` points were found (COUNT ... ANY)."""
    res = _search(zv, shape)  # Redis stops scanning early; the first ``limit`` agree
    return res[:limit]


def _georadius_generic(c, argv, flags):
    src_idx = 1
    storekey = None
    storedist = False
    db = c.db
    if flags & GEOSEARCH:
        src_idx = 2 if flags & GEOSEARCHSTORE else 1
    zv = _zset(c, argv[src_idx])
    shape = None
    x = y = None
    conv = 1.0
    kind = None
    a = b = 0.0
    if flags & RADIUS_COORDS:
        base = 6
        x, y = _lonlat(argv[2], argv[3])
        a = _distance_arg(argv[4])
        if a < 0:
            raise ReplyError("ERR radius cannot be negative")
        conv = _unit(argv[5])
        kind = "circle"
    elif flags & RADIUS_MEMBER:
        base = 5
        if zv is not None:
            x, y = _member_pos(zv, argv[2])
            a = _distance_arg(argv[3])
            if a < 0:
                raise ReplyError("ERR radius cannot be negative")
            conv = _unit(argv[4])
            kind = "circle"
    else:
        base = 3 if flags & GEOSEARCHSTORE else 2
        if flags & GEOSEARCHSTORE:
            storekey = argv[1]
    withdist = withhash = withcoord = anyf = False
    frommember = fromloc = byradius = bybox = False
    sort = 0
    count = 0
    rem = len(argv) - base
    i = 0
    while i < rem:
        arg = argv[base + i].lower()
        j = base + i
        if arg == b"withdist":
            withdist = True
        elif arg == b"withhash":
            withhash = True
        elif arg == b"withcoord":
            withcoord = True
        elif arg == b"any":
            anyf = True
        elif arg == b"asc":
            sort = 1
        elif arg == b"desc":
            sort = -1
        elif arg == b"count" and i + 1 < rem:
            count = parse_int(argv[j + 1])
            if count <= 0:
                raise ReplyError("ERR COUNT must be > 0")
            i += 1
        elif arg in (b"store", b"storedist") and i + 1 < rem and not flags & (NOSTORE | GEOSEARCH):
            storekey = argv[j + 1]
            storedist = arg == b"storedist"
            i += 1
        elif arg == b"storedist" and flags & GEOSEARCH and flags & GEOSEARCHSTORE:
            storedist = True
        elif arg == b"frommember" and i + 1 < rem and flags & GEOSEARCH and not fromloc:
            if zv is not None:
                x, y = _member_pos(zv, argv[j + 1])
            frommember = True
            i += 1
        elif arg == b"fromlonlat" and i + 2 < rem and flags & GEOSEARCH and not frommember:
            x, y = _lonlat(argv[j + 1], argv[j + 2])
            fromloc = True
            i += 2
        elif arg == b"byradius" and i + 2 < rem and flags & GEOSEARCH and not bybox:
            a = _distance_arg(argv[j + 1])
            if a < 0:
                raise ReplyError("ERR radius cannot be negative")
            conv = _unit(argv[j + 2])
            kind = "circle"
            byradius = True
            i += 2
        elif arg == b"bybox" and i + 3 < rem and flags & GEOSEARCH and not byradius:
            try:
                a = parse_float(argv[j + 1])
            except ReplyError:
                raise ReplyError("ERR need numeric width") from None
            try:
                b = parse_float(argv[j + 2])
            except ReplyError:
                raise ReplyError("ERR need numeric height") from None
            if a < 0 or b < 0:
                raise ReplyError("ERR height or width cannot be negative")
            conv = _unit(argv[j + 3])
            kind = "box"
            bybox = True
            i += 3
        else:
            raise ReplyError(errors.SYNTAX)
        i += 1
    name = argv[0].decode("utf-8", "replace")
    if storekey is not None and (withdist or withhash or withcoord):
        raise ReplyError("ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
                         % ("GEOSEARCHSTORE" if flags & GEOSEARCHSTORE else "STORE option in GEORADIUS"))
    if flags & GEOSEARCH and not (frommember or fromloc):
        raise ReplyError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s" % name)
    if flags & GEOSEARCH and not (byradius or bybox):
        raise ReplyError("ERR exactly one of BYRADIUS and BYBOX can be specified for %s" % name)
    if anyf and not count:
        raise ReplyError("ERR the ANY argument requires COUNT argument")
    server = c.server
    if zv is None:
        if storekey is not None:
            if db.delete(storekey):
                server.notify(N.GENERIC, b"del", storekey, db)
                server.dirty += 1
            return 0
        return []
    if count and not sort and not anyf:
        sort = 1
    shape = (kind, x, y, conv, a, b)
    found = _search_any(zv, shape, count) if anyf else _search(zv, shape)
    if not found and storekey is None:
        return []
    if sort == 1:
        found.sort(key=lambda t: t[0])
    elif sort == -1:
        found.sort(key=lambda t: t[0], reverse=True)
    if count and len(found) > count:
        found = found[:count]
    if storekey is None:
        out = []
        opts = withdist or withhash or withcoord
        for d, s, m, px, py in found:
            if not opts:
                out.append(m)
                continue
            item = [m]
            if withdist:
                item.append(distance_reply(d / conv))
            if withhash:
                item.append(int(s))
            if withcoord:
                item.append([human_double(c, px), human_double(c, py)])
            out.append(item)
        return out
    if found:
        zs = ZSetValue.create(server.config, len(found), max(len(t[2]) for t in found))
        for d, s, m, px, py in found:
            zs.add(m, d / conv if storedist else s)
        db.set(storekey, zs)
        server.notify(N.ZSET, b"geosearchstore" if flags & GEOSEARCH else b"georadiusstore",
                      storekey, db)
        server.dirty += len(found)
        return len(found)
    if db.delete(storekey):
        server.notify(N.GENERIC, b"del", storekey, db)
        server.dirty += 1
    return 0


@command("georadius")
def georadius(c, argv):
    """GEORADIUS key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST]
    [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]"""
    return _georadius_generic(c, argv, RADIUS_COORDS)


@command("georadius_ro")
def georadius_ro(c, argv):
    """GEORADIUS_RO key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST]
    [WITHHASH] [COUNT count [ANY]] [ASC | DESC]"""
    return _georadius_generic(c, argv, RADIUS_COORDS | NOSTORE)


@command("georadiusbymember")
def georadiusbymember(c, argv):
    """GEORADIUSBYMEMBER key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST]
    [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]"""
    return _georadius_generic(c, argv, RADIUS_MEMBER)


@command("georadiusbymember_ro")
def georadiusbymember_ro(c, argv):
    """GEORADIUSBYMEMBER_RO key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST]
    [WITHHASH] [COUNT count [ANY]] [ASC | DESC]"""
    return _georadius_generic(c, argv, RADIUS_MEMBER | NOSTORE)


@command("geosearch")
def geosearch(c, argv):
    """GEOSEARCH key <FROMMEMBER member | FROMLONLAT longitude latitude>
    <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>>
    [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]"""
    return _georadius_generic(c, argv, GEOSEARCH)


@command("geosearchstore")
def geosearchstore(c, argv):
    """GEOSEARCHSTORE destination source <FROMMEMBER member | FROMLONLAT longitude latitude>
    <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>>
    [ASC | DESC] [COUNT count [ANY]] [STOREDIST]"""
    return _georadius_generic(c, argv, GEOSEARCH | GEOSEARCHSTORE)
