"""The command line: ``python -m ember`` / ``ember-server`` start-up, config-file errors,
Debian's stock redis.conf, signals, --version."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from helpers import ROOT, RawConn, ServerProcess, free_port, wait_port

ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
DEBIAN_CONF = "/etc/redis/redis.conf"


def _run(args, **kw):
    return subprocess.run([sys.executable, "-m", "ember"] + args, capture_output=True, env=ENV,
                          timeout=30, **kw)


def test_starts_and_logs_ready(tmp_path):
    with ServerProcess("ember", dir=str(tmp_path)) as s:
        c = RawConn(s.port)
        assert c.call("PING") == b"+PONG\r\n"
        c.close()
        assert "Ready to accept connections" in s.read_log()


def test_unknown_directive_is_fatal(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text("port 0\n# a comment\nfoo bar\n")
    r = _run([str(conf)])
    assert r.returncode != 0
    out = (r.stdout + r.stderr).decode()
    assert "*** FATAL CONFIG FILE ERROR (Redis " in out
    assert "Reading the configuration file, at line 3\n>>> 'foo bar'\n" \
           "Bad directive or wrong number of arguments" in out


def test_bad_value_on_command_line_is_fatal():
    r = _run(["--port", "notaport"])
    assert r.returncode != 0
    assert b"FATAL CONFIG FILE ERROR" in r.stdout + r.stderr


@pytest.mark.skipif(not os.path.exists(DEBIAN_CONF), reason="no Debian redis.conf")
def test_debian_redis_conf_loads(tmp_path):
    port = free_port()
    p = subprocess.Popen([sys.executable, "-m", "ember", DEBIAN_CONF, "--port", str(port),
                          "--daemonize", "no", "--supervised", "no", "--logfile", "",
                          "--dir", str(tmp_path), "--bind", "127.0.0.1", "--pidfile", ""],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV, cwd=str(tmp_path))
    try:
        wait_port(port, p)
        c = RawConn(port)
        assert c.call("SET", "k", "v") == b"+OK\r\n"
        assert c.call("CONFIG", "GET", "databases") == b"*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n"
        c.close()
    finally:
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=15)
    assert p.returncode == 0, out.decode()[-2000:]
    assert b"Configuration loaded" in out and b"Ready to accept connections" in out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_exits_cleanly(tmp_path, sig):
    s = ServerProcess("ember", dir=str(tmp_path)).start()
    try:
        c = RawConn(s.port)
        assert c.call("SET", "k", "v") == b"+OK\r\n"
        c.close()
        s.proc.send_signal(sig)
        assert s.proc.wait(15) == 0
        log = s.read_log()
        assert "ready to exit, bye bye" in log
        assert "Traceback" not in log
    finally:
        s.cleanup()


def test_version():
    r = _run(["--version"])
    assert r.returncode == 0
    assert r.stdout.startswith(b"Redis server v=7.")
    # the ember-server console script (pyproject: ember-server = "ember.cli:main")
    exe = shutil.which("ember-server")
    cmd = [exe] if exe else [sys.executable, "-c", "import sys; from ember.cli import main; sys.exit(main())"]
    for flag in ("--version", "-v"):
        r = subprocess.run(cmd + [flag], capture_output=True, env=ENV, timeout=30)
        assert r.returncode == 0 and r.stdout.startswith(b"Redis server v=7."), r


def test_daemonize_detaches_and_writes_pidfile(tmp_path):
    port = free_port()
    pidfile = tmp_path / "ember.pid"
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "src"))
    r = subprocess.run([sys.executable, "-m", "ember", "--port", str(port), "--bind", "127.0.0.1",
                        "--save", "", "--dir", str(tmp_path), "--daemonize", "yes",
                        "--pidfile", str(pidfile), "--logfile", str(tmp_path / "log")],
                       env=env, timeout=30)
    assert r.returncode == 0          # the foreground process returns at once
    wait_port(port)
    pid = int(pidfile.read_text())
    try:
        assert RawConn(port).call("PING") == b"+PONG\r\n"
    finally:
        os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not pidfile.exists():
            break
        time.sleep(0.05)
    assert not pidfile.exists()       # removed on clean shutdown
