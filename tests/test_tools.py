"""redis-cli and redis-benchmark, unmodified, against a real ember server."""

import shutil
import subprocess

import pytest

need_tools = pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-tools not installed")


def cli(port, *args, stdin=None):
    return subprocess.run(["redis-cli", "-p", str(port)] + list(args), input=stdin, capture_output=True,
                          text=True, timeout=30).stdout


@need_tools
def test_redis_cli_scripted(ember_shared):
    p = ember_shared.port
    assert cli(p, "PING").strip() == "PONG"
    assert cli(p, "SET", "cli:k", "v").strip() == "OK"
    assert cli(p, "GET", "cli:k").strip() == "v"
    assert "redis_version:7.2" in cli(p, "INFO", "server")
    assert "maxmemory" in cli(p, "CONFIG", "GET", "*")
    assert "id=" in cli(p, "CLIENT", "LIST")
    out = cli(p, "--scan", "--pattern", "cli:*")
    assert out.split() == ["cli:k"]
    # redis-cli 7 asks for COMMAND DOCS on start in interactive mode to build its hints
    out = cli(p, stdin="SET cli:x 1\nGET cli:x\nDBSIZE\n")
    assert "OK" in out and "1" in out
    docs = cli(p, "COMMAND", "DOCS", "get")
    assert "summary" in docs and "arguments" in docs


@need_tools
@pytest.mark.parametrize("pipeline", ["1", "16"])
def test_redis_benchmark_runs_clean(ember_shared, pipeline):
    out = subprocess.run(["redis-benchmark", "-p", str(ember_shared.port), "-t", "set,get,incr,mset",
                          "-n", "2000", "-c", "10", "-P", pipeline, "-q"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    text = out.stdout + out.stderr
    assert "ERR" not in text and "rror" not in text
    for name in ("SET", "GET", "INCR", "MSET"):
        assert name in text
