"""The asyncio shell around the Server: listeners, one Protocol per connection, the cron.

Per connection: bytes -> parser -> execute() each command -> encode replies into one list ->
one ``transport.write`` per received batch (pipelining costs one syscall).  Out-of-band
writes (pub/sub pushes, replies to clients unblocked by someone else's command) go through
``client.send``, which appends to the batch being built when the client is itself executing,
so replies never overtake each other.

Back-pressure: when a transport's write buffer passes its high-water mark we stop reading
from that client until it drains (a client that pipelines without reading cannot make us
buffer without bound).
"""

import asyncio
import os
import signal
import socket
from time import perf_counter_ns as _perf, time as _time, time_ns as _time_ns

from ..clock import Clock
from ..commands.dispatch import _after_call, _internal_error, execute, execute_batch, gate
from ..protocol.encoder import BULK_HEADS, OK, _int_cache, encode, encode_into
from ..protocol.parser import FastRequestParser as RequestParser, ProtocolError, parse_fast
from ..protocol.replies import ReplyError
from .latency import LOW as _LOW
from .client import Client, REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT, REPLY_SKIP


_CRLF_JOIN = b"\r\n".join

class EmberProtocol(asyncio.Protocol):
    __slots__ = ("server", "transport", "client", "parser", "paused_reading", "net")

    def __init__(self, server, net):
        self.server = server
        self.net = net
        self.transport = None
        self.client = None
        self.parser = None
        self.paused_reading = False

    # ---- connection lifecycle ----------------------------------------------------------
    def connection_made(self, transport):
        server = self.server
        self.transport = transport
        sock = transport.get_extra_info("socket")
        peer = transport.get_extra_info("peername")
        local = transport.get_extra_info("sockname")
        unix = isinstance(peer, str) or (sock is not None and sock.family == socket.AF_UNIX)
        if unix:
            addr = "%s:0" % (local or server.config.unixsocket)
            laddr = addr
        else:
            addr = _fmt_addr(peer)
            laddr = _fmt_addr(local)
        try:
            fd = sock.fileno() if sock is not None else -1
            if sock is not None and not unix:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            fd = -1
        c = Client(server, send=self.send, addr=addr, laddr=laddr, fd=fd)
        c.unix = unix
        c.transport = transport
        c.close = self.close_client
        c.resume = self.resume
        self.client = c
        self.parser = RequestParser(max_bulk_len=server.config.proto_max_bulk_len)
        self.parser.authenticated = c.authenticated
        c.parser = self.parser
        if len(server.clients) >= server.config.maxclients:
            server.stats.rejected_connections += 1
            transport.write(b"-ERR max number of clients reached\r\n")
            transport.close()
            self.client = None
            return
        server.add_client(c)

    def connection_lost(self, exc):
        c = self.client
        if c is not None:
            self.client = None
            self.server.remove_client(c)

    def pause_writing(self):
        if not self.paused_reading and self.transport is not None:
            self.paused_reading = True
            try:
                self.transport.pause_reading()
            except (RuntimeError, AttributeError):
                pass

    def resume_writing(self):
        if self.paused_reading and self.transport is not None:
            self.paused_reading = False
            try:
                self.transport.resume_reading()
            except (RuntimeError, AttributeError):
                pass

    def close_client(self):
        c = self.client
        if c is not None:
            c.closing = True
        if self.transport is not None:
            self.transport.close()

    # ---- output ----------------------------------------------------------------------
    def send(self, data):
        c = self.client
        if c is None:
            return
        if c.pending_buf is not None:
            c.pending_buf.append(data)
        elif self.net.held is not None:
            self.net.held.append((self, data))
        else:
            self.transport.write(data)
            c.tot_net_out += len(data)
            stats = self.server.stats
            stats.total_net_output_bytes += len(data)
            stats.total_writes_processed += 1
            self.net.check_output_limits(c, self.transport)

    # ---- input -----------------------------------------------------------------------
    def data_received(self, data):
        c = self.client
        if c is None or c.closing:
            return
        server = self.server
        size = len(data)
        c.tot_net_in += size
        stats = server.stats
        stats.total_net_input_bytes += size
        stats.total_reads_processed += 1
        c.last_interaction = _time()   # the network layer always runs on the real clock
        parser = self.parser
        if not parser._size and not parser._py_active and c.blocked is None and not c.paused:
            # one canonical command (-P 1) or a pipeline of one command shape: no hiredis
            argv = parse_fast(data)
            if argv is not None and (c.authenticated or size <= 16384 and len(argv) <= 10):
                # (unauthenticated: Redis refuses counts over 10 and bulks over 16 KB)
                if type(argv) is not list:
                    if c.authenticated:
                        self.run_uniform(c, argv)
                        return
                else:
                    # process() for the common -P 1 case, inlined with dispatch.execute's
                    # fast path (a frame less each): exactly one command arrived and nothing
                    # is buffered, so none of process()'s loop, pending-command or query-buffer
                    # work applies.  Keep all three in step.
                    net = self.net
                    out = []
                    c.pending_buf = out    # out-of-band sends during the command go first
                    server.now_ms = _time_ns() // 1000000 if net.real_clock else server.clock_ms()
                    c.tot_cmds += 1
                    try:
                        spec = server.commands.get(argv[0])
                        if spec is not None and c.plain and not server.gated and not spec.subcommands and (
                                (n := len(argv)) == (arity := spec.arity) or (arity < 0 and n >= -arity)):
                            # execute's fast path (call() for an ordinary client)
                            dirty = server.dirty
                            t0 = _perf()
                            try:
                                reply = spec.handler(c, argv)
                            except ReplyError as e:
                                reply = server.error_reply(e.message)
                                spec.failed_calls += 1
                            except Exception as e:  # a bug costs one error reply, not the connection
                                reply = _internal_error(server, spec, argv, e)
                            dt = _perf() - t0
                            spec.usec_ns += dt
                            spec.calls += 1
                            c.last_cmd = spec
                            if server.latency_tracking:     # latency.record(), inlined
                                h = spec.lat_hist
                                k = dt | _LOW[dt.bit_length()]
                                h[k] = h.get(k, 0) + 1
                            if dt >= server.slowlog_threshold_ns and not spec.skip_slowlog:
                                server.slowlog_push(c, spec, argv, dt)
                            if ((server.dirty != dirty and server.propagating) or server.ready_keys
                                    or server.monitors):
                                _after_call(c, spec, argv, dirty)
                        else:
                            reply = gate(c, argv)       # what execute does with the others
                    finally:
                        c.pending_buf = None
                    mode = c.reply_mode
                    if mode == 0:       # REPLY_ON
                        t = type(reply)
                        if t is bytes:
                            n = len(reply)
                            # a join of the cached head: ~0.4k instructions under a %-format
                            data = (_CRLF_JOIN((BULK_HEADS[n], reply, b"")) if n < 10000
                                    else b"$%d\r\n%b\r\n" % (n, reply))
                        elif t is str and reply == "OK":
                            data = OK
                        elif t is int:
                            # the encoder's cached replies for -1..10000: ~0.5k under the %-format
                            data = _int_cache[reply + 1] if -1 <= reply <= 10000 else b":%d\r\n" % reply
                        else:
                            data = encode(reply, c.resp3)
                        if out:
                            out.append(data)
                            data = b"".join(out)
                        if net.held is None and not c.closing:    # _deliver + write_now, inlined
                            transport = self.transport
                            if transport is not None:
                                transport.write(data)
                                n = len(data)
                                c.tot_net_out += n
                                stats.total_net_output_bytes += n
                                stats.total_writes_processed += 1
                                if transport.get_write_buffer_size():
                                    net.check_output_limits(c, transport)
                            return
                    else:
                        if mode == REPLY_SKIP_NEXT:
                            c.reply_mode = REPLY_SKIP
                        elif mode == REPLY_SKIP:
                            c.reply_mode = REPLY_ON
                        data = b"".join(out)
                    self._deliver(c, data)
                    return
        parser.feed(data)
        if c.blocked is not None or c.paused:
            self._check_qbuf(c)
            return
        self.process()

    def run_uniform(self, c, cols):
        """process() for a read holding exactly a pipeline of one command shape (argument
        columns ``cols``): one batch handler call when execute_batch takes it, else the
        commands one by one."""
        server = self.server
        server.now_ms = _time_ns() // 1000000 if self.net.real_clock else server.clock_ms()
        out = []
        c.pending_buf = out
        try:
            data = execute_batch(c, cols)
        finally:
            c.pending_buf = None
        if data is None:
            self.process(list(map(list, zip(*cols))))
            return
        c.tot_cmds += len(cols[0])
        if out:
            out.append(data)
            data = b"".join(out)
        if self.net.held is None and not c.closing:    # _deliver + write_now, inlined
            transport = self.transport
            if transport is not None:
                transport.write(data)
                n = len(data)
                c.tot_net_out += n
                stats = server.stats
                stats.total_net_output_bytes += n
                stats.total_writes_processed += 1
                if transport.get_write_buffer_size():
                    self.net.check_output_limits(c, transport)
                return
        self._deliver(c, data)

    def _deliver(self, c, data):
        """Write a batch of replies and close if the client is closing; during a group commit
        (appendfsync always, see Network.hold_replies) park both, in order, instead."""
        transport = self.transport
        if transport is None:
            return
        held = self.net.held
        if held is not None:
            if data:
                held.append((self, data))
            if c.closing:
                held.append((self, None))   # close after the parked replies
            return
        if data:
            self.write_now(transport, data)
        if c.closing:
            transport.close()

    def write_now(self, transport, data):
        transport.write(data)
        n = len(data)
        stats = self.server.stats
        stats.total_writes_processed += 1
        c = self.client
        if c is not None:
            c.tot_net_out += n
            stats.total_net_output_bytes += n
            if transport.get_write_buffer_size():   # all written at once: no limit to check
                self.net.check_output_limits(c, transport)

    def _check_qbuf(self, c):
        limit = self.server.config.client_query_buffer_limit
        if self.parser.buffered() > limit:
            self.server.log.warning("Closing client that reached max query buffer length: id=%d addr=%s"
                                    % (c.id, c.addr))
            self.server.stats.client_query_buffer_limit_disconnections += 1
            self.close_client()
            return True
        return False

    def process(self, cmds=None):
        """Execute buffered commands until done, blocked, paused or closed."""
        c = self.client
        server = self.server
        out = []
        c.pending_buf = out
        try:
            if cmds is None:
                cmds = self._next_commands(out)
            parser = self.parser
            while cmds:
                server.now_ms = _time_ns() // 1000000 if self.net.real_clock else server.clock_ms()
                cols = parser.uniform
                if cols is not None:
                    # one command repeated: maybe run as a batch (see execute_batch)
                    parser.uniform = None
                    data = execute_batch(c, cols)
                    if data is not None:
                        out.append(data)
                        c.tot_cmds += len(cmds)
                        cmds = self._next_commands(out) if parser.buffered() else None
                        continue
                i = 0
                n = len(cmds)
                c.tot_cmds += n
                while i < n:
                    argv = cmds[i]
                    i += 1
                    reply = execute(c, argv)
                    mode = c.reply_mode
                    if mode == REPLY_ON:
                        # the common replies from cached heads, everything else via the encoder
                        t = type(reply)
                        if t is bytes:
                            na = len(reply)
                            out.append(_CRLF_JOIN((BULK_HEADS[na], reply, b"")) if na < 10000
                                       else b"$%d\r\n%b\r\n" % (na, reply))
                        elif t is str and reply == "OK":
                            out.append(OK)
                        elif t is int:
                            out.append(_int_cache[reply + 1] if -1 <= reply <= 10000
                                       else b":%d\r\n" % reply)
                        else:
                            encode_into(out, reply, c.resp3)
                    elif mode == REPLY_SKIP_NEXT:
                        c.reply_mode = REPLY_SKIP
                    elif mode == REPLY_SKIP:
                        c.reply_mode = REPLY_ON
                    if c.closing:
                        cmds = None
                        break
                    if c.blocked is not None or c.paused:
                        rest = cmds[i:]
                        if rest:
                            c.pending = rest + (c.pending or [])
                        cmds = None
                        break
                else:
                    # more commands only if bytes are left (a partial command, or the
                    # one-command-at-a-time mode of unauthenticated clients)
                    cmds = self._next_commands(out) if self.parser.buffered() else None
            if not c.closing and c.blocked is None and not c.paused:
                if self.parser.buffered() > server.config.client_query_buffer_limit:
                    self._check_qbuf(c)
        finally:
            c.pending_buf = None
            self._deliver(c, b"".join(out) if out else b"")

    def _next_commands(self, out):
        c = self.client
        parser = self.parser
        parser.authenticated = c.authenticated
        try:
            return parser.get_commands()
        except ProtocolError as e:
            msg = str(e.args[0]) if e.args else "Protocol error"
            self.server.log.verbose("Protocol error (%s) from client: id=%d addr=%s" % (msg, c.id, c.addr))
            self.server.stats.count_error(msg if msg.startswith("ERR") else "ERR " + msg)
            out.append(encode(ReplyError(msg if msg.startswith("ERR") else "ERR " + msg)))
            c.closing = True
            return None

    def resume(self):
        """Called when a blocked/paused client may run again (its reply was already sent)."""
        c = self.client
        if c is None or c.closing:
            return
        pending = c.pending
        c.pending = None
        self.process(pending or None)


def _fmt_addr(a):
    if not a:
        return "?:0"
    if isinstance(a, tuple):
        host = a[0]
        if ":" in host:
            return "%s:%d" % (host, a[1])
        return "%s:%d" % (host, a[1])
    return str(a)


class Network:
    """Listeners and the event-loop side of the server (cron, signals, shutdown)."""

    def __init__(self, server):
        self.server = server
        self.real_clock = type(server.clock) is Clock   # lets the hot path skip a method call
        self.servers = []
        self.loop = None
        self.stop_event = None
        self.held = None               # replies waiting for a group commit, or None
        self._release_fns = []
        server.network = self

    def hold_replies(self, before_release):
        """Group commit (``appendfsync always``): from now until the end of this event-loop
        turn, replies are parked instead of written; then ``before_release()`` runs once (it
        writes and fsyncs the AOF) and the parked replies go out in order.  One fsync covers
        every command that ran in the turn, as Redis' beforeSleep does.  Returns False when
        there is no running loop (the caller must then sync by itself)."""
        if self.loop is None:
            return False
        if self.held is None:
            self.held = []
            self.loop.call_soon(self._release_held)
        if before_release not in self._release_fns:
            self._release_fns.append(before_release)
        return True

    def _release_held(self):
        fns, self._release_fns = self._release_fns, []
        for fn in fns:
            try:
                fn()
            except Exception as e:  # never lose the replies because of a sync error
                self.server.log.warning("group commit error: %r" % (e,))
        held, self.held = self.held, None
        if not held:
            return
        for proto, data in held:
            t = proto.transport
            if t is None or t.is_closing():
                continue
            if data is None:
                t.close()
            else:
                proto.write_now(t, data)

    def check_output_limits(self, c, transport):
        hook = self.server.subsystems.get("output_limits")
        if hook is not None:
            hook(c, transport.get_write_buffer_size())

    async def start(self):
        server = self.server
        cfg = server.config
        loop = asyncio.get_running_loop()
        self.loop = loop
        self.stop_event = asyncio.Event()
        factory = lambda: EmberProtocol(server, self)
        if cfg.port:
            binds = cfg.bind_addresses() if hasattr(cfg, "bind_addresses") else ["127.0.0.1"]
            for addr in binds:
                optional = addr.startswith("-")
                host = addr.lstrip("-")
                if host == "*":
                    host = "0.0.0.0"
                try:
                    srv = await loop.create_server(factory, host=host, port=cfg.port,
                                                   backlog=cfg.tcp_backlog, reuse_address=True)
                except OSError as e:
                    if optional:
                        continue
                    raise
                self.servers.append(srv)
                server.log.notice("Running mode=standalone, port=%d." % cfg.port)
            if self.servers:
                sock = self.servers[0].sockets[0]
                server.tcp_port = sock.getsockname()[1]
        if cfg.unixsocket:
            try:
                os.unlink(cfg.unixsocket)
            except OSError:
                pass
            srv = await loop.create_unix_server(factory, path=cfg.unixsocket)
            try:
                os.chmod(cfg.unixsocket, int(str(cfg.unixsocketperm), 8) if cfg.unixsocketperm else 0o700)
            except (OSError, ValueError):
                pass
            self.servers.append(srv)
            server.log.notice("The server is now ready to accept connections at %s" % cfg.unixsocket)
        if cfg.port:
            server.log.notice("Ready to accept connections tcp")
        self._schedule_cron()

    def _schedule_cron(self):
        hz = max(1, min(500, int(self.server.config.hz or 10)))
        self.loop.call_later(1.0 / hz, self._cron)

    def _cron(self):
        self.server.stats.timer_cycles += 1
        try:
            self.server.cron()
        except Exception as e:  # never let the cron die
            self.server.log.warning("cron error: %r" % (e,))
        if getattr(self.server, "expire_backlog", False) and not self._expire_pending:
            self._expire_pending = True
            self.loop.call_later(0.005, self._expire_more)
        if self.server.shutdown_requested is not None:
            self.stop_event.set()
            return
        self._schedule_cron()

    _expire_pending = False

    def _expire_more(self):
        """Extra active-expiry passes while a backlog of due keys remains (Redis' fast
        cycles): each pass is time-bounded, with gaps for clients in between."""
        self._expire_pending = False
        self.server.stats.timer_cycles += 1
        try:
            backlog = self.server.active_expire()
        except Exception as e:
            self.server.log.warning("expire error: %r" % (e,))
            return
        if backlog:
            self._expire_pending = True
            self.loop.call_later(0.005, self._expire_more)

    def install_signals(self):
        loop = self.loop
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self._on_signal, sig)
            except (NotImplementedError, RuntimeError):
                pass

    def _on_signal(self, sig):
        name = "SIGTERM" if sig == signal.SIGTERM else "SIGINT"
        self.server.log.warning("Received %s scheduling shutdown..." % name)
        self.server.shutdown_requested = {"save": None, "signal": name}
        self.stop_event.set()

    async def serve_forever(self):
        await self.stop_event.wait()

    async def close(self):
        for srv in self.servers:
            srv.close()
        for c in list(self.server.clients.values()):
            try:
                c.close()
            except Exception:
                pass
        for srv in self.servers:
            try:
                await asyncio.wait_for(srv.wait_closed(), 1.0)
            except (asyncio.TimeoutError, Exception):
                pass
        if self.server.config.unixsocket:
            try:
                os.unlink(self.server.config.unixsocket)
            except OSError:
                pass
