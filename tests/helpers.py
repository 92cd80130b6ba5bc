"""Test helpers: free ports, starting ember / redis-server processes, and a raw RESP
connection that returns each reply's exact bytes (for differential tests)."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc=None, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                data = s.recv(100)
                if data.startswith(b"+PONG") or data.startswith(b"-"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server on port %d did not come up" % port)


class ServerProcess:
    """A server subprocess (ember or redis-server) on a free loopback port, in its own dir."""

    def __init__(self, kind="ember", args=(), port=None, dir=None, env=None):
        self.kind = kind
        self.port = port or free_port()
        self.dir = dir or tempfile.mkdtemp(prefix="ember-test-")
        self._own_dir = dir is None
        if kind == "ember":
            cmd = [sys.executable, "-m", "ember"]
        else:
            cmd = [shutil.which("redis-server") or "redis-server"]
        self.cmd = cmd + ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                          "--save", ""] + [str(a) for a in args]
        e = dict(os.environ)
        e["PYTHONPATH"] = os.path.join(ROOT, "src") + os.pathsep + e.get("PYTHONPATH", "")
        if env:
            e.update(env)
        self.env = e
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir,
                                     env=self.env)
        if wait:
            try:
                wait_port(self.port, self.proc)
            except RuntimeError:
                self.stop()
                raise RuntimeError("failed to start %s: %s" % (self.kind, self.read_log()[-2000:]))
        return self

    def read_log(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, sig=None):
        if self.proc is not None and self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if getattr(self, "log", None):
            self.log.close()

    def cleanup(self):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


def have_redis() -> bool:
    return shutil.which("redis-server") is not None


def encode_command(*args) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        elif isinstance(a, float):
            a = repr(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


class RawConn:
    """A socket that sends commands and returns each reply's raw bytes."""

    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed")
        self.buf += data

    def _line(self, pos):
        while True:
            i = self.buf.find(b"\r\n", pos)
            if i >= 0:
                return i
            self._fill()

    def _skip(self, pos):
        """Return the end offset of the reply starting at ``pos``."""
        while len(self.buf) <= pos:
            self._fill()
        t = self.buf[pos:pos + 1]
        eol = self._line(pos)
        head = self.buf[pos + 1:eol]
        end = eol + 2
        if t in (b"$", b"=", b"!"):
            n = int(head)
            if n < 0:
                return end
            while len(self.buf) < end + n + 2:
                self._fill()
            return end + n + 2
        if t in (b"*", b"~", b">", b"%", b"|"):
            n = int(head)
            if n < 0:
                return end
            if t in (b"%", b"|"):
                n *= 2
            for _ in range(n):
                end = self._skip(end)
            if t == b"|":  # attribute: followed by the real reply
                end = self._skip(end)
            return end
        return end

    def read_reply(self) -> bytes:
        end = self._skip(0)
        r, self.buf = self.buf[:end], self.buf[end:]
        return r

    def call(self, *args) -> bytes:
        self.send(encode_command(*args))
        return self.read_reply()

    def is_closed(self, timeout=2.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(1)
            return data == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
