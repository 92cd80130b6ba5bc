"""Geo commands: GEOADD GEOPOS GEODIST GEOHASH GEOSEARCH GEOSEARCHSTORE GEORADIUS
GEORADIUSBYMEMBER (+ _RO variants).

Geo sets are sorted sets whose scores are 52-bit geohashes (datatypes.geohash), so ZRANGE &
co. work on them.  GEOADD is ZADD with encoded scores (and propagates as that ZADD).  The
search walks Redis' nine cells in Redis' order and filters by exact distance, so unsorted
replies come out in the same order as Redis'.  Coordinates are printed as Redis'
"human" long doubles (%.17Lf with trailing zeros trimmed), distances with 4 decimals.
"""

import heapq
import math
from bisect import bisect_left
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


# A partial sub-cell (some points may match, some not) holding more points than this is
# split in four (at most _SPLIT_DEPTH levels below Redis' search step) before its points are
# tested one by one; the sorted search (COUNT) splits the cells it visits more eagerly.
_SPLIT_MIN = 48
_SPLIT_MIN_SORTED = 8
_SPLIT_DEPTH = 6


def _cells(zv, shape):
    """(roots, expand): the nodes of Redis' nine search cells in its discovery order (its
    cell order, duplicates skipped as Redis skips them) and a function giving a node's
    four sub-cells in ascending score order.  A node is
    (order, bits, step, lon0, lon1, lat0, lat1, a, b, state, lo, hi, depth): index
    positions [a, b) hold its points, state 1 when every point provably passes the shape
    test (0: test each point), lo/hi bounds of their distance from the centre in metres.
    Cells whose points provably all fail the test, and empty ones, get no node, which never
    changes which points match nor their order."""
    kind, x, y, conv, a_, b_ = shape
    circle = kind == "circle"
    if circle:
        radius_m = a_ * conv
        bounds = G.bounding_box(x, y, radius_m, radius_m)
        est = radius_m
        half_w = half_h = 0.0
    else:
        radius_m = 0.0
        half_w, half_h = a_ * conv / 2, b_ * conv / 2
        bounds = G.bounding_box(x, y, half_w, half_h)
        est = ((a_ / 2) * (a_ / 2) + (b_ / 2) * (b_ / 2)) ** 0.5 * conv
    bis = zv.index.bisect_left
    bounds_of = G.distance_bounder(x, y)
    box_state = G.box_cell_state

    def node(order, bits, step, lon0, lon1, lat0, lat1, a, b, depth):
        if a >= b:
            return None
        lo, hi = bounds_of(lon0, lon1, lat0, lat1)
        if circle:
            if lo > radius_m:
                return None
            state = 1 if hi < radius_m else 0
        else:
            state = box_state(x, y, half_w, half_h, lon0, lon1, lat0, lat1)
            if state < 0:
                return None
        return (order, bits, step, lon0, lon1, lat0, lat1, a, b, state, lo, hi, depth)

    def expand(n):
        order, bits, step, lon0, lon1, lat0, lat1, a, b, state, lo, hi, depth = n
        lat_m = (lat0 + lat1) / 2
        lon_m = (lon0 + lon1) / 2
        bits <<= 2
        step += 1
        depth += 1
        shift = 52 - step * 2
        p1 = bis((float((bits | 1) << shift), b""))
        p2 = bis((float((bits | 2) << shift), b""))
        p3 = bis((float((bits | 3) << shift), b""))
        # child code: longitude bit << 1 | latitude bit, ascending score order
        kids = (node(order, bits, step, lon0, lon_m, lat0, lat_m, a, p1, depth),
                node(order, bits | 1, step, lon0, lon_m, lat_m, lat1, p1, p2, depth),
                node(order, bits | 2, step, lon_m, lon1, lat0, lat_m, p2, p3, depth),
                node(order, bits | 3, step, lon_m, lon1, lat_m, lat1, p3, b, depth))
        return [k for k in kids if k is not None]

    roots = []
    for i, bits, step, lon0, lon1, lat0, lat1, lo_s, hi_s in G.search_roots(x, y, est, bounds):
        n = node(i, bits, step, lon0, lon1, lat0, lat1,
                 bis((float(lo_s), b"")), bis((float(hi_s), b"")), 0)
        if n is not None:
            roots.append(n)
    return roots, expand


def _splittable(n, min_points, partial_only=True):
    return ((not n[9] or not partial_only) and n[8] - n[7] > min_points
            and n[2] < G.STEP_MAX and n[12] < _SPLIT_DEPTH)


def _scanner(zv, shape):
    """A function scan(a, b, state, out, tag) appending the matches among index positions
    [a, b) to ``out`` as (dist_m, score, member, lon, lat) -- or, with ``tag`` (a leaf's
    discovery order), as (dist_m, tag, position, score, member, lon, lat)."""
    kind, x, y, conv, a_, b_ = shape
    circle = kind == "circle"
    radius_m = a_ * conv
    half_w, half_h = a_ * conv / 2, b_ * conv / 2
    islice = zv.index.islice
    decode = G.decode_score
    sin, cos, asin, sqrt = math.sin, math.cos, math.asin, math.sqrt
    D_R = G.D_R
    R = G.EARTH_RADIUS
    two_r = 2.0 * R
    lon1r = x * D_R
    lat1r = y * D_R
    cos1 = cos(lat1r)
    dist = G.distance
    # Cheap exact-safe prefilter: a point further in latitude than the radius (with a
    # margin far above rounding error) is further than the radius on the sphere too.
    lat_span = (radius_m / R) / D_R * (1 + 1e-9) + 1e-12 if circle else 0.0
    lat_lo, lat_hi = y - lat_span, y + lat_span

    def scan(a, b, state, out, tag=None):
        pos = a
        for s, m in islice(a, b):
            px, py = decode(s)
            if not state:
                if circle:
                    if py < lat_lo or py > lat_hi:
                        pos += 1
                        continue
                elif R * abs(py * D_R - lat1r) > half_h or dist(px, py, x, py) > half_w:
                    pos += 1
                    continue
            # G.distance(x, y, px, py) with the centre's terms hoisted (same operations)
            v = sin((px * D_R - lon1r) / 2)
            if v == 0.0:
                d = R * abs(py * D_R - lat1r)
            else:
                lat2r = py * D_R
                u = sin((lat2r - lat1r) / 2)
                d = two_r * asin(sqrt(u * u + cos1 * cos(lat2r) * v * v))
            if circle and not state and d > radius_m:
                pos += 1
                continue
            if tag is None:
                out.append((d, s, m, px, py))
            else:
                out.append((d, tag, pos, s, m, px, py))
            pos += 1

    return scan


def _search(zv, shape, limit=0):
    """Matching (dist_m, score, member, lon, lat) in Redis' discovery order; with ``limit``
    (COUNT ... ANY) the scan stops once that many were found, as Redis' does."""
    scan = _scanner(zv, shape)
    roots, expand = _cells(zv, shape)
    out = []
    # depth first, children in order (an explicit stack: a recursive closure would be a
    # reference cycle, see server/gcpolicy.py)
    todo = roots[::-1]
    while todo:
        n = todo.pop()
        if _splittable(n, _SPLIT_MIN):
            todo.extend(expand(n)[::-1])
            continue
        scan(n[7], n[8], n[9], out)
        if limit and len(out) >= limit:
            return out[:limit]
    return out


def _search_sorted(zv, shape, count, desc):
    """The first ``count`` matches sorted by distance (ascending, or descending if
    ``desc``), as Redis' search + pqsort gives them.  Cells are visited best-first (nearest
    lower bound first; farthest upper bound first for DESC), split while worth it, and the
    visit stops when no unvisited point can enter the result.  When distances tie around
    the result, the full discovery-ordered array goes through _pqsort, since Redis' order
    among equal distances comes from that sort."""
    scan = _scanner(zv, shape)
    roots, expand = _cells(zv, shape)
    found = []
    best = []   # min-heap of the best ``count`` keys (distance, negated for ASC)
    push, replace, pop = heapq.heappush, heapq.heapreplace, heapq.heappop
    if desc:
        todo = [(-n[11], n[0], n[7], n) for n in roots]
    else:
        todo = [(n[10], n[0], n[7], n) for n in roots]
    heapq.heapify(todo)
    cut = False   # stopped early: more (strictly worse) matches exist
    while todo:
        key, _, _, n = pop(todo)
        if len(best) >= count:
            if desc:
                cut = -key < best[0]
            else:
                cut = key > -best[0]
            if cut:
                break
        if _splittable(n, _SPLIT_MIN_SORTED, False):
            for k in expand(n):
                push(todo, (-k[11] if desc else k[10], k[0], k[7], k))
            continue
        n0 = len(found)
        scan(n[7], n[8], n[9], found, n[0])
        for t in found[n0:]:
            k = t[0] if desc else -t[0]
            if len(best) < count:
                push(best, k)
            elif k > best[0]:
                replace(best, k)
    if desc:
        found.sort(key=lambda t: (-t[0], t[1], t[2]))
    else:
        found.sort(key=lambda t: (t[0], t[1], t[2]))
    if cut or len(found) > count:
        full = _replay_ties(found, count, zv, shape, desc)
        if full is not None:
            return full
    # else everything matched and fits: Redis sorts it all with the C library's qsort, a
    # stable merge sort in glibc, so ties keep the discovery order (the sort above)
    return [(t[0], t[3], t[4], t[5], t[6]) for t in found[:count]]


# A cell with at most this many points is copied out of the index once (one positional
# lookup, sublist slices); its quarters are then found with C bisections of that list.
_SPAN_MAX = 4096


def _search_nearest(zv, shape, count):
    """The first ``count`` matches of a BYRADIUS search in ascending distance: what
    _search_sorted returns for ASC, for the common "k nearest" query, with less work per
    cell.  Cells are visited nearest-first by a lower bound of their distance only (the
    trigonometry of a split is shared by its four quarters, G.lower_bounder), cells of at
    most _SPAN_MAX points are copied out of the index once and split by bisecting that
    copy, and points are decoded and measured inline (the same float operations as
    G.decode_score and G.distance, so the same doubles)."""
    _, x, y, conv, r_, _ = shape
    radius_m = r_ * conv
    index = zv.index
    bis = index.bisect_left
    span = index.span
    lat_term, lon_term, low = G.lower_bounder(x, y)
    min_cos = G.min_cos
    sin, cos, asin, sqrt = math.sin, math.cos, math.asin, math.sqrt
    push, replace, pop = heapq.heappush, heapq.heapreplace, heapq.heappop
    d_r = G.D_R
    R = G.EARTH_RADIUS
    two_r = 2.0 * R
    lon1r = x * d_r
    lat1r = y * d_r
    cos1 = cos(lat1r)
    t = G.deint_table()
    lon_min, lat_min = G.LON_MIN, G.LAT_MIN
    lon_unit, lat_unit = G.LON_UNIT, G.LAT_UNIT
    split_min, split_depth, step_max = _SPLIT_MIN_SORTED, _SPLIT_DEPTH, G.STEP_MAX
    todo = []   # heap of cells: (lower bound, root order, first score, items, a, b, bits,
    #             step, lon0, lon1, lat0, lat1, cos(lat0), cos(lat1), depth); items is a
    #             copy of index positions [a, b) rebased to 0 (a, b: positions in it), or
    #             None (a, b: index positions)

    def cell(order, items, a, b, bits, step, lon0, lon1, lat0, lat1, c0, c1, depth, lo):
        if lo > radius_m:
            return
        push(todo, (lo, order, float(bits << (52 - step * 2)), items, a, b, bits, step,
                    lon0, lon1, lat0, lat1, c0, c1, depth))

    for i, bits, step, lon0, lon1, lat0, lat1, _, _ in G.search_roots(
            x, y, radius_m, G.bounding_box(x, y, radius_m, radius_m)):
        # index positions are looked up when the root is visited (a = -1 until then), so a
        # root too far to matter costs no lookup
        c0 = cos(lat0 * d_r)
        c1 = cos(lat1 * d_r)
        cell(i, None, -1, -1, bits, step, lon0, lon1, lat0, lat1, c0, c1, 0,
             low(lat_term(lat0, lat1), lon_term(lon0, lon1), min_cos(c0, c1)))
    found = []
    best = []     # min-heap of the negated distances of the best ``count`` matches
    nbest = 0
    cut = False   # stopped early: more (strictly farther) matches exist
    while todo:
        (lo, order, first, items, a, b, bits, step, lon0, lon1, lat0, lat1, c0, c1,
         depth) = pop(todo)
        if nbest >= count and lo > -best[0]:
            cut = True
            break
        if a < 0:
            a = bis((first, b""))
            b = bis((float((bits + 1) << (52 - step * 2)), b""))
            if a >= b:
                continue
        if items is None and b - a <= _SPAN_MAX:   # copied when visited, not when found
            items = span(a, b)
            a, b = 0, len(items)
        if b - a > split_min and step < step_max and depth < split_depth:
            lat_m = (lat0 + lat1) / 2
            lon_m = (lon0 + lon1) / 2
            cm = cos(lat_m * d_r)
            bits <<= 2
            step += 1
            depth += 1
            shift = 52 - step * 2
            k1 = (float((bits | 1) << shift), b"")
            k2 = (float((bits | 2) << shift), b"")
            k3 = (float((bits | 3) << shift), b"")
            if items is None:
                p1, p2, p3 = bis(k1), bis(k2), bis(k3)
            else:
                p1 = bisect_left(items, k1, a, b)
                p2 = bisect_left(items, k2, p1, b)
                p3 = bisect_left(items, k3, p2, b)
            s_s = lat_term(lat0, lat_m)     # south half
            s_n = lat_term(lat_m, lat1)     # north half
            t_w = lon_term(lon0, lon_m)     # west half
            t_e = lon_term(lon_m, lon1)     # east half
            m_s = min_cos(c0, cm)
            m_n = min_cos(cm, c1)
            # quarter code: longitude bit << 1 | latitude bit, ascending score order
            if a < p1:
                cell(order, items, a, p1, bits, step, lon0, lon_m, lat0, lat_m, c0, cm,
                     depth, low(s_s, t_w, m_s))
            if p1 < p2:
                cell(order, items, p1, p2, bits | 1, step, lon0, lon_m, lat_m, lat1, cm, c1,
                     depth, low(s_n, t_w, m_n))
            if p2 < p3:
                cell(order, items, p2, p3, bits | 2, step, lon_m, lon1, lat0, lat_m, c0, cm,
                     depth, low(s_s, t_e, m_s))
            if p3 < b:
                cell(order, items, p3, b, bits | 3, step, lon_m, lon1, lat_m, lat1, cm, c1,
                     depth, low(s_n, t_e, m_n))
            continue
        # G.decode_score(s), inline; the points of a cell of step >= 10 share their top 20
        # bits, so the two upper 16-bit chunks are looked up once.  (decode_score's clamps
        # are left out: a cell centre is never outside the ranges, see test_geo.py.)
        if step >= 10:
            v = bits << (52 - step * 2)
            hi = (t[(v >> 32) & 0xFFFF] << 16) | (t[v >> 48] << 24)
        else:
            hi = -1
        for s, m in (items[a:b] if items is not None else index.islice(a, b)):
            v = int(s)
            if hi >= 0:
                c = hi | t[v & 0xFFFF] | (t[(v >> 16) & 0xFFFF] << 8)
            else:
                c = (t[v & 0xFFFF] | (t[(v >> 16) & 0xFFFF] << 8)
                     | (t[(v >> 32) & 0xFFFF] << 16) | (t[v >> 48] << 24))
            ilat = c & 0xFFFFFFFF
            ilon = c >> 32
            px = ((lon_min + ilon * lon_unit) + (lon_min + (ilon + 1) * lon_unit)) / 2
            py = ((lat_min + ilat * lat_unit) + (lat_min + (ilat + 1) * lat_unit)) / 2
            # G.distance(x, y, px, py) with the centre's terms hoisted
            v = sin((px * d_r - lon1r) / 2)
            if v == 0.0:
                d = R * abs(py * d_r - lat1r)
            else:
                lat2r = py * d_r
                u = sin((lat2r - lat1r) / 2)
                d = two_r * asin(sqrt(u * u + cos1 * cos(lat2r) * v * v))
            if d > radius_m:
                continue
            found.append((d, order, s, m, px, py))
            if nbest < count:
                push(best, -d)
                nbest += 1
            elif -d > best[0]:
                replace(best, -d)
    # distance, then discovery order (cell order, then index order)
    found.sort()
    if cut or len(found) > count:
        full = _replay_ties(found, count, zv, shape, False)
        if full is not None:
            return full
    return [(f[0], f[2], f[3], f[4], f[5]) for f in found[:count]]


def _replay_ties(found, count, zv, shape, desc):
    """When equal distances among the first count + 1 of ``found`` (sorted, distance
    first) decide membership or order, the result Redis gives: its partial sort replayed
    on every match (_search); else None (``found``'s order stands)."""
    ds = [t[0] for t in found[:count + 1]]
    if len(set(ds)) == len(ds):
        return None
    full = _search(zv, shape)
    if len(full) > count:
        _pqsort(full, 0, count - 1, desc)
    else:
        full.sort(key=lambda t: t[0], reverse=desc)
    return full[:count]


def _pqsort(arr, lrange, rrange, desc):
    """Sort ``arr`` (tuples whose first item is the distance) in place so that positions
    lrange..rrange hold what a full sort would put there, with the exact element moves of
    the Bentley-McIlroy partial quicksort Redis uses for COUNT (its order among equal
    distances is therefore Redis' order)."""
    if desc:
        def cmp(i, j):
            a, b = arr[i][0], arr[j][0]
            return -1 if a > b else (0 if a == b else 1)
    else:
        def cmp(i, j):
            a, b = arr[i][0], arr[j][0]
            return 1 if a > b else (0 if a == b else -1)

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]

    def vecswap(i, j, n):
        for k in range(n):
            arr[i + k], arr[j + k] = arr[j + k], arr[i + k]

    def med3(a, b, c):
        if cmp(a, b) < 0:
            if cmp(b, c) < 0:
                return b
            return c if cmp(a, c) < 0 else a
        if cmp(b, c) > 0:
            return b
        return a if cmp(a, c) < 0 else c

    def part(lo, n):
        while True:
            if n < 7:
                for m in range(lo + 1, lo + n):
                    j = m
                    while j > lo and cmp(j - 1, j) > 0:
                        swap(j, j - 1)
                        j -= 1
                return
            pm = lo + n // 2
            if n > 7:
                pl = lo
                pn = lo + n - 1
                if n > 40:
                    d = n // 8
                    pl = med3(pl, pl + d, pl + 2 * d)
                    pm = med3(pm - d, pm, pm + d)
                    pn = med3(pn - 2 * d, pn - d, pn)
                pm = med3(pl, pm, pn)
            swap(lo, pm)
            pa = pb = lo + 1
            pc = pd = lo + n - 1
            while True:
                while pb <= pc:
                    r = cmp(pb, lo)
                    if r > 0:
                        break
                    if r == 0:
                        swap(pa, pb)
                        pa += 1
                    pb += 1
                while pb <= pc:
                    r = cmp(pc, lo)
                    if r < 0:
                        break
                    if r == 0:
                        swap(pc, pd)
                        pd -= 1
                    pc -= 1
                if pb > pc:
                    break
                swap(pb, pc)
                pb += 1
                pc -= 1
            pn = lo + n
            r = min(pa - lo, pb - pa)
            vecswap(lo, pb - r, r)
            r = min(pd - pc, pn - pd - 1)
            vecswap(pb, pn - r, r)
            r = pb - pa
            if r > 1 and not (rrange < lo or lrange >= lo + r):
                part(lo, r)
            r = pd - pc
            if r <= 1:
                return
            lo = pn - r
            n = r
            if rrange < lo or lrange >= lo + n:
                return

    try:
        part(0, len(arr))
    finally:
        del part    # the recursive closure refers to itself: break the cycle (server/gcpolicy.py)


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
    if sort and count and not anyf:
        if kind == "circle" and sort == 1:
            found = _search_nearest(zv, shape, count)
        else:
            found = _search_sorted(zv, shape, count, sort == -1)
    else:
        found = _search(zv, shape, count if anyf else 0)
        # no COUNT, or ANY (at most COUNT found): Redis' full qsort, stable in glibc
        if sort == 1:
            found.sort(key=lambda t: t[0])
        elif sort == -1:
            found.sort(key=lambda t: t[0], reverse=True)
    if not found and storekey is None:
        return []
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
