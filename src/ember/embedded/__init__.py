"""Embedded mode: the same engine in-process, with no socket.

    from ember.embedded import Ember
    db = Ember()                 # a Server with its own config and clock
    c = db.client()              # a connection-like object
    c.execute("SET", "k", "v")   # -> "OK" (reply values as handlers return them)
    c.execute_raw(b"*1\r\n$4\r\nPING\r\n")  # -> RESP bytes, as a socket would get them

Commands go through the same dispatch gate as network clients (arity, auth, MULTI...).
Error replies raise ``ReplyError`` from ``execute`` (or are returned with ``raise_errors=False``).
Out-of-band pushes (pub/sub) are collected in ``client.pushes``.
A command held by CLIENT PAUSE waits (sleeps) until the pause ends, then runs, as a network
client would wait for its reply; nothing else in the process can end the pause meanwhile
unless another thread calls CLIENT UNPAUSE.
"""

import time

from ..commands.dispatch import execute
from ..config import Config
from ..protocol.encoder import encode
from ..protocol.replies import ReplyError
from ..server.app import Server
from ..server.client import Client, REPLY_ON, REPLY_SKIP, REPLY_SKIP_NEXT


def _b(a):
    if isinstance(a, bytes):
        return a
    if isinstance(a, (bytearray, memoryview)):
        return bytes(a)
    if isinstance(a, str):
        return a.encode()
    if isinstance(a, float):
        return repr(a).encode()
    return str(a).encode()


class EmbeddedClient:
    def __init__(self, server):
        self.server = server
        self.pushes = []
        self.client = Client(server, send=self.pushes.append, addr="embedded:0", laddr="embedded:0")
        self.client.kind = "normal"
        server.add_client(self.client)

    def execute(self, *args, raise_errors=True):
        argv = [_b(a) for a in args]
        self.server.now_ms = self.server.clock_ms()
        reply = execute(self.client, argv)
        if self.client.paused:
            reply = self._wait_pause(argv)
        if raise_errors and isinstance(reply, ReplyError):
            raise reply
        return reply

    def _wait_pause(self, argv):
        """CLIENT PAUSE parked this command: take it back, wait for the pause to end (by its
        timeout or an UNPAUSE from another thread), then run it."""
        c = self.client
        server = self.server
        while True:
            p = server.pause
            if p is not None:
                p.parked.pop(c, None)
            c.paused = False
            if p is None:
                break
            left = p.end - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(left, 0.05))
        server.now_ms = server.clock_ms()
        reply = execute(c, argv)
        if c.paused:                      # paused again meanwhile
            return self._wait_pause(argv)
        return reply

    def execute_raw(self, data: bytes) -> bytes:
        """Feed raw RESP (or inline) request bytes; return the encoded replies."""
        from ..protocol.parser import PyRequestParser
        p = PyRequestParser()
        p.authenticated = True
        p.feed(data)
        out = []
        for argv in p.get_commands():
            self.server.now_ms = self.server.clock_ms()
            reply = execute(self.client, argv)
            if self.client.reply_mode == REPLY_ON:
                out.append(encode(reply, self.client.resp3))
        out.extend(self.pushes)
        self.pushes.clear()
        return b"".join(out)

    def close(self):
        self.server.remove_client(self.client)


class Ember:
    """An in-process server.  ``Ember(config_overrides={"maxmemory": "1mb"})``."""

    def __init__(self, config=None, clock=None, **overrides):
        if config is None:
            config = Config()
        pairs = [(k.replace("_", "-").encode(), _b(v)) for k, v in overrides.items()]
        if pairs:
            config.set(pairs)
        self.server = Server(config, clock=clock)

    def client(self) -> EmbeddedClient:
        return EmbeddedClient(self.server)

    def cron(self):
        self.server.cron()
