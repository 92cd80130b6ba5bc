"""Glob-style pattern matching with the semantics of Redis' ``stringmatchlen``.

Public API:

    match(pattern, subject, nocase=False) -> bool
    compile(pattern, nocase=False) -> callable(subject) -> bool
    matches_everything(pattern) -> bool

Semantics (byte oriented, mirroring Redis 7.2):

* ``*`` matches any run of bytes; consecutive stars collapse into one.
* ``?`` matches exactly one byte.
* ``[...]`` matches one byte from a set; ``[^...]`` negates; ``a-z`` is a range
  (reversed ranges such as ``z-a`` are swapped); ``\\x`` inside a class is a
  literal byte compared case-sensitively even when ``nocase`` is set.  An
  unterminated class swallows the rest of the pattern.  Range bounds compare
  as *signed* chars (as in C), so ranges crossing 0x7f/0x80 behave like Redis.
* ``\\x`` outside a class matches ``x`` literally; a trailing backslash matches
  a backslash.
* An empty subject never matches a non-empty pattern (``match(b"*", b"")`` is
  False, just as in Redis).  KEYS / SCAN special-case the pattern ``*`` before
  calling the matcher, which is why they list the empty key: callers that want
  the same behaviour should test :func:`matches_everything` first.
* Like Redis (since the recursion limit was introduced), a pattern whose star
  nesting exceeds 1000 levels never matches.

Patterns are parsed once into a list of tokens (each either a star or a set of
allowed byte values -- every non-star token consumes exactly one byte), then
turned into a compiled ``re`` pattern over bytes.  Patterns with many stars use
a segment matcher (leftmost search of fixed-length segments) which is linear in
practice and immune to catastrophic backtracking.  Compiled matchers are kept
in a bounded LRU cache.
"""

from __future__ import annotations

import re
from collections import OrderedDict

__all__ = ["match", "compile", "matches_everything", "clear_cache"]

_STAR = None  # token marker for '*'
_MAX_NESTING = 1000
_CACHE_SIZE = 1024
_ALL = frozenset(range(256))


def _signed(c: int) -> int:
    return c - 256 if c >= 128 else c


def _lower(c: int) -> int:
    # C tolower() in the "C" locale, applied to a (possibly negative) char value.
    return c + 32 if 65 <= c <= 90 else c


def _fold(c: int):
    """Byte values equal to c under tolower()."""
    if 65 <= c <= 90:
        return (c, c + 32)
    if 97 <= c <= 122:
        return (c, c - 32)
    return (c,)


def _tokenize(pattern: bytes, nocase: bool):
    """Parse a pattern into tokens: _STAR or a frozenset of allowed byte values.

    Consecutive stars are collapsed.  The walk mirrors the C implementation,
    including the handling of unterminated classes and trailing backslashes.
    """
    tokens = []
    n = len(pattern)
    i = 0
    while i < n:
        c = pattern[i]
        if c == 42:  # '*'
            if not tokens or tokens[-1] is not _STAR:
                tokens.append(_STAR)
            i += 1
        elif c == 63:  # '?'
            tokens.append(_ALL)
            i += 1
        elif c == 91:  # '['
            i += 1
            negate = i < n and pattern[i] == 94  # '^'
            if negate:
                i += 1
            allowed = set()
            while True:
                remaining = n - i
                if remaining >= 2 and pattern[i] == 92:  # '\\' escape: exact compare
                    i += 1
                    allowed.add(pattern[i])
                elif remaining > 0 and pattern[i] == 93:  # ']'
                    break
                elif remaining <= 0:
                    # Unterminated class: the rest of the pattern is consumed.
                    i -= 1
                    break
                elif remaining >= 3 and pattern[i + 1] == 45:  # range a-b
                    start = _signed(pattern[i])
                    end = _signed(pattern[i + 2])
                    if start > end:
                        start, end = end, start
                    if nocase:
                        start = _lower(start)
                        end = _lower(end)
                        for b in range(256):
                            if start <= _lower(_signed(b)) <= end:
                                allowed.add(b)
                    else:
                        for b in range(256):
                            if start <= _signed(b) <= end:
                                allowed.add(b)
                    i += 2
                else:
                    if nocase:
                        allowed.update(_fold(pattern[i]))
                    else:
                        allowed.add(pattern[i])
                i += 1
            if negate:
                allowed = _ALL.difference(allowed)
            tokens.append(frozenset(allowed))
            i += 1
        else:
            if c == 92 and n - i >= 2:  # '\\' escape outside a class
                i += 1
                c = pattern[i]
            tokens.append(frozenset(_fold(c) if nocase else (c,)))
            i += 1
    return tokens


def _class_regex(allowed) -> bytes:
    if len(allowed) == 256:
        return b"[\\x00-\\xff]"
    if len(allowed) == 0:
        return b"(?!)"
    if len(allowed) == 1:
        return re.escape(bytes(allowed))
    values = sorted(allowed)
    parts = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if j == i:
            parts.append(b"\\x%02x" % values[i])
        elif j == i + 1:
            parts.append(b"\\x%02x\\x%02x" % (values[i], values[j]))
        else:
            parts.append(b"\\x%02x-\\x%02x" % (values[i], values[j]))
        i = j + 1
    return b"[" + b"".join(parts) + b"]"


def _segment_regex(segment) -> bytes:
    return b"".join(_class_regex(t) for t in segment)


def _never(subject) -> bool:
    return False


def _nonempty(subject) -> bool:
    return len(subject) > 0


def _build(pattern: bytes, nocase: bool):
    tokens = _tokenize(pattern, nocase)
    if not tokens:
        return lambda subject: len(subject) == 0
    stars = sum(1 for t in tokens if t is _STAR)
    trailing_star = tokens[-1] is _STAR
    # Recursion limit: star group number k recurses at nesting k; a nesting
    # above the limit fails, except that a trailing star never recurses.
    if stars > _MAX_NESTING + 1 or (stars == _MAX_NESTING + 1 and not trailing_star):
        return _never
    if tokens == [_STAR]:
        return _nonempty

    # Split into fixed-length segments separated by stars.
    segments = [[]]
    for t in tokens:
        if t is _STAR:
            segments.append([])
        else:
            segments[-1].append(t)

    if stars == 0:
        # Pure literal fast path.
        if all(len(t) == 1 for t in tokens):
            lit = bytes(next(iter(t)) for t in tokens)
            return lit.__eq__
        rx = re.compile(_segment_regex(segments[0]), re.DOTALL)
        fm = rx.fullmatch
        return lambda subject: fm(subject) is not None

    first, last = segments[0], segments[-1]
    middle = [s for s in segments[1:-1] if s]
    # Note: a star consumes >= 0 bytes, but the subject must be non-empty
    # (an empty subject only matches an empty pattern).
    if not middle:
        if all(len(t) == 1 for t in first) and all(len(t) == 1 for t in last):
            pre = bytes(next(iter(t)) for t in first)
            suf = bytes(next(iter(t)) for t in last)
            minlen = max(len(pre) + len(suf), 1)
            if not suf:
                return lambda s: len(s) >= minlen and s.startswith(pre)
            if not pre:
                return lambda s: len(s) >= minlen and s.endswith(suf)
            return lambda s: len(s) >= minlen and s.startswith(pre) and s.endswith(suf)
    if len(middle) <= 1:
        rx = re.compile(
            b"(?=[\\x00-\\xff])" + b"[\\x00-\\xff]*".join(_segment_regex(s) for s in segments),
            re.DOTALL,
        )
        fm = rx.fullmatch
        return lambda subject: fm(subject) is not None

    # Many stars: anchored head and tail, leftmost search for the middle parts.
    head = re.compile(_segment_regex(first), re.DOTALL).match if first else None
    tail = re.compile(_segment_regex(last), re.DOTALL).fullmatch if last else None
    hlen, tlen = len(first), len(last)
    mids = [re.compile(_segment_regex(s), re.DOTALL).search for s in middle]

    def matcher(subject) -> bool:
        n = len(subject)
        if n == 0 or n < hlen + tlen:
            return False
        if head is not None and head(subject) is None:
            return False
        end = n - tlen
        if tail is not None and tail(subject, end) is None:
            return False
        pos = hlen
        for search in mids:
            m = search(subject, pos, end)
            if m is None:
                return False
            pos = m.end()
        return True

    return matcher


_cache: "OrderedDict[tuple, object]" = OrderedDict()


def compile(pattern, nocase: bool = False):  # noqa: A001 - mirrors re.compile
    """Return a callable ``f(subject) -> bool`` equivalent to ``match(pattern, subject, nocase)``."""
    if not isinstance(pattern, bytes):
        pattern = bytes(pattern)
    key = (pattern, bool(nocase))
    fn = _cache.get(key)
    if fn is not None:
        _cache.move_to_end(key)
        return fn
    fn = _build(pattern, bool(nocase))
    _cache[key] = fn
    if len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return fn


def match(pattern, subject, nocase: bool = False) -> bool:
    """True if ``subject`` matches the glob ``pattern`` (Redis stringmatchlen semantics)."""
    return compile(pattern, nocase)(subject)


def matches_everything(pattern) -> bool:
    """True for the pattern ``*`` which KEYS/SCAN treat as 'all keys' (even the empty key)."""
    return pattern == b"*"


def clear_cache() -> None:
    _cache.clear()
