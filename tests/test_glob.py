import os
import shutil
import socket
import subprocess
import time

import pytest
from hypothesis import given, settings, strategies as st

from ember import glob


# --- reference: a direct, recursive transcription of the matching rules ------------------

def _at(p, i):
    return p[i] if 0 <= i < len(p) else 0  # C strings: NUL past the end


def _lower(c):
    return c + 32 if 65 <= c <= 90 else c


def _sc(c):
    return c - 256 if c >= 128 else c


def ref_match(p, s, nocase=False):
    state = {"skip": False}

    def rec(pi, si, nesting):
        if nesting > 1000:
            return False
        plen = len(p) - pi
        slen = len(s) - si
        while plen and slen:
            c = p[pi]
            if c == ord("*"):
                while plen and _at(p, pi + 1) == ord("*"):
                    pi += 1
                    plen -= 1
                if plen == 1:
                    return True
                while slen:
                    if rec(pi + 1, si, nesting + 1):
                        return True
                    if state["skip"]:
                        return False
                    si += 1
                    slen -= 1
                state["skip"] = True
                return False
            elif c == ord("?"):
                si += 1
                slen -= 1
            elif c == ord("["):
                pi += 1
                plen -= 1
                neg = _at(p, pi) == ord("^")
                if neg:
                    pi += 1
                    plen -= 1
                matched = False
                while True:
                    if _at(p, pi) == ord("\\") and plen >= 2:
                        pi += 1
                        plen -= 1
                        if p[pi] == s[si]:
                            matched = True
                    elif _at(p, pi) == ord("]"):
                        break
                    elif plen == 0:
                        pi -= 1
                        plen += 1
                        break
                    elif plen >= 3 and p[pi + 1] == ord("-"):
                        start, end, ch = _sc(p[pi]), _sc(p[pi + 2]), _sc(s[si])
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, ch = _lower(start), _lower(end), _lower(ch)
                        pi += 2
                        plen -= 2
                        if start <= ch <= end:
                            matched = True
                    else:
                        if nocase:
                            if _lower(p[pi]) == _lower(s[si]):
                                matched = True
                        elif p[pi] == s[si]:
                            matched = True
                    pi += 1
                    plen -= 1
                if neg:
                    matched = not matched
                if not matched:
                    return False
                si += 1
                slen -= 1
            else:
                if c == ord("\\") and plen >= 2:
                    pi += 1
                    plen -= 1
                    c = p[pi]
                if nocase:
                    if _lower(c) != _lower(s[si]):
                        return False
                elif c != s[si]:
                    return False
                si += 1
                slen -= 1
            pi += 1
            plen -= 1
            if slen == 0:
                while _at(p, pi) == ord("*"):
                    pi += 1
                    plen -= 1
                break
        return plen == 0 and slen == 0

    return rec(0, 0, 0)


# --- example based ---------------------------------------------------------------------

CASES = [
    (b"*", b"anything", True),
    (b"*", b"", False),
    (b"", b"", True),
    (b"", b"a", False),
    (b"h?llo", b"hello", True),
    (b"h?llo", b"hllo", False),
    (b"h*llo", b"hllo", True),
    (b"h*llo", b"heeeello", True),
    (b"h[ae]llo", b"hallo", True),
    (b"h[ae]llo", b"hillo", False),
    (b"h[^e]llo", b"hallo", True),
    (b"h[^e]llo", b"hello", False),
    (b"h[a-b]llo", b"hbllo", True),
    (b"h[b-a]llo", b"hallo", True),  # reversed range
    (b"h\\*llo", b"h*llo", True),
    (b"h\\*llo", b"hello", False),
    (b"a\\", b"a\\", True),  # trailing backslash is literal
    (b"[", b"a", False),
    (b"[abc", b"b", True),  # unterminated class
    (b"[abc", b"bc", False),
    (b"[^", b"x", True),
    (b"[a-]", b"^", True),  # 'a-]' is the range ]..a, then unterminated
    (b"[\\]]", b"]", True),
    (b"[]]", b"]", False),
    (b"**a**", b"xa", True),
    (b"a*b*c", b"aXXbYYc", True),
    (b"a*b*c", b"aXXcYYb", False),
    (b"*a*b*c*d*", b"1a2b3c4d5", True),
    (b"*a*b*c*d*", b"1a2b3d4c5", False),
]


@pytest.mark.parametrize("pattern,subject,expected", CASES)
def test_cases(pattern, subject, expected):
    assert glob.match(pattern, subject) is expected
    assert ref_match(pattern, subject) is expected


def test_nocase():
    assert glob.match(b"HeLLo", b"hello", nocase=True)
    assert not glob.match(b"HeLLo", b"hello")
    assert glob.match(b"[A-Z]x", b"qX", nocase=True)
    # escaped chars inside a class are compared exactly, outside they fold
    assert not glob.match(b"[\\A]", b"a", nocase=True)
    assert glob.match(b"\\A", b"a", nocase=True)
    # range bounds fold after the swap: Z-a becomes z..a, which is empty
    assert not glob.match(b"[Z-a]", b"_", nocase=True)
    assert glob.match(b"[Z-a]", b"_")


def test_signed_ranges():
    # Ranges compare as signed chars: [a-\xff] is -1..97
    assert glob.match(b"[a-\xff]", b"\x00")
    assert glob.match(b"[a-\xff]", b"\xff")
    assert not glob.match(b"[a-\xff]", b"\x80")
    assert not glob.match(b"[a-\xff]", b"b")


def test_nesting_limit():
    s = b"a" * 1001
    assert glob.match(b"*a" * 1000, b"a" * 1000)
    assert not glob.match(b"*a" * 1001, s)
    assert not glob.match(b"*a" * 1001 + b"*", s)
    assert glob.match(b"a*" * 1001, s)


def test_compile_and_cache():
    f = glob.compile(b"user:*")
    assert f(b"user:1") and not f(b"usr:1")
    assert glob.compile(b"user:*") is f
    assert glob.matches_everything(b"*") and not glob.matches_everything(b"**")


def test_no_catastrophic_backtracking():
    pat = b"*a*a*a*a*a*a*a*a*b"
    subj = b"a" * 5000
    t = time.time()
    assert not glob.match(pat, subj)
    assert time.time() - t < 1.0


# --- property test against the reference ----------------------------------------------

_alphabet = st.sampled_from(list(b"ab*?[]^-\\Az\x80\xff"))
_pat = st.lists(_alphabet, max_size=12).map(bytes)
_subj = st.lists(st.sampled_from(list(b"abAz-]^\\*?[\x80\xff\x00")), max_size=10).map(bytes)


@settings(max_examples=3000, deadline=None)
@given(_pat, _subj, st.booleans())
def test_property_against_reference(pattern, subject, nocase):
    assert glob.match(pattern, subject, nocase) == ref_match(pattern, subject, nocase)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"*", b"a", b"b", b"?", b"[ab]"]), max_size=12).map(b"".join),
       st.lists(st.sampled_from(list(b"ab")), max_size=20).map(bytes))
def test_property_many_stars(pattern, subject):
    assert glob.match(pattern, subject) == ref_match(pattern, subject)


# --- oracle ----------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def oracle():
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed")
    redis = pytest.importorskip("redis")
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except Exception:
            time.sleep(0.05)
    yield client
    proc.terminate()
    proc.wait()


ORACLE_KEYS = [b"hello", b"hallo", b"hxllo", b"hllo", b"heeello", b"a*b", b"a\\b", b"[x]",
               b"]", b"^", b"-", b"a", b"A", b"\x80", b"\xff", b"z", b"ab", b"h[llo", b"_"]
ORACLE_PATTERNS = [b"h?llo", b"h*llo", b"h[ae]llo", b"h[^e]llo", b"h[a-b]llo", b"h[b-a]llo",
                   b"a\\*b", b"a\\\\b", b"a\\", b"[", b"[a", b"[^", b"[a-]", b"[\\]]", b"[]]",
                   b"[x", b"\\[x]", b"[[]x]", b"*[", b"h[", b"[a-\xff]", b"[\x80-b]", b"[Z-a]",
                   b"[-]", b"[--a]", b"?", b"??", b"*?*", b"a*", b"*b", b"[^a-z]", b"[A-a]"]


def test_against_oracle(oracle):
    oracle.flushall()
    for k in ORACLE_KEYS:
        oracle.set(k, b"1")
    for pat in ORACLE_PATTERNS:
        expected = set(oracle.keys(pat))
        got = {k for k in ORACLE_KEYS if glob.match(pat, k)}
        assert got == expected, pat
    oracle.flushall()
