"""datatypes.stream helpers that read other structures' layout directly."""

import random

from ember.datatypes.stream import SortedIds, Stream, ids_from, pack, unpack


import pytest

from ember.datatypes import stream as stream_mod


@pytest.mark.parametrize("layout", [True, False])
def test_ids_from_matches_a_plain_filter(layout, monkeypatch):
    """ids_from reads the SortedList's sublists: compare with a sorted list's filter, for
    several sublist sizes (load factors), bounds outside the values, counts 0..all; and its
    fallback through the public irange (for a sortedcontainers without that layout)."""
    monkeypatch.setattr(stream_mod, "_SORTED_LAYOUT", layout)
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
    """Stream.span gives what range gives (ascending and descending), across node
    boundaries and after deletions; span_memo the same entries' memos, each made once."""
    r = random.Random(4)
    s = Stream(node_max=7)
    made = [0]

    def make(i, fv):
        made[0] += 1
        return b"%d-%d" % unpack(i) + b"".join(fv)

    for k in range(300):
        s.append(pack(k // 3 + 1, k % 3), (b"f", b"%d" % k))
    for k in r.sample(range(300), 60):
        s.delete(pack(k // 3 + 1, k % 3))
    for _ in range(300):
        lo = pack(r.randrange(0, 110), r.randrange(0, 4))
        hi = pack(r.randrange(0, 110), r.randrange(0, 4))
        cnt = r.choice([1, 2, 7, 8, 50, 1000])
        for rev in (False, True):
            ids, fvs = s.span(lo, hi, cnt, rev)
            assert list(zip(ids, fvs)) == s.range(lo, hi, cnt, rev)
            mids, memos = s.span_memo(lo, hi, cnt, make, rev)
            assert mids == ids
            assert memos == [b"%d-%d" % unpack(i) + b"".join(fv) for i, fv in zip(ids, fvs)]
    assert made[0] == sum(1 for n in s._nodes for m in n.memo if m is not None)
