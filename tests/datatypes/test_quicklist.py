"""Property tests: QuickList against a plain Python list with the commands' rules."""

from hypothesis import given, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, invariant

from ember.datatypes.quicklist import QuickList, lp_entry_size

values = st.sampled_from([b"a", b"b", b"c", b"", b"12", b"-7", b"007", b"x" * 70])
idx = st.integers(-10, 10)


class Cfg:
    def __init__(self, fill=-2):
        self.list_max_listpack_size = fill


def norm_range(start, stop, n):
    if start < 0:
        start = max(start + n, 0)
    if stop < 0:
        stop += n
    stop = min(stop, n - 1)
    if start > stop or start >= n:
        return None
    return start, stop + 1


class ListMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.q = QuickList(cfg=Cfg(4))
        self.m = []

    @rule(vs=st.lists(values, max_size=4))
    def lpush(self, vs):
        for v in vs:
            self.m.insert(0, v)
        assert self.q.lpush(vs) == len(self.m)

    @rule(vs=st.lists(values, max_size=4))
    def rpush(self, vs):
        self.m.extend(vs)
        assert self.q.rpush(vs) == len(self.m)

    @rule(count=st.one_of(st.none(), st.integers(0, 4)), left=st.booleans())
    def pop(self, count, left):
        if count is None:
            exp = (self.m.pop(0) if left else self.m.pop()) if self.m else None
        else:
            exp = []
            for _ in range(min(count, len(self.m))):
                exp.append(self.m.pop(0) if left else self.m.pop())
        assert (self.q.lpop(count) if left else self.q.rpop(count)) == exp

    @rule(i=idx)
    def lindex(self, i):
        n = len(self.m)
        exp = self.m[i] if -n <= i < n else None
        assert self.q.lindex(i) == exp

    @rule(i=idx, v=values)
    def lset(self, i, v):
        n = len(self.m)
        ok = -n <= i < n
        if ok:
            self.m[i] = v
        assert self.q.lset(i, v) == ok

    @rule(a=idx, b=idx)
    def lrange(self, a, b):
        r = norm_range(a, b, len(self.m))
        assert self.q.lrange(a, b) == ([] if r is None else self.m[r[0]:r[1]])

    @rule(a=idx, b=idx)
    def ltrim(self, a, b):
        n = len(self.m)
        r = norm_range(a, b, n)
        self.m = [] if r is None else self.m[r[0]:r[1]]
        assert self.q.ltrim(a, b) == n - len(self.m)

    @rule(count=st.integers(-3, 3), v=values)
    def lrem(self, count, v):
        m = self.m if count >= 0 else self.m[::-1]
        out, left = [], abs(count)
        for x in m:
            if x == v and (count == 0 or left):
                left -= 1
            else:
                out.append(x)
        if count < 0:
            out.reverse()
        removed = len(self.m) - len(out)
        self.m = out
        assert self.q.lrem(count, v) == removed

    @rule(before=st.booleans(), pivot=values, v=values)
    def linsert(self, before, pivot, v):
        if pivot in self.m:
            i = self.m.index(pivot)
            self.m.insert(i if before else i + 1, v)
            exp = len(self.m)
        else:
            exp = -1
        assert self.q.linsert(before, pivot, v) == exp

    @rule(v=values, rank=st.integers(-3, 3).filter(bool), count=st.integers(0, 3),
          maxlen=st.integers(0, 6))
    def lpos(self, v, rank, count, maxlen):
        n = len(self.m)
        order = list(range(n)) if rank > 0 else list(range(n - 1, -1, -1))
        if maxlen:
            order = order[:maxlen]
        hits = [i for i in order if self.m[i] == v][abs(rank) - 1:]
        if count:
            hits = hits[:count]
        assert self.q.lpos(v, rank, count, maxlen) == hits

    @invariant()
    def consistent(self):
        assert list(self.q) == self.m
        assert self.q.nbytes == 7 + sum(map(lp_entry_size, self.m))
        c = self.q.copy()
        assert list(c) == self.m and c.lp == self.q.lp and c.nbytes == self.q.nbytes


TestListMachine = ListMachine.TestCase
TestListMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)


def test_entry_sizes_match_listpack_rules():
    assert lp_entry_size(b"0") == 2 and lp_entry_size(b"127") == 2
    assert lp_entry_size(b"128") == 3 and lp_entry_size(b"-4096") == 3
    assert lp_entry_size(b"32767") == 4 and lp_entry_size(b"8388607") == 5
    assert lp_entry_size(b"2147483647") == 6 and lp_entry_size(b"9223372036854775807") == 10
    # not canonical integers: stored as strings
    assert lp_entry_size(b"007") == 5 and lp_entry_size(b"-0") == 4
    assert lp_entry_size(b"9223372036854775808") == 21
    assert lp_entry_size(b"") == 2 and lp_entry_size(b"a" * 63) == 65
    assert lp_entry_size(b"a" * 64) == 67          # 2-byte header, backlen 1
    assert lp_entry_size(b"a" * 200) == 204        # backlen 2
    assert lp_entry_size(b"a" * 5000) == 5007      # 5-byte header, backlen 2


def test_encoding_count_mode_with_hysteresis():
    cfg = Cfg(4)
    q = QuickList(cfg=cfg)
    q.rpush([b"a", b"b", b"c", b"d"])
    assert q.encoding() == "listpack"
    q.rpush([b"e"])
    assert q.encoding() == "quicklist"
    q.rpop()
    q.rpop()
    assert q.encoding() == "quicklist"         # 3 > 4/2
    q.rpop()
    assert q.encoding() == "listpack"          # 2 <= 4/2


def test_encoding_size_mode():
    cfg = Cfg(-1)                                   # 4096 bytes
    q = QuickList(cfg=cfg)
    q.rpush([b"x" * 1000] * 4)
    assert q.encoding() == "listpack"
    q.rpush([b"x" * 100])                           # 4000+ bytes + 100 > 4096
    assert q.encoding() == "quicklist"
    q.ltrim(0, 1)                                   # ~2000 bytes <= 2048
    assert q.encoding() == "listpack"
    big = QuickList([b"y" * 9000])
    assert big.encoding() == "quicklist"
    cfg.list_max_listpack_size = 0                  # CONFIG SET: one entry per node
    q2 = QuickList(cfg=cfg)
    q2.rpush([b"a"])
    assert q2.encoding() == "listpack"
    q2.linsert(True, b"missing", b"b")              # the check runs even without pivot
    assert q2.encoding() == "quicklist"


@given(st.lists(values))
def test_lrange_far_end_matches(vs):
    q = QuickList(vs)
    n = len(vs)
    for a in range(-n - 1, n + 1):
        assert q.lrange(a, -1) == vs[max(a + n, 0) if a < 0 else a:]
