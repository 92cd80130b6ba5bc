"""The gate every command passes through, in Redis' order (processCommand), then the call.

    execute(client, argv) -> reply value

Rules, each one small: lookup (+ subcommand), arity, authentication, OOM, readonly replica,
RESP2 pub/sub context, loading/busy, MULTI queueing; then ``call``: freeze the clock, run the
handler, count stats, propagate writes, wake clients blocked on keys that became ready.

The hot path (a plain authenticated client, nothing gating the server) skips the rule chain
with one boolean test: ``client.plain and not server.gated``.
"""

import time

from .. import errors
from ..protocol.replies import NO_REPLY, ReplyError
from ..server.latency import LOW as _LOW

_perf = time.perf_counter_ns

# Commands allowed while a RESP2 client is subscribed.
PUBSUB_ALLOWED = frozenset((b"subscribe", b"unsubscribe", b"psubscribe", b"punsubscribe",
                            b"ssubscribe", b"sunsubscribe", b"ping", b"quit", b"reset"))
# Commands executed immediately inside MULTI instead of being queued.
MULTI_IMMEDIATE = frozenset(("exec", "discard", "multi", "watch", "quit", "reset"))


def lookup(server, argv):
    """Find the spec for argv; returns (spec, error_message_or_None)."""
    name = argv[0]
    spec = server.commands.get(name)
    if spec is None:
        spec = server.commands.get(name.lower())
        if spec is None:
            return None, errors.unknown_command(name, argv[1:])
    if spec.subcommands:
        if len(argv) < 2:
            return spec, None  # arity check reports it
        sub = spec.subcommands.get(argv[1].lower())
        if sub is None:
            return None, errors.unknown_subcommand(spec.name, argv[1])
        return sub, None
    return spec, None


def execute(c, argv):
    """Gate and run one command; returns its reply value.  The caller has frozen the clock
    (``server.now_ms``) for the batch of commands it is executing."""
    server = c.server
    spec = server.commands.get(argv[0])
    if spec is not None and c.plain and not server.gated and not spec.subcommands:
        arity = spec.arity
        n = len(argv)
        if n == arity or (arity < 0 and n >= -arity):
            # Fast path: call() inlined for ordinary commands of ordinary clients.
            dirty = server.dirty
            t0 = _perf()
            try:
                reply = spec.handler(c, argv)
            except ReplyError as e:
                reply = server.error_reply(e.message)
                spec.failed_calls += 1
            except Exception as e:  # a bug must cost one error reply, never the connection
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
            # (_after_call's own tests, so that a write with nothing to propagate costs no call)
            if (server.dirty != dirty and server.propagating) or server.ready_keys or server.monitors:
                _after_call(c, spec, argv, dirty)
            return reply
    return gate(c, argv)


def execute_batch(c, cols):
    """A pipeline of one command repeated with the same number of arguments (``cols`` are
    its argument columns, from the parser): when the command has a batch handler and
    nothing would gate or observe the individual commands (plain client, no MONITOR, replies
    on), the batch handler runs them all at once and returns their encoded replies; else
    None (the caller then executes them one by one).  Stats are kept per command: calls
    count each, the batch's time is shared out evenly (also for SLOWLOG)."""
    names = cols[0]
    name = names[0]
    m = len(names)
    if names.count(name) != m:
        return None
    server = c.server
    spec = server.commands.get(name)
    if (spec is None or spec.batch is None or not c.plain or server.gated or server.monitors
            or c.reply_mode or not server.slowlog_threshold_ns):
        return None
    t0 = _perf()
    data = spec.batch(c, cols)
    if data is None:
        return None
    dt = _perf() - t0
    spec.usec_ns += dt
    spec.calls += m
    c.last_cmd = spec
    each = dt // m
    if server.latency_tracking:         # latency.record(), inlined
        h = spec.lat_hist
        k = each | _LOW[each.bit_length()]
        h[k] = h.get(k, 0) + m
    if each >= server.slowlog_threshold_ns and not spec.skip_slowlog:
        for argv in zip(*cols):
            server.slowlog_push(c, spec, list(argv), each)
    return data


def reject(c, spec, msg):
    server = c.server
    if spec is not None:
        spec.rejected_calls += 1
        if spec.name == "exec":
            return _exec_abort(c, msg)
    if c.multi is not None:
        c.multi_error = True
    return server.error_reply(msg)


def _exec_abort(c, msg):
    """A rejected EXEC (wrong arity, NOAUTH, OOM...) discards the transaction, if any, and
    answers EXECABORT whether or not the client was in MULTI (Redis' execCommandAbort)."""
    from .transactions import unwatch_all
    if c.multi is not None:
        c.multi = None
        c.multi_error = False
        c.refresh_plain()
    unwatch_all(c)
    if msg.startswith("ERR "):
        msg = msg[4:]
    return c.server.error_reply("EXECABORT Transaction discarded because of: " + msg)


def gate(c, argv):
    server = c.server
    spec, msg = lookup(server, argv)
    if spec is None:
        if c.multi is not None:
            c.multi_error = True
        return server.error_reply(msg)
    n = len(argv)
    arity = spec.arity
    if (n != arity) if arity > 0 else (n < -arity):
        if spec.subcommands:  # container called without a subcommand
            return reject(c, spec, errors.wrong_arity(spec.name))
        return reject(c, spec, errors.wrong_arity(spec.name))
    flags = spec.flags
    if not c.authenticated and "no_auth" not in flags and server.requires_auth():
        return reject(c, spec, errors.NOAUTH)   # (no longer once "default" is on + nopass)
    if c.multi is not None and "no_multi" in flags and spec.name not in ("multi",):
        return reject(c, spec, "ERR Command not allowed inside a transaction")
    if c.restricted:    # ACL: the user has less than +@all ~* &* (commands/acl.py)
        denied = server.subsystems["acl_check"](c, spec, argv)
        if denied is not None:
            return reject(c, spec, denied)
    # OOM: refuse commands that may grow memory when over maxmemory and nothing can be freed.
    if server.config.maxmemory and spec.denyoom and not server.in_script:
        if not server.ensure_memory():
            return reject(c, spec, errors.OOM)
    if spec.is_write and server.write_blocked_reason is not None:
        return reject(c, spec, server.write_blocked_reason)
    if spec.is_write and server.is_readonly_replica() and not c.master_link:
        return reject(c, spec, "READONLY You can't write against a read only replica.")
    if not c.resp3 and c.in_pubsub_context() and spec.name not in _PUBSUB_NAMES:
        return reject(c, spec, "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                               "PING / QUIT / RESET are allowed in this context" % spec.name)
    if server.loading and "loading" not in flags:
        return reject(c, spec, "LOADING Redis is loading the dataset in memory")
    if server.busy_script is not None and "allow_busy" not in flags:
        return reject(c, spec, server.busy_script.busy_error())
    if c.multi is not None and spec.top_name not in MULTI_IMMEDIATE:
        c.multi.append((spec, argv))
        return "QUEUED"
    if server.paused_for(c, spec):
        return server.pause_client(c, spec, argv)
    return call(c, spec, argv)


_PUBSUB_NAMES = frozenset(n.decode() for n in PUBSUB_ALLOWED)


def call(c, spec, argv):
    """Run one command: the handler plus the bookkeeping Redis' call() does."""
    server = c.server
    dirty = server.dirty
    tracking = c.tracking is not None   # client-side caching: bracket the command
    if tracking:
        prev_caller = server.tracking_enter(c)
    t0 = _perf()
    try:
        reply = spec.handler(c, argv)
    except ReplyError as e:
        reply = server.error_reply(e.message)
        spec.failed_calls += 1
    except Exception as e:  # a bug must cost one error reply, never the connection
        reply = _internal_error(server, spec, argv, e)
    dt = _perf() - t0
    spec.usec_ns += dt
    spec.calls += 1
    c.last_cmd = spec
    if server.latency_tracking:
        h = spec.lat_hist
        k = dt | _LOW[dt.bit_length()]
        h[k] = h.get(k, 0) + 1
    if dt >= server.slowlog_threshold_ns and not spec.skip_slowlog:
        server.slowlog_push(c, spec, argv, dt)
    if server.dirty != dirty or server.ready_keys or server.monitors:
        _after_call(c, spec, argv, dirty)
    if tracking:
        server.tracking_exit(c, spec, argv, prev_caller)
    return reply


def _internal_error(server, spec, argv, exc):
    import traceback
    spec.failed_calls += 1
    server.log.warning("Internal error in '%s': %s" % (spec.name, "".join(
        traceback.format_exception(type(exc), exc, exc.__traceback__)).replace("\n", " | ")))
    return server.error_reply("ERR internal error in '%s': %s" % (spec.name, type(exc).__name__))


def _after_call(c, spec, argv, dirty_before):
    server = c.server
    if server.dirty != dirty_before and server.propagating and spec.is_write:
        server.propagate(c, spec, argv)
    if server.ready_keys and not server.in_exec:
        server.serve_blocked()
    if server.monitors:
        server.feed_monitors(c, argv, server.now_ms)


def call_queued(c, spec, argv):
    """Run a command from EXEC, a script or the embedded client (no gate, no MULTI)."""
    return call(c, spec, argv)


NO_REPLY = NO_REPLY
