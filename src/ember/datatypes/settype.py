"""The set value (Redis type "set").

Layout: ``items`` is a list of the members and ``pos`` maps member -> index in it, so a
random member is one ``randrange`` away (SRANDMEMBER / SPOP stay O(1) per pick) and removal
is a swap with the last item.  Small sets remove in place instead so that ``items`` keeps
the order a listpack would reply in (insertion order); an intset replies in ascending numeric
order, which ``members()`` produces by sorting (at most set-max-intset-entries items).

Encodings follow Redis 7.2: "intset" (only integers, count <= set-max-intset-entries),
"listpack" (count <= set-max-listpack-entries, every member <= set-max-listpack-value bytes),
otherwise "hashtable".  Conversions happen on add and are one-way (intset -> listpack ->
hashtable, or intset -> hashtable); the one exception, as in Redis, is SPOP with a large
count on a hashtable, which rebuilds the survivors into a fresh set (``rebuild``).

Invariants: ``pos[items[i]] == i`` for every i; members are ``bytes``.
"""

import random

_random = random.random

INTSET, LISTPACK, HASHTABLE = 0, 1, 2
_NAMES = ("intset", "listpack", "hashtable")
_I64_MIN = -(1 << 63)
_I64_MAX = (1 << 63) - 1


def as_int(b):
    """The integer ``b`` spells under Redis' strict string2ll rules, or None."""
    n = len(b)
    if n == 0 or n > 20:
        return None
    c = b[0]
    if c == 45:  # '-'
        if n == 1 or b[1] == 48 or not b[1:].isdigit():
            return None
    elif not b.isdigit() or (c == 48 and n > 1):
        return None
    v = int(b)
    if v < _I64_MIN or v > _I64_MAX:
        return None
    return v


class Set:
    type_name = "set"
    __slots__ = ("items", "pos", "enc", "scans")

    def __init__(self, enc=HASHTABLE):
        self.items = []
        self.pos = {}
        self.enc = enc
        self.scans = None

    @classmethod
    def create(cls, first, size_hint, config):
        """A new empty set sized for ``size_hint`` members, the first being ``first``
        (Redis' setTypeCreate)."""
        if as_int(first) is not None and size_hint <= config.set_max_intset_entries:
            return cls(INTSET)
        if size_hint <= config.set_max_listpack_entries:
            return cls(LISTPACK)
        return cls(HASHTABLE)

    @classmethod
    def build(cls, members, config):
        """A set holding ``members``, encoded as if created empty (intset) and filled by
        adds (SINTERSTORE & co.)."""
        s = cls(INTSET)
        for m in members:
            s.add(m, config)
        return s

    def encoding(self, config=None) -> str:
        return _NAMES[self.enc]

    def __len__(self):
        return len(self.items)

    def __contains__(self, m):
        return m in self.pos

    def add(self, m, config) -> bool:
        pos = self.pos
        if m in pos:
            return False
        enc = self.enc
        if enc == INTSET:
            if as_int(m) is not None:
                self._append(m)
                if len(self.items) > min(config.set_max_intset_entries, 1 << 30):
                    self.enc = HASHTABLE
                return True
            n = len(self.items)
            maxlen = 0
            if n:
                ints = [int(x) for x in self.items]
                maxlen = max(len(str(max(ints))), len(str(min(ints))))
            vlim = config.set_max_listpack_value
            if n < config.set_max_listpack_entries and len(m) <= vlim and maxlen <= vlim:
                self.enc = LISTPACK
                self.items.sort(key=int)          # the listpack keeps the intset's order
                self.pos = {x: i for i, x in enumerate(self.items)}
            else:
                self.enc = HASHTABLE
            self._append(m)
            return True
        items = self.items
        if enc == LISTPACK:
            if len(items) >= config.set_max_listpack_entries or len(m) > config.set_max_listpack_value:
                self.enc = HASHTABLE
        pos[m] = len(items)
        items.append(m)
        return True

    def _append(self, m):
        self.pos[m] = len(self.items)
        self.items.append(m)

    def remove(self, m) -> bool:
        pos = self.pos
        i = pos.pop(m, None)
        if i is None:
            return False
        items = self.items
        if self.enc == LISTPACK:
            del items[i]
            for j in range(i, len(items)):
                pos[items[j]] = j
        else:
            last = items.pop()
            if i < len(items):
                items[i] = last
                pos[last] = i
        return True

    # ---- random access -------------------------------------------------------------------
    def random(self):
        items = self.items
        # int(random() * n) is uniform enough for any n < 2**50 and far cheaper than
        # randrange(); Redis' own pick (random() % size) is no more uniform
        return items[int(_random() * len(items))]

    def sample(self, k):
        """``k`` distinct random members (k <= len)."""
        return random.sample(self.items, k)

    def pop_random(self):
        """Remove and return a random member (the set must not be empty)."""
        items = self.items
        i = int(_random() * len(items))
        m = items[i]
        pos = self.pos
        del pos[m]
        if self.enc == LISTPACK:
            del items[i]
            for j in range(i, len(items)):
                pos[items[j]] = j
        else:
            last = items.pop()
            if i < len(items):
                items[i] = last
                pos[last] = i
        return m

    def rebuild(self, config):
        """Re-encode a hashtable set from its current members, as Redis does when SPOP with
        a large count leaves few survivors (they are re-added into a fresh listpack)."""
        if self.enc != HASHTABLE:
            return
        s = Set(LISTPACK)
        for m in self.items:
            s.add(m, config)
        self.items, self.pos, self.enc = s.items, s.pos, s.enc

    # ---- whole value ---------------------------------------------------------------------
    def members(self):
        """All members in the order Redis would list them (intset: ascending)."""
        if self.enc == INTSET:
            return sorted(self.items, key=int)
        return list(self.items)

    def copy(self):
        s = Set(self.enc)
        s.items = list(self.items)
        s.pos = dict(self.pos)
        return s

    def __iter__(self):
        return iter(self.items)

    def __repr__(self):
        return "Set(%s, %r)" % (_NAMES[self.enc], self.items)
