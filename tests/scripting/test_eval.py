"""EVAL / FUNCTION basics through the embedded client."""

import pytest

from ember.embedded import Ember


@pytest.fixture
def r():
    return Ember().client()


def ex(r, *a):
    try:
        return r.execute(*a)
    except Exception as e:  # error replies
        return "EXC %s" % e


def test_keys_argv_and_call(r):
    assert ex(r, "eval", "return redis.call('set',KEYS[1],ARGV[1])", "1", "k", "v") == "OK"
    assert ex(r, "eval", "return redis.call('get',KEYS[1])", "1", "k") == b"v"


def test_conversions(r):
    out = ex(r, "eval", "return {1,2,3.7,'x',false,{ok='fine'}}", "0")
    assert out[:4] == [1, 2, 3, b"x"] and out[4] is None


def test_error_texts(r):
    assert "Script attempted to access nonexistent global variable 'foo' script: " \
           "47e30a5d10d5694f99208f9adc4fe3bf2450edbd, on @user_script:1." in ex(r, "eval", "return foo", "0")
    assert ex(r, "eval", "return redis.call('nosuch')", "0").endswith(
        "ERR Unknown Redis command called from script script: "
        "206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.")
    assert "Write commands are not allowed from read-only scripts" in ex(
        r, "eval_ro", "return redis.call('set','k','v')", "0")
    assert ex(r, "evalsha", "f" * 40, "0") == "EXC NOSCRIPT No matching script. Please use EVAL."


def test_functions(r):
    lib = "#!lua name=lib\nredis.register_function('f', function(k,a) return a[1] end)"
    assert ex(r, "function", "load", lib) == b"lib"
    assert ex(r, "fcall", "f", "0", "hello") == b"hello"
    dump = ex(r, "function", "dump")
    assert ex(r, "function", "restore", dump, "replace") == "OK"
