"""datatypes.stream helpers that read other structures' layout directly."""

import random

from ember.datatypes.stream import SortedIds, Stream, ids_from, pack


def test_ids_from_matches_a_plain_filter():
    """ids_from reads the SortedList's sublists: compare with a sorted list's filter, for
    several sublist sizes (load factors), bounds outside the values, counts 0..all."""
    r = random.Random(3)
    for trial in range(200):
        vals = r.sample(range(100000), r.randrange(0, 3000))
        sl = SortedIds(vals)
        if trial % 2:
            sl._reset(r.choice([4, 16, 1000]))
        srt = sorted(vals)
        for _ in range(8):
            lo = r.randrange(-5, 100005)
            cnt = r.choice([None, 0, 1, 10, 500, 10000])
            want = [v for v in srt if v >= lo]
            if cnt is not None:
                want = want[:cnt]
            assert ids_from(sl, lo, cnt) == want, (lo, cnt)


def test_span_is_range():
    """Stream.span gives what range gives (ascending), across node boundaries and after
    deletions."""
    r = random.Random(4)
    s = Stream(node_max=7)
    for k in range(300):
        s.append(pack(k // 3 + 1, k % 3), (b"f", b"%d" % k))
    for k in r.sample(range(300), 60):
        s.delete(pack(k // 3 + 1, k % 3))
    for _ in range(300):
        lo = pack(r.randrange(0, 110), r.randrange(0, 4))
        hi = pack(r.randrange(0, 110), r.randrange(0, 4))
        cnt = r.choice([1, 2, 7, 8, 50, 1000])
        ids, fvs = s.span(lo, hi, cnt)
        assert list(zip(ids, fvs)) == s.range(lo, hi, cnt)
