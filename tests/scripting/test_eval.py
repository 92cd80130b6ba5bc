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


@pytest.mark.parametrize("nkeys,nargs", [(0, 0), (0, 3), (2, 0), (2, 3), (1, 300), (300, 2)])
def test_keys_argv_split(r, nkeys, nargs):
    # small counts travel as Lua call arguments, large ones as tables built in Python
    keys = ["k%d" % i for i in range(nkeys)]
    args = ["a%d" % i for i in range(nargs)]
    script = ("return {#KEYS, #ARGV, KEYS[1] or 'none', KEYS[#KEYS] or 'none', "
              "ARGV[1] or 'none', ARGV[#ARGV] or 'none', tostring(KEYS[#KEYS + 1]), "
              "tostring(ARGV[#ARGV + 1])}")
    out = ex(r, "eval", script, str(nkeys), *keys, *args)
    last = lambda xs: xs[-1].encode() if xs else b"none"  # noqa: E731
    first = lambda xs: xs[0].encode() if xs else b"none"  # noqa: E731
    assert out == [nkeys, nargs, first(keys), last(keys), first(args), last(args), b"nil", b"nil"]
    lib = "#!lua name=split\nredis.register_function('split', function(k, a) %s end)" % (
        script.replace("KEYS", "k").replace("ARGV", "a"))
    assert ex(r, "function", "load", "replace", lib) == b"split"
    assert ex(r, "fcall", "split", str(nkeys), *keys, *args) == out


def test_call_paths(r):
    # redis.call's direct path and the general one give the same answers
    s = "return redis.call(ARGV[1], KEYS[1], unpack(ARGV, 2))"
    assert ex(r, "eval", s, "1", "n", "incrby", "5") == 5
    assert ex(r, "eval", "return redis.call('incrby', KEYS[1], 5)", "1", "n") == 10
    assert ex(r, "eval", "return redis.call('INCRBY', KEYS[1], 5.0)", "1", "n") == 15
    assert "Wrong number of args calling Redis command from script" in ex(
        r, "eval", "return redis.call('incr', KEYS[1], 'x')", "1", "n")
    assert ex(r, "eval", "return redis.pcall('incr', KEYS[1], 'x')['err']", "1", "n") == \
        b"ERR Wrong number of args calling Redis command from script"
    assert "Write commands are not allowed from read-only scripts" in ex(
        r, "eval_ro", "return redis.call('incr', KEYS[1])", "1", "n")
    assert "Write commands are not allowed from read-only scripts" in ex(
        r, "eval", "#!lua flags=no-writes\nreturn redis.call('incr', KEYS[1])", "1", "n")
    assert ex(r, "eval", "return redis.pcall('lpush', KEYS[1], 'x')['err']", "1", "n") == \
        b"WRONGTYPE Operation against a key holding the wrong kind of value"
    assert ex(r, "eval", "return redis.call('set', KEYS[1], 'v')", "1", "s") == "OK"
    assert ex(r, "eval", "return redis.call('get', KEYS[1])", "1", "s") == b"v"
    assert ex(r, "eval", "return redis.call('get', KEYS[1])", "1", "nokey") is None


def _propagated(db):
    seen = []
    db.server.propagate_hooks.append(lambda dbid, argv: seen.append(list(argv)))
    db.server.propagating = True
    return seen


def test_set_repl_controls_propagation():
    db = Ember()
    seen = _propagated(db)
    c = db.client()
    c.execute("EVAL", "redis.call('SET', 'a', '1') redis.set_repl(redis.REPL_NONE) "
              "redis.call('SET', 'b', '2') redis.call('INCRBYFLOAT', 'n', '1.5') "
              "redis.set_repl(redis.REPL_ALL) redis.call('SET', 'c', '3')", "0")
    assert seen == [[b"MULTI"], [b"SET", b"a", b"1"], [b"SET", b"c", b"3"], [b"EXEC"]]
    # nothing propagated before set_repl(REPL_AOF): the MULTI opens with the first write that is
    del seen[:]
    c.execute("EVAL", "redis.set_repl(redis.REPL_REPLICA) redis.call('SET', 'b', '2') "
              "redis.call('GET', 'b') redis.set_repl(redis.REPL_AOF) redis.call('GET', 'b') "
              "redis.call('SET', 'c', '4') redis.call('SET', 'd', '5')", "0")
    assert seen == [[b"MULTI"], [b"SET", b"c", b"4"], [b"SET", b"d", b"5"], [b"EXEC"]]
    # REPL_NONE only: no MULTI/EXEC at all; the next script propagates again (reset per script)
    del seen[:]
    c.execute("EVAL", "redis.set_repl(redis.REPL_SLAVE) redis.call('SET', 'x', '1') "
              "redis.call('DEL', 'x')", "0")
    assert seen == []
    assert db.server.propagating
    c.execute("EVAL", "redis.call('SET', 'y', '1')", "0")
    assert seen == [[b"MULTI"], [b"SET", b"y", b"1"], [b"EXEC"]]
    # a script failing with propagation off leaves it on for the rest
    del seen[:]
    with pytest.raises(Exception):
        c.execute("EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('SET', 'z', '1') error('x')", "0")
    assert db.server.propagating
    c.execute("SET", "w", "1")
    assert seen == [[b"SET", b"w", b"1"]]
    assert c.execute("GET", "b") == b"2" and c.execute("EXISTS", "n") == 1


def test_set_repl_arguments(r):
    msg = "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."
    for flags in ("99", "-1", "4", "0/0", "1/0"):
        with pytest.raises(Exception) as e:
            r.execute("EVAL", "redis.set_repl(%s)" % flags, "0")
        assert str(e.value).startswith(msg), flags
    for args in ("", "1, 2"):
        with pytest.raises(Exception) as e:
            r.execute("EVAL", "redis.set_repl(%s)" % args, "0")
        assert str(e.value).startswith("ERR redis.set_repl() requires two arguments."), args
    # as Redis: not a number counts as 0, fractions are truncated
    for flags in ("'x'", "nil", "{}", "1.5", "3.9", "-0.5", "'2'"):
        assert r.execute("EVAL", "redis.set_repl(%s) return 1" % flags, "0") == 1, flags
    assert r.execute("EVAL", "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, "
                     "redis.REPL_SLAVE, redis.REPL_ALL}", "0") == [0, 1, 2, 2, 3]


def _info_memory(r):
    from ember.commands.server import info_fields
    return info_fields(r.server, "memory")[1]


def test_info_memory_script_fields_follow_the_caches(r):
    """INFO memory's script fields are live: cached EVAL scripts, libraries, functions and
    the Lua VM's own memory (they were constants)."""
    base = _info_memory(r)
    assert base["number_of_cached_scripts"] == 0 and base["number_of_libraries"] == 0
    r.execute("SCRIPT", "LOAD", "return 1")
    r.execute("EVAL", "return 'a longer body, forty bytes or so......'", 0)
    r.execute("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f1', function() return 1 end)\n"
              "redis.register_function('f2', function() return 2 end)")
    m = _info_memory(r)
    assert m["number_of_cached_scripts"] == 2
    assert m["number_of_functions"] == 2 and m["number_of_libraries"] == 1
    assert m["used_memory_scripts_eval"] > len("return 1") + 40
    assert m["used_memory_functions"] > base["used_memory_functions"] + 100
    assert m["used_memory_scripts"] == m["used_memory_scripts_eval"] + m["used_memory_functions"]
    assert m["used_memory_lua"] == m["used_memory_vm_eval"] > 16 * 1024
    assert m["used_memory_vm_total"] == m["used_memory_vm_eval"] + m["used_memory_vm_functions"]
    # seen from inside a script too
    assert r.execute("EVAL", "return redis.call('INFO', 'memory'):match('number_of_cached_scripts:%d+')", 0) \
        == b"number_of_cached_scripts:3"
    r.execute("SCRIPT", "FLUSH")
    r.execute("FUNCTION", "FLUSH")
    m = _info_memory(r)
    assert m["number_of_cached_scripts"] == m["number_of_functions"] == 0
    assert m["used_memory_scripts"] == base["used_memory_scripts"]
