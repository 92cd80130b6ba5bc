"""Serving other clients while a script keeps the event loop busy.

Scripts run synchronously inside the event loop (that is what makes them atomic), so once
one passes busy-reply-threshold the loop cannot read sockets.  The Lua count hook calls
``pump`` instead: it polls (timeout 0) the connected clients' sockets and the listening
sockets itself, feeds what it reads to each connection's protocol object (which runs the
usual dispatch: everything but allow_busy commands gets the BUSY error, SCRIPT KILL /
FUNCTION KILL / SHUTDOWN NOSAVE run) and writes the replies through the transport.
Connections accepted during the busy period are served the same way by a minimal stand-in
and handed to the event loop (``connect_accepted_socket``) when the script ends.
"""

import os
import select
import socket
import time

_PUMP_INTERVAL = 0.002


def pump(server, ctx):
    now = time.monotonic()
    last = getattr(server, "_busy_pump_at", 0.0)
    if now - last < _PUMP_INTERVAL:
        return
    server._busy_pump_at = now
    saved_now = server.now_ms
    caller = ctx.caller
    try:
        fds = {}
        for c in list(server.clients.values()):
            if c is caller or c.fd is None or c.fd < 0 or c.transport is None or c.closing:
                continue
            fds[c.fd] = c
        net = getattr(server, "network", None)
        listeners = {}
        if net is not None:
            for srv in net.servers:
                for s in srv.sockets or ():
                    try:
                        listeners[s.fileno()] = srv
                    except OSError:
                        pass
        try:
            r, _, _ = select.select(list(fds) + list(listeners), [], [], 0)
        except (OSError, ValueError):
            return
        for fd in r:
            if fd in listeners:
                _accept(server, fd)
                continue
            c = fds[fd]
            try:
                data = os.read(fd, 65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                continue
            if not data:
                continue
            proto = c.transport.get_protocol()
            try:
                proto.data_received(data)
            except Exception as e:  # never break the running script
                server.log.warning("busy pump: %r" % (e,))
        poll_accepted(server)
    finally:
        server.now_ms = saved_now


def _accept(server, fd):
    """Accept a connection during the busy period; it is answered by ``_BusyConn`` until
    the script ends, then given to the event loop."""
    lsock = socket.socket(fileno=os.dup(fd))
    try:
        lsock.setblocking(False)
        try:
            sock, _ = lsock.accept()
        except (BlockingIOError, InterruptedError, OSError):
            return
    finally:
        lsock.close()
    sock.setblocking(False)
    pending = server.subsystems.setdefault("busy_accepted", [])
    pending.append(_BusyConn(server, sock))


class _BusyConn:
    def __init__(self, server, sock):
        from ..protocol.parser import PyRequestParser as RequestParser
        from ..server.client import Client
        self.server = server
        self.sock = sock
        self.parser = RequestParser()
        self.client = Client(server, send=self._send)

    def _send(self, data):
        try:
            self.sock.send(data)
        except OSError:
            pass

    def poll(self):
        from ..commands.dispatch import execute
        from ..protocol.encoder import encode
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        if not data:
            return
        self.parser.feed(data)
        try:
            cmds = self.parser.get_commands()
        except Exception:
            return
        out = []
        for argv in cmds or ():
            out.append(encode(execute(self.client, argv), self.client.resp3))
        if out:
            self._send(b"".join(out))


def poll_accepted(server):
    for conn in server.subsystems.get("busy_accepted", ()):
        conn.poll()


def hand_over(server):
    """After the script: give the connections accepted while busy to the event loop."""
    conns = server.subsystems.pop("busy_accepted", None)
    net = getattr(server, "network", None)
    if not conns or net is None or net.loop is None:
        return
    from ..server.network import EmberProtocol
    for conn in conns:
        net.loop.create_task(net.loop.connect_accepted_socket(
            lambda: EmberProtocol(server, net), conn.sock))
