"""Geo commands through the embedded client; expected values are what Redis replies."""

import pytest

from ember.datatypes import geohash as G
from ember.protocol.encoder import encode
from ember.protocol.replies import NULL_ARRAY, ReplyError


@pytest.fixture
def sicily(ember):
    assert ember.execute("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo",
                         "15.087269", "37.502669", "Catania") == 2
    return ember


def test_geoadd_scores_and_errors(sicily):
    assert sicily.execute("ZSCORE", "Sicily", "Palermo") == 3479099956230698.0
    assert sicily.execute("GEOADD", "Sicily", "CH", "13.361389", "38.115556", "Palermo") == 0
    assert sicily.execute("GEOADD", "Sicily", "CH", "13.4", "38.1", "Palermo") == 1
    assert sicily.execute("GEOADD", "Sicily", "XX", "13.4", "38.1", "Nowhere") == 0
    with pytest.raises(ReplyError, match=r"^ERR invalid longitude,latitude pair 181.000000,0.000000$"):
        sicily.execute("GEOADD", "Sicily", "181", "0", "x")
    with pytest.raises(ReplyError, match="syntax"):
        sicily.execute("GEOADD", "Sicily", "NX", "XX", "1", "2", "x")
    with pytest.raises(ReplyError, match="syntax"):
        sicily.execute("GEOADD", "Sicily", "1", "2", "x", "3")


def test_geopos_geohash_geodist(sicily):
    assert sicily.execute("GEOPOS", "Sicily", "Palermo", "nope") == [
        [b"13.36138933897018433", b"38.11555639549629859"], NULL_ARRAY]
    assert sicily.execute("GEOHASH", "Sicily", "Palermo", "Catania", "x") == [
        b"sqc8b49rny0", b"sqdtr74hyu0", None]
    assert sicily.execute("GEODIST", "Sicily", "Palermo", "Catania", "km") == b"166.2742"
    assert sicily.execute("GEODIST", "Sicily", "Palermo", "x") is None
    with pytest.raises(ReplyError, match="unsupported unit"):
        sicily.execute("GEODIST", "Sicily", "Palermo", "Catania", "yd")
    sicily.execute("HELLO", "3")
    assert encode(sicily.execute("GEOPOS", "Sicily", "Palermo"), True) == \
        b"*1\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n"


def test_geosearch(sicily):
    assert sicily.execute("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
                          "ASC", "WITHDIST", "WITHCOORD", "WITHHASH") == [
        [b"Catania", b"56.4413", 3479447370796909,
         [b"15.08726745843887329", b"37.50266842333162032"]],
        [b"Palermo", b"190.4424", 3479099956230698,
         [b"13.36138933897018433", b"38.11555639549629859"]]]
    assert sicily.execute("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYBOX", "400", "400",
                          "km", "DESC") == [b"Palermo", b"Catania"]
    assert sicily.execute("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "100", "km") == \
        [b"Palermo"]
    assert sicily.execute("GEORADIUS", "Sicily", "15", "37", "200", "km", "COUNT", "1") == [b"Catania"]
    assert sicily.execute("GEORADIUSBYMEMBER_RO", "Sicily", "Catania", "1", "m") == [b"Catania"]
    assert sicily.execute("GEOSEARCH", "missing", "FROMMEMBER", "x", "BYRADIUS", "1", "m") == []
    with pytest.raises(ReplyError, match="could not decode requested zset member"):
        sicily.execute("GEOSEARCH", "Sicily", "FROMMEMBER", "x", "BYRADIUS", "1", "m")
    with pytest.raises(ReplyError, match="exactly one of BYRADIUS and BYBOX"):
        sicily.execute("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "ASC", "WITHDIST", "WITHHASH")
    with pytest.raises(ReplyError, match="exactly one of FROMMEMBER or FROMLONLAT"):
        sicily.execute("GEOSEARCH", "Sicily", "BYRADIUS", "1", "m", "ASC", "ASC")
    with pytest.raises(ReplyError, match="ANY argument requires COUNT"):
        sicily.execute("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m", "ANY")
    with pytest.raises(ReplyError, match="syntax"):
        sicily.execute("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "x")


def test_store_variants(sicily):
    assert sicily.execute("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS",
                          "200", "km", "STOREDIST") == 2
    assert sicily.execute("ZRANGE", "d", "0", "-1") == [b"Catania", b"Palermo"]
    assert round(sicily.execute("ZSCORE", "d", "Catania"), 4) == 56.4413
    assert sicily.execute("GEORADIUS", "Sicily", "15", "37", "100", "km", "STORE", "d2") == 1
    assert sicily.execute("ZSCORE", "d2", "Catania") == 3479447370796909.0
    assert sicily.execute("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS",
                          "1", "km") == 0
    assert sicily.execute("EXISTS", "d") == 0
    with pytest.raises(ReplyError, match="GEOSEARCHSTORE is not compatible"):
        sicily.execute("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "0", "0", "BYRADIUS",
                       "1", "km", "WITHDIST")


def test_geohash_roundtrip():
    bits = G.encode(13.361389, 38.115556)
    assert bits == 3479099956230698
    lon, lat = G.decode(bits)
    assert abs(lon - 13.361389) < 1e-5 and abs(lat - 38.115556) < 1e-5
    assert G.estimate_steps(0, 0) == 26
    assert G.estimate_steps(5000, 0) == 11


def test_distance_bounder_is_cell_distance_bounds():
    """The per-centre closure used by the sorted search gives the very same doubles as the
    generic bound function (same operations, centre terms hoisted)."""
    import random
    from ember.datatypes import geohash as G
    r = random.Random(1)
    for _ in range(3000):
        x = r.choice([r.uniform(-180, 180), -180.0, 180.0, 0.0, 179.9999])
        y = r.uniform(-85, 85)
        lon0 = r.uniform(-180, 180)
        lon1 = min(180.0, lon0 + r.choice([0.001, 0.1, 5, 90, 200]))
        lat1 = r.uniform(-85, 85.05)
        lat0 = -lat1 if r.random() < 0.2 else lat1 - r.choice([0.001, 0.1, 5, 60])
        assert G.distance_bounder(x, y)(lon0, lon1, lat0, lat1) == \
            G.cell_distance_bounds(x, y, lon0, lon1, lat0, lat1)


def test_decode_units_match_decode():
    """decode_score's ``i * UNIT`` is decode()'s ``(i * 1.0 / 2**26) * scale`` (a sample;
    every 26-bit value was checked when the constants were introduced)."""
    import random
    r = random.Random(3)
    div = float(1 << 26)
    for _ in range(20000):
        i = r.choice([r.randrange(1 << 26), (1 << 26) - 1, 0, 1 << 25])
        assert (i * 1.0 / div) * (G.LON_MAX - G.LON_MIN) == i * G.LON_UNIT
        assert (i * 1.0 / div) * (G.LAT_MAX - G.LAT_MIN) == i * G.LAT_UNIT
        bits = r.randrange(1 << 52)
        assert G.decode_score(float(bits)) == G.decode(bits)
    # the inline decode of the nearest-first search leaves decode's clamps out: the centres
    # of the edge cells are inside the ranges (and the formula is monotonic in i)
    for i in (0, (1 << 26) - 1):
        x = ((G.LON_MIN + i * G.LON_UNIT) + (G.LON_MIN + (i + 1) * G.LON_UNIT)) / 2
        y = ((G.LAT_MIN + i * G.LAT_UNIT) + (G.LAT_MIN + (i + 1) * G.LAT_UNIT)) / 2
        assert G.LON_MIN <= x <= G.LON_MAX and G.LAT_MIN <= y <= G.LAT_MAX


def test_lower_bounder_is_a_lower_bound():
    """No point of a cell is nearer to the centre than the bound lower_bounder gives for
    the cell (points drawn inside cells of every size, wrapping the antimeridian too)."""
    import math
    import random
    r = random.Random(5)
    for _ in range(4000):
        x = r.choice([r.uniform(-180, 180), 180.0, -180.0, 179.99])
        y = r.uniform(-85, 85)
        lat_term, lon_term, low = G.lower_bounder(x, y)
        step = r.randint(1, 26)
        lon_i, lat_i = r.randrange(1 << step), r.randrange(1 << step)
        lon0, lon1, lat0, lat1 = G.decode_area(G.interleave(lat_i, lon_i), step)
        lo = low(lat_term(lat0, lat1), lon_term(lon0, lon1),
                 G.min_cos(math.cos(lat0 * G.D_R), math.cos(lat1 * G.D_R)))
        for _ in range(5):
            px = r.choice([lon0, lon1, r.uniform(lon0, lon1)])
            py = r.choice([lat0, lat1, r.uniform(lat0, lat1)])
            assert lo <= G.distance(x, y, px, py), (x, y, lon0, lon1, lat0, lat1, px, py)


def test_search_roots_is_search_cells():
    """search_roots (integer cell coordinates) gives the cells, order, skips and doubles of
    search_cells + decode_area + cell_score_range, Redis' own steps."""
    import random
    r = random.Random(11)
    for _ in range(6000):
        lon = r.choice([r.uniform(-180, 180), 180.0, -180.0, 179.9999, -179.9999, 0.0])
        lat = r.choice([r.uniform(G.LAT_MIN, G.LAT_MAX), G.LAT_MAX, G.LAT_MIN, 84.99, 0.0])
        rad = r.choice([0.0, 1.0, 100.0, 5000.0, 50000.0, 1e6, 5e6, 2e7, 3e7, r.uniform(0, 2e7)])
        if r.random() < 0.5:
            bounds = G.bounding_box(lon, lat, rad, rad)
        else:
            w, h = r.uniform(0, 1e6), r.uniform(0, 1e6)
            bounds = G.bounding_box(lon, lat, w, h)
            rad = (w * w + h * h) ** 0.5
        cells = G.search_cells(lon, lat, rad, bounds)
        want = []
        last = None
        for i, (bits, step) in enumerate(cells):
            if (bits, step) == (0, 0):
                continue
            if last is not None and last != 0 and (bits, step) == cells[last]:
                continue
            last = i
            want.append((i, bits, step) + G.decode_area(bits, step)
                        + G.cell_score_range(bits, step))
        assert G.search_roots(lon, lat, rad, bounds) == want, (lon, lat, rad)


def test_nearest_search_paths_agree(ember, monkeypatch):
    """The nearest-first search gives what the general sorted search gives, whether cells
    are copied out of the index (the usual case) or split on the index itself (cells of
    more than _SPAN_MAX points, forced here with a tiny limit)."""
    import random
    from ember.commands import geo
    r = random.Random(4)
    args = []
    for i in range(3000):
        x, y = r.choice([(13, 38), (179.9, 0), (-40, 84.9)])
        s = r.choice([0.01, 0.3, 2.0])
        args += ["%.6f" % max(-180, min(180, x + r.uniform(-s, s))),
                 "%.6f" % max(-85, min(85, y + r.uniform(-s, s))), "m%d" % i]
    ember.execute("GEOADD", "g", *args)
    zv = ember.server.dbs[0].lookup(b"g")
    cases = []
    for _ in range(60):
        x, y = r.choice([(13, 38), (179.95, 0), (-179.95, 0.1), (-40, 84.9)])
        cases.append(("circle", x + r.uniform(-0.2, 0.2), y + r.uniform(-0.1, 0.1), 1000.0,
                      r.choice([0.2, 5, 40, 300, 3000]), 0.0))
    for shape in cases:
        for count in (1, 7, 30, 400):
            want = geo._search_sorted(zv, shape, count, False)
            assert geo._search_nearest(zv, shape, count) == want
            monkeypatch.setattr(geo, "_SPAN_MAX", 16)
            assert geo._search_nearest(zv, shape, count) == want
            monkeypatch.setattr(geo, "_SPAN_MAX", 0)
            assert geo._search_nearest(zv, shape, count) == want
            monkeypatch.undo()
