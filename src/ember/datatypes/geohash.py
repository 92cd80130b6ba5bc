"""Redis' geohash: 52-bit interleaved (26 steps per axis) cells over the Web-Mercator
latitude band, the haversine distance on a sphere of radius 6372797.560856 m, and the
"centre cell + 8 neighbours" search with Redis' step estimation.

Bit layout: latitude bits in even positions, longitude bits in odd positions (bit 0 is the
least significant latitude bit).  All arithmetic mirrors the C code's operation order so
that decoded coordinates and distances are the same doubles Redis computes.

Invariant: a leaf module; pure functions over floats and ints.
"""

import math

STEP_MAX = 26
LAT_MIN = -85.05112878
LAT_MAX = 85.05112878
LON_MIN = -180.0
LON_MAX = 180.0
EARTH_RADIUS = 6372797.560856
MERCATOR_MAX = 20037726.37
D_R = math.pi / 180.0

_B = (0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F,
      0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF)
_S = (1, 2, 4, 8, 16)
_M64 = (1 << 64) - 1


def _spread(x: int) -> int:
    x &= 0xFFFFFFFF
    x = (x | (x << _S[4])) & _B[4]
    x = (x | (x << _S[3])) & _B[3]
    x = (x | (x << _S[2])) & _B[2]
    x = (x | (x << _S[1])) & _B[1]
    x = (x | (x << _S[0])) & _B[0]
    return x


def _squash(x: int) -> int:
    x &= 0x5555555555555555
    x = (x | (x >> 1)) & 0x3333333333333333
    x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0F
    x = (x | (x >> 4)) & 0x00FF00FF00FF00FF
    x = (x | (x >> 8)) & 0x0000FFFF0000FFFF
    x = (x | (x >> 16)) & 0x00000000FFFFFFFF
    return x


def interleave(lat_i: int, lon_i: int) -> int:
    return _spread(lat_i) | (_spread(lon_i) << 1)


def deinterleave(bits: int):
    """(lat part, lon part)."""
    t = _DEINT16 or _deint_table()
    c = (t[bits & 0xFFFF] | (t[(bits >> 16) & 0xFFFF] << 8) | (t[(bits >> 32) & 0xFFFF] << 16)
         | (t[(bits >> 48) & 0xFFFF] << 24))
    return c & 0xFFFFFFFF, c >> 32


def encode(lon: float, lat: float, step: int = STEP_MAX,
           lon_range=(LON_MIN, LON_MAX), lat_range=(LAT_MIN, LAT_MAX)):
    """Cell bits or None when outside the ranges."""
    if lon > 180 or lon < -180 or lat > 85.05112878 or lat < -85.05112878:
        return None
    if lat < lat_range[0] or lat > lat_range[1] or lon < lon_range[0] or lon > lon_range[1]:
        return None
    lat_off = (lat - lat_range[0]) / (lat_range[1] - lat_range[0])
    lon_off = (lon - lon_range[0]) / (lon_range[1] - lon_range[0])
    lat_off *= float(1 << step)
    lon_off *= float(1 << step)
    return interleave(int(lat_off), int(lon_off))


def decode_area(bits: int, step: int = STEP_MAX,
                lon_range=(LON_MIN, LON_MAX), lat_range=(LAT_MIN, LAT_MAX)):
    """(lon_min, lon_max, lat_min, lat_max) of a cell."""
    ilat, ilon = deinterleave(bits)
    lat_scale = lat_range[1] - lat_range[0]
    lon_scale = lon_range[1] - lon_range[0]
    div = float(1 << step)
    return (lon_range[0] + (ilon * 1.0 / div) * lon_scale,
            lon_range[0] + ((ilon + 1) * 1.0 / div) * lon_scale,
            lat_range[0] + (ilat * 1.0 / div) * lat_scale,
            lat_range[0] + ((ilat + 1) * 1.0 / div) * lat_scale)


def decode(bits: int, step: int = STEP_MAX):
    """Centre (lon, lat) of a cell, clamped to the valid ranges."""
    lo0, lo1, la0, la1 = decode_area(bits, step)
    x = (lo0 + lo1) / 2
    if x > LON_MAX:
        x = LON_MAX
    if x < LON_MIN:
        x = LON_MIN
    y = (la0 + la1) / 2
    if y > LAT_MAX:
        y = LAT_MAX
    if y < LAT_MIN:
        y = LAT_MIN
    return x, y


_DEINT16 = None


def deint_table():
    """The 16-bit deinterleave table, built on first use: entry i is (the 8 latitude bits
    of i) | (its 8 longitude bits) << 32, so that ORing the entries of a hash's 16-bit
    chunks shifted by 0, 8, 16, 24 gives latitude | longitude << 32 at once."""
    return _DEINT16 or _deint_table()


def _deint_table():
    global _DEINT16
    if _DEINT16 is None:
        _DEINT16 = [_squash(i) | (_squash(i >> 1) << 32) for i in range(65536)]
    return _DEINT16


_DIV26 = float(1 << STEP_MAX)
_LAT_SCALE = LAT_MAX - LAT_MIN
_LON_SCALE = LON_MAX - LON_MIN
# (i * 1.0 / 2**26) * scale == i * (scale / 2**26) for every 26-bit i: dividing by a power
# of two is exact, so both round the same real product once (checked for all 2**26 values
# of i and both scales when this was written; tests/commands/test_geo.py samples it).
LON_UNIT = _LON_SCALE / _DIV26
LAT_UNIT = _LAT_SCALE / _DIV26


def decode_score(score: float):
    """decode() of a stored 52-bit score, with a 16-bit deinterleave table (the hot path
    of every geo search); the same doubles as decode()."""
    bits = int(score)
    t = _DEINT16 or _deint_table()
    c = (t[bits & 0xFFFF] | (t[(bits >> 16) & 0xFFFF] << 8) | (t[(bits >> 32) & 0xFFFF] << 16)
         | (t[bits >> 48] << 24))
    ilat = c & 0xFFFFFFFF
    ilon = c >> 32
    x = ((LON_MIN + ilon * LON_UNIT) + (LON_MIN + (ilon + 1) * LON_UNIT)) / 2
    if x > LON_MAX:
        x = LON_MAX
    elif x < LON_MIN:
        x = LON_MIN
    y = ((LAT_MIN + ilat * LAT_UNIT) + (LAT_MIN + (ilat + 1) * LAT_UNIT)) / 2
    if y > LAT_MAX:
        y = LAT_MAX
    elif y < LAT_MIN:
        y = LAT_MIN
    return x, y


_ALPHABET = b"0123456789bcdefghjkmnpqrstuvwxyz"


def geohash_string(score: float) -> bytes:
    """The 11-character standard geohash of a stored score (Redis' GEOHASH)."""
    lon, lat = decode_score(score)
    bits = encode(lon, lat, STEP_MAX, (-180.0, 180.0), (-90.0, 90.0)) or 0
    out = bytearray(11)
    for i in range(11):
        if i == 10:
            idx = 0
        else:
            idx = (bits >> (52 - ((i + 1) * 5))) & 0x1F
        out[i] = _ALPHABET[idx]
    return bytes(out)


# ---- distances ---------------------------------------------------------------------------
def lat_distance(lat1: float, lat2: float) -> float:
    return EARTH_RADIUS * abs(lat2 * D_R - lat1 * D_R)


def distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    lon1r = lon1 * D_R
    lon2r = lon2 * D_R
    v = math.sin((lon2r - lon1r) / 2)
    if v == 0.0:
        return lat_distance(lat1, lat2)
    lat1r = lat1 * D_R
    lat2r = lat2 * D_R
    u = math.sin((lat2r - lat1r) / 2)
    a = u * u + math.cos(lat1r) * math.cos(lat2r) * v * v
    return 2.0 * EARTH_RADIUS * math.asin(math.sqrt(a))


# ---- search areas --------------------------------------------------------------------------
def estimate_steps(range_m: float, lat: float) -> int:
    if range_m == 0:
        return 26
    step = 1
    while range_m < MERCATOR_MAX:
        range_m *= 2
        step += 1
    step -= 2
    if lat > 66 or lat < -66:
        step -= 1
        if lat > 80 or lat < -80:
            step -= 1
    if step < 1:
        step = 1
    if step > 26:
        step = 26
    return step


def bounding_box(lon, lat, width_m, height_m):
    """(min_lon, min_lat, max_lon, max_lat) for a half-width/half-height in metres."""
    lat_delta = (height_m / EARTH_RADIUS) / D_R
    top = (width_m / EARTH_RADIUS / math.cos((lat + lat_delta) * D_R)) / D_R
    bottom = (width_m / EARTH_RADIUS / math.cos((lat - lat_delta) * D_R)) / D_R
    south = lat < 0
    return (lon - bottom if south else lon - top, lat - lat_delta,
            lon + bottom if south else lon + top, lat + lat_delta)


def _move_x(bits, step, d):
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0x5555555555555555 >> (64 - step * 2)
    if d > 0:
        x = x + (zz + 1)
    else:
        x = x | zz
        x = x - (zz + 1)
    x &= _M64
    x &= 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    return x | y


def _move_y(bits, step, d):
    x = bits & 0xAAAAAAAAAAAAAAAA
    y = bits & 0x5555555555555555
    zz = 0xAAAAAAAAAAAAAAAA >> (64 - step * 2)
    if d > 0:
        y = y + (zz + 1)
    else:
        y = y | zz
        y = y - (zz + 1)
    y &= _M64
    y &= 0x5555555555555555 >> (64 - step * 2)
    return x | y


def neighbours(bits, step):
    """Dict of the 8 neighbour cells."""
    return {
        "east": _move_x(bits, step, 1),
        "west": _move_x(bits, step, -1),
        "south": _move_y(bits, step, -1),
        "north": _move_y(bits, step, 1),
        "north_west": _move_y(_move_x(bits, step, -1), step, 1),
        "south_west": _move_y(_move_x(bits, step, -1), step, -1),
        "north_east": _move_y(_move_x(bits, step, 1), step, 1),
        "south_east": _move_y(_move_x(bits, step, 1), step, -1),
    }


def search_cells(lon, lat, radius_m, bounds):
    """The 9 cells to scan, in Redis' order (centre, N, S, E, W, NE, NW, SE, SW), as
    (bits, step) pairs with (0, 0) for a cell excluded as useless: Redis' steps written
    plainly, the reference search_roots (what the searches call) is tested against."""
    min_lon, min_lat, max_lon, max_lat = bounds
    steps = estimate_steps(radius_m, lat)
    h = encode(lon, lat, steps) or 0
    nb = neighbours(h, steps)
    area = decode_area(h, steps)
    dec = False
    if decode_area(nb["north"], steps)[3] < max_lat:
        dec = True
    if decode_area(nb["south"], steps)[2] > min_lat:
        dec = True
    if decode_area(nb["east"], steps)[1] < max_lon:
        dec = True
    if decode_area(nb["west"], steps)[0] > min_lon:
        dec = True
    if steps > 1 and dec:
        steps -= 1
        h = encode(lon, lat, steps) or 0
        nb = neighbours(h, steps)
        area = decode_area(h, steps)
    cells = {k: (b, steps) for k, b in nb.items()}
    if steps >= 2:
        if area[2] < min_lat:
            for k in ("south", "south_west", "south_east"):
                cells[k] = (0, 0)
        if area[3] > max_lat:
            for k in ("north", "north_east", "north_west"):
                cells[k] = (0, 0)
        if area[0] < min_lon:
            for k in ("west", "south_west", "north_west"):
                cells[k] = (0, 0)
        if area[1] > max_lon:
            for k in ("east", "south_east", "north_east"):
                cells[k] = (0, 0)
    order = ("north", "south", "east", "west", "north_east", "north_west",
             "south_east", "south_west")
    return [(h, steps)] + [cells[k] for k in order]


_SPREAD8 = [_spread(i) for i in range(256)]


def _interleave8(lat_i: int, lon_i: int) -> int:
    """interleave() of values below 2**32, by bytes."""
    t = _SPREAD8
    return (t[lat_i & 0xFF] | (t[(lat_i >> 8) & 0xFF] << 16) | (t[(lat_i >> 16) & 0xFF] << 32)
            | (t[lat_i >> 24] << 48)
            | (t[lon_i & 0xFF] << 1) | (t[(lon_i >> 8) & 0xFF] << 17)
            | (t[(lon_i >> 16) & 0xFF] << 33) | (t[lon_i >> 24] << 49))


# Redis' cell order after the centre, as (latitude, longitude) moves: N, S, E, W, NE, NW,
# SE, SW.
_AROUND = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1))


def search_roots(lon, lat, radius_m, bounds):
    """``search_cells`` as the searches use it: the cells Redis scans, in its order, with
    what Redis skips left out (excluded cells, and a cell equal to the last one scanned
    after the centre), each as (order, bits, step, lon0, lon1, lat0, lat1, min score,
    end score), ``order`` being its position in ``search_cells``.  Worked out on the
    cells' integer coordinates (a neighbour is one step along an axis, modulo 2**step, as
    the bit moves do), with the same float operations as decode_area, so the same cells
    and the same doubles as search_cells + decode_area + cell_score_range."""
    min_lon, min_lat, max_lon, max_lat = bounds
    steps = estimate_steps(radius_m, lat)
    inside = -180 <= lon <= 180 and -85.05112878 <= lat <= 85.05112878
    # encode()'s cell without the interleaving (what deinterleave(encode(...)) gives)
    lat_off = (lat - LAT_MIN) / _LAT_SCALE
    lon_off = (lon - LON_MIN) / _LON_SCALE
    div = float(1 << steps)
    ilat, ilon = (int(lat_off * div), int(lon_off * div)) if inside else (0, 0)
    mask = (1 << steps) - 1
    if steps > 1 and (
            LAT_MIN + ((((ilat + 1) & mask) + 1) * 1.0 / div) * _LAT_SCALE < max_lat
            or LAT_MIN + ((((ilat - 1) & mask)) * 1.0 / div) * _LAT_SCALE > min_lat
            or LON_MIN + ((((ilon + 1) & mask) + 1) * 1.0 / div) * _LON_SCALE < max_lon
            or LON_MIN + ((((ilon - 1) & mask)) * 1.0 / div) * _LON_SCALE > min_lon):
        steps -= 1
        div = float(1 << steps)
        ilat, ilon = (int(lat_off * div), int(lon_off * div)) if inside else (0, 0)
        mask = (1 << steps) - 1
    cells = [(0, _interleave8(ilat, ilon), ilat, ilon)]
    skip_s = skip_n = skip_w = skip_e = False
    if steps >= 2:
        skip_s = LAT_MIN + (ilat * 1.0 / div) * _LAT_SCALE < min_lat
        skip_n = LAT_MIN + ((ilat + 1) * 1.0 / div) * _LAT_SCALE > max_lat
        skip_w = LON_MIN + (ilon * 1.0 / div) * _LON_SCALE < min_lon
        skip_e = LON_MIN + ((ilon + 1) * 1.0 / div) * _LON_SCALE > max_lon
    for order, (dy, dx) in enumerate(_AROUND, 1):
        if (dy < 0 and skip_s) or (dy > 0 and skip_n) or (dx < 0 and skip_w) or (dx > 0 and skip_e):
            continue
        la = (ilat + dy) & mask if dy else ilat
        lo = (ilon + dx) & mask if dx else ilon
        cells.append((order, _interleave8(la, lo), la, lo))
    shift = 52 - steps * 2
    out = []
    last = None
    for order, b, la, lo in cells:
        if last is not None and b == last:
            continue
        last = b if order else None
        out.append((order, b, steps,
                    LON_MIN + (lo * 1.0 / div) * _LON_SCALE,
                    LON_MIN + ((lo + 1) * 1.0 / div) * _LON_SCALE,
                    LAT_MIN + (la * 1.0 / div) * _LAT_SCALE,
                    LAT_MIN + ((la + 1) * 1.0 / div) * _LAT_SCALE,
                    b << shift, (b + 1) << shift))
    return out


def cell_score_range(bits, step):
    """[min, max) of 52-bit scores inside a cell."""
    shift = 52 - step * 2
    return bits << shift, (bits + 1) << shift


# ---- bounds over a cell (search pruning) -----------------------------------------------------
# The search may skip a sub-cell whose points are all provably outside the shape and may skip
# the exact test for one whose points are all provably inside.  The bounds below are computed
# from the haversine terms (each bounded separately) and used with a safety margin far above
# the rounding error of the exact formula, so no point is ever classified differently than the
# exact per-point test would classify it.
_MARGIN_REL = 1e-9
_MARGIN_ABS = 1e-6   # metres
_PAD = 1e-9          # degrees added around a cell


def _circ(a: float) -> float:
    """Circular distance (degrees, 0..180) of a longitude difference."""
    a = abs(a) % 360.0
    return 360.0 - a if a > 180.0 else a


def lon_gaps(x: float, lon0: float, lon1: float):
    """(min, max) circular longitude distance from ``x`` to the arc [lon0, lon1]."""
    e0 = _circ(x - lon0)
    e1 = _circ(x - lon1)
    if lon0 <= x <= lon1:
        lo = 0.0
    else:
        lo = e0 if e0 < e1 else e1
    anti = x + 180.0 if x <= 0 else x - 180.0
    if lon0 <= anti <= lon1:
        hi = 180.0
    else:
        hi = e0 if e0 > e1 else e1
    return lo, hi


def lat_gaps(y: float, lat0: float, lat1: float):
    d0 = abs(y - lat0)
    d1 = abs(y - lat1)
    lo = 0.0 if lat0 <= y <= lat1 else (d0 if d0 < d1 else d1)
    return lo, (d0 if d0 > d1 else d1)


def _hav_m(a: float) -> float:
    if a >= 1.0:
        return 2.0 * EARTH_RADIUS * (math.pi / 2)
    return 2.0 * EARTH_RADIUS * math.asin(math.sqrt(a))


def cell_distance_bounds(x, y, lon0, lon1, lat0, lat1):
    """(lower, upper) bounds in metres of the distance from (x, y) to any point whose
    coordinates lie in the rectangle (padded)."""
    lon0 -= _PAD
    lon1 += _PAD
    lat0 -= _PAD
    lat1 += _PAD
    dlat_lo, dlat_hi = lat_gaps(y, lat0, lat1)
    dlon_lo, dlon_hi = lon_gaps(x, lon0, lon1)
    c0 = math.cos(lat0 * D_R)
    c1 = math.cos(lat1 * D_R)
    cmin = c0 if c0 < c1 else c1
    cmax = 1.0 if lat0 <= 0.0 <= lat1 else (c0 if c0 > c1 else c1)
    if cmin < 0.0:
        cmin = 0.0
    cy = math.cos(y * D_R)
    s = math.sin(dlat_lo * D_R / 2)
    t = math.sin(dlon_lo * D_R / 2)
    a_lo = s * s + cy * cmin * t * t
    s = math.sin(dlat_hi * D_R / 2)
    t = math.sin(dlon_hi * D_R / 2)
    a_hi = s * s + cy * cmax * t * t
    lo = _hav_m(a_lo) * (1 - _MARGIN_REL) - _MARGIN_ABS
    hi = _hav_m(a_hi) * (1 + _MARGIN_REL) + _MARGIN_ABS
    return (lo if lo > 0.0 else 0.0), hi


def distance_bounder(x, y):
    """``cell_distance_bounds`` for a fixed centre (x, y), as a function of the rectangle
    alone: the centre's terms computed once and the helpers inlined (a sorted GEOSEARCH
    evaluates dozens of cells per query).  Same operations, so the same doubles."""
    sin, cos, asin, sqrt = math.sin, math.cos, math.asin, math.sqrt
    cy = cos(y * D_R)
    anti = x + 180.0 if x <= 0 else x - 180.0
    pad = _PAD
    two_r = 2.0 * EARTH_RADIUS
    far = 2.0 * EARTH_RADIUS * (math.pi / 2)
    rel_lo = 1 - _MARGIN_REL
    rel_hi = 1 + _MARGIN_REL
    m_abs = _MARGIN_ABS
    d_r = D_R

    def bounds(lon0, lon1, lat0, lat1):
        lon0 -= pad
        lon1 += pad
        lat0 -= pad
        lat1 += pad
        d0 = abs(y - lat0)
        d1 = abs(y - lat1)
        dlat_lo = 0.0 if lat0 <= y <= lat1 else (d0 if d0 < d1 else d1)
        dlat_hi = d0 if d0 > d1 else d1
        e0 = abs(x - lon0) % 360.0
        if e0 > 180.0:
            e0 = 360.0 - e0
        e1 = abs(x - lon1) % 360.0
        if e1 > 180.0:
            e1 = 360.0 - e1
        if lon0 <= x <= lon1:
            dlon_lo = 0.0
        else:
            dlon_lo = e0 if e0 < e1 else e1
        if lon0 <= anti <= lon1:
            dlon_hi = 180.0
        else:
            dlon_hi = e0 if e0 > e1 else e1
        c0 = cos(lat0 * d_r)
        c1 = cos(lat1 * d_r)
        cmin = c0 if c0 < c1 else c1
        cmax = 1.0 if lat0 <= 0.0 <= lat1 else (c0 if c0 > c1 else c1)
        if cmin < 0.0:
            cmin = 0.0
        s = sin(dlat_lo * d_r / 2)
        t = sin(dlon_lo * d_r / 2)
        a = s * s + cy * cmin * t * t
        lo = (far if a >= 1.0 else two_r * asin(sqrt(a))) * rel_lo - m_abs
        s = sin(dlat_hi * d_r / 2)
        t = sin(dlon_hi * d_r / 2)
        a = s * s + cy * cmax * t * t
        hi = (far if a >= 1.0 else two_r * asin(sqrt(a))) * rel_hi + m_abs
        return (lo if lo > 0.0 else 0.0), hi

    return bounds


def box_cell_state(x, y, half_w, half_h, lon0, lon1, lat0, lat1):
    """-1 when no point of the rectangle can pass the BYBOX test (latitude distance <=
    half height, distance along the point's parallel <= half width), 1 when every point
    passes, 0 otherwise."""
    lon0 -= _PAD
    lon1 += _PAD
    lat0 -= _PAD
    lat1 += _PAD
    dlat_lo, dlat_hi = lat_gaps(y, lat0, lat1)
    dlon_lo, dlon_hi = lon_gaps(x, lon0, lon1)
    c0 = math.cos(lat0 * D_R)
    c1 = math.cos(lat1 * D_R)
    cmin = c0 if c0 < c1 else c1
    cmax = 1.0 if lat0 <= 0.0 <= lat1 else (c0 if c0 > c1 else c1)
    if cmin < 0.0:
        cmin = 0.0
    h_lo = EARTH_RADIUS * dlat_lo * D_R * (1 - _MARGIN_REL) - _MARGIN_ABS
    h_hi = EARTH_RADIUS * dlat_hi * D_R * (1 + _MARGIN_REL) + _MARGIN_ABS
    w_lo = _hav_m((cmin * math.sin(dlon_lo * D_R / 2)) ** 2) * (1 - _MARGIN_REL) - _MARGIN_ABS
    w_hi = _hav_m((cmax * math.sin(dlon_hi * D_R / 2)) ** 2) * (1 + _MARGIN_REL) + _MARGIN_ABS
    if h_lo > half_h or w_lo > half_w:
        return -1
    if h_hi < half_h and w_hi < half_w:
        return 1
    return 0


def lower_bounder(x, y):
    """The lower half of ``distance_bounder`` in three pieces, for searches that only need
    how near a cell can be (the nearest-first GEOSEARCH): ``lat_term(lat0, lat1)`` and
    ``lon_term(lon0, lon1)``, the haversine terms of the smallest latitude and longitude
    gaps from (x, y) to a cell's (padded) edges, and ``low(lat_t, lon_t, cmin)``, the bound
    in metres, where ``cmin`` is ``min_cos(cos(lat0), cos(lat1))`` of the cell's edges.
    A split cell's four quarters share two latitude terms, two longitude terms and three
    edge cosines, so the caller computes each once.  Every piece errs on the low side (the
    pad, the cosine slack, the margins), so no point is nearer than its cell's bound."""
    sin, asin, sqrt = math.sin, math.asin, math.sqrt
    cy = math.cos(y * D_R)
    pad = _PAD
    d_r2 = D_R / 2
    two_r = 2.0 * EARTH_RADIUS
    far = two_r * (math.pi / 2) * (1 - _MARGIN_REL) - _MARGIN_ABS
    rel_lo = 1 - _MARGIN_REL
    m_abs = _MARGIN_ABS

    def lat_term(lat0, lat1):
        if y < lat0 - pad:
            s = sin((lat0 - y - pad) * d_r2)
        elif y > lat1 + pad:
            s = sin((y - lat1 - pad) * d_r2)
        else:
            return 0.0
        return s * s

    def lon_term(lon0, lon1):
        if lon0 - pad <= x <= lon1 + pad:
            return 0.0
        e0 = abs(x - lon0) % 360.0
        if e0 > 180.0:
            e0 = 360.0 - e0
        e1 = abs(x - lon1) % 360.0
        if e1 > 180.0:
            e1 = 360.0 - e1
        g = (e0 if e0 < e1 else e1) - pad
        if g <= 0.0:
            return 0.0
        t = sin(g * d_r2)
        return t * t

    def low(lat_t, lon_t, cmin):
        a = lat_t + cy * cmin * lon_t
        if a >= 1.0:
            return far
        lo = two_r * asin(sqrt(a)) * rel_lo - m_abs
        return lo if lo > 0.0 else 0.0

    return lat_term, lon_term, low


def min_cos(c0: float, c1: float) -> float:
    """A lower bound of cos(latitude) over a padded cell whose edges have cosines c0, c1
    (cos is concave over [-90, 90] degrees, so the minimum is at an edge; the slack covers
    the pad and the rounding of cos)."""
    c = (c0 if c0 < c1 else c1) - 1e-10
    return c if c > 0.0 else 0.0
