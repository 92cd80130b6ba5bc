"""Pub/Sub commands (SUBSCRIBE ... PUBSUB, sharded S* variants), keyspace notifications,
client output-buffer limits and client-side caching (CLIENT TRACKING / CACHING).

``install(server)`` (called by the Server at start) wires:
- ``server.pubsub`` (keyspace.pubsub.PubSub) and ``server.tracking`` (keyspace.tracking);
- ``server.notifier`` -- present only while ``notify-keyspace-events`` selects something,
  so ``server.notify`` costs one attribute test otherwise;
- expired events (wrapping ``server.on_key_expired``), client close / RESET cleanup,
  INFO fields, FLUSH invalidation, CLIENT GETREDIR / TRACKINGINFO;
- ``subsystems["output_limits"]``: client-output-buffer-limit enforcement, called by the
  network layer after each write with the transport's buffered byte count.

Subscription confirmations are frames of their own (one per channel), written with
``c.send`` so they keep their order with the replies around them; the handler then
returns NO_REPLY.
"""

import time

from .. import errors
from ..keyspace import notify as N
from ..keyspace.pubsub import KeyspaceNotifier, PubSub
from ..keyspace.tracking import TrackingTable
from ..glob import compile as glob_compile
from ..protocol.replies import NO_REPLY, Map, ReplyError, SetReply
from .args import parse_int
from .registry import command


# ======================================================================================
# install
# ======================================================================================
def install(server):
    ps = PubSub(server)
    server.pubsub = ps
    from .table import key_positions

    def keys_of(spec, argv):
        return [argv[p] for p in key_positions(spec, argv)]
    tr = TrackingTable(server, keys_of)
    server.tracking = tr
    server.tracking_enter = tr.enter
    server.tracking_exit = tr.exit
    subs = server.subsystems

    def on_close(c):
        if c.channels or c.patterns or c.shard_channels:
            ps.drop_client(c)
        if c.tracking is not None:
            tr.disable(c)
    subs.setdefault("client_close", []).append(on_close)

    def on_reset(c):
        on_close(c)
    subs.setdefault("client_reset", []).append(on_reset)
    subs.setdefault("flush", []).append(tr.on_flush)

    def info(server_, section, fields):
        if section == "stats":
            fields["pubsub_channels"] = len(ps.channels)
            fields["pubsub_patterns"] = len(ps.patterns)
            if "pubsubshard_channels" in fields:
                fields["pubsubshard_channels"] = len(ps.shard)
            tr.info(server_, section, fields)
    subs.setdefault("info", []).append(info)
    subs["getredir"] = _getredir
    subs["trackinginfo"] = _trackinginfo

    # keyspace notifications
    def refresh_notifier(*_a):
        flags = server.config.notify_keyspace_events
        if flags & (N.KEYSPACE | N.KEYEVENT) and flags & ~(N.KEYSPACE | N.KEYEVENT):
            server.notifier = KeyspaceNotifier(ps, flags)
        else:
            server.notifier = None
    server.config.on_change("notify-keyspace-events", refresh_notifier)
    refresh_notifier()

    orig_expired = server.on_key_expired

    def on_key_expired(db, key):
        if server.notifier is not None:
            server.notifier(N.EXPIRED, b"expired", key, db)
        orig_expired(db, key)
    server.on_key_expired = on_key_expired

    limits = OutputLimits(server)
    server.config.on_change("client-output-buffer-limit", lambda *a: limits.refresh())
    subs["output_limits"] = limits.check


# ======================================================================================
# output buffer limits
# ======================================================================================
class OutputLimits:
    """client-output-buffer-limit: hard limit -> close now; soft limit exceeded for longer
    than its seconds -> close.  ``lowest`` lets the common case (a small buffer) return
    after one comparison."""

    def __init__(self, server):
        self.server = server
        self.refresh()

    def refresh(self):
        cobl = self.server.config.client_output_buffer_limit
        self.classes = {k: tuple(v) for k, v in cobl.items()}
        vals = [x for hard, soft, _s in self.classes.values() for x in (hard, soft) if x]
        self.lowest = min(vals) if vals else 1 << 62

    def check(self, c, size):
        if size < self.lowest:
            if c.obuf_soft_since is not None:
                c.obuf_soft_since = None
            return
        if c.closing:
            return
        if c.is_replica and not c.is_monitor:
            cls = "slave"
        elif c.channels or c.patterns or c.shard_channels:
            cls = "pubsub"
        else:
            cls = "normal"
        hard, soft, secs = self.classes.get(cls, (0, 0, 0))
        over = False
        if hard and size >= hard:
            over = True
        if soft and size >= soft:
            now = time.monotonic()
            if c.obuf_soft_since is None:
                c.obuf_soft_since = now
            elif now - c.obuf_soft_since > secs:
                over = True
        else:
            c.obuf_soft_since = None
        if over:
            self.close(c)

    def close(self, c):
        server = self.server
        try:
            from .client import client_info_line
            desc = client_info_line(c)
        except Exception:
            desc = "id=%d addr=%s" % (c.id, c.addr)
        server.log.warning("Client %s scheduled to be closed ASAP for overcoming of output "
                           "buffer limits." % desc)
        server.stats.client_output_buffer_limit_disconnections += 1
        c.closing = True
        t = c.transport
        if t is not None:
            try:
                t.abort()   # drop what is buffered: that memory is what we are reclaiming
                return
            except Exception:
                pass
        c.close()


# ======================================================================================
# SUBSCRIBE family
# ======================================================================================
def _bulk(b):
    return b"$%d\r\n%b\r\n" % (len(b), b)


def _frame(c, kind, name, count):
    head = b">3\r\n" if c.resp3 else b"*3\r\n"
    if name is None:
        return head + _bulk(kind) + (b"_\r\n" if c.resp3 else b"$-1\r\n") + b":%d\r\n" % count
    return head + _bulk(kind) + _bulk(name) + b":%d\r\n" % count


def _count(c):
    return (len(c.channels) if c.channels else 0) + (len(c.patterns) if c.patterns else 0)


def _shard_count(c):
    return len(c.shard_channels) if c.shard_channels else 0


@command("subscribe")
def subscribe(c, argv):
    """SUBSCRIBE channel [channel ...]"""
    ps = c.server.pubsub
    for ch in argv[1:]:
        ps.subscribe(c, ch)
        c.send(_frame(c, b"subscribe", ch, _count(c)))
    c.refresh_plain()
    return NO_REPLY


@command("psubscribe")
def psubscribe(c, argv):
    """PSUBSCRIBE pattern [pattern ...]"""
    ps = c.server.pubsub
    for p in argv[1:]:
        ps.psubscribe(c, p)
        c.send(_frame(c, b"psubscribe", p, _count(c)))
    c.refresh_plain()
    return NO_REPLY


@command("ssubscribe")
def ssubscribe(c, argv):
    """SSUBSCRIBE shardchannel [shardchannel ...]"""
    ps = c.server.pubsub
    for ch in argv[1:]:
        ps.ssubscribe(c, ch)
        c.send(_frame(c, b"ssubscribe", ch, _shard_count(c)))
    c.refresh_plain()
    return NO_REPLY


def _unsub(c, argv, kind, mine, fn, counter):
    names = argv[1:] if len(argv) > 1 else list(mine or ())
    if not names:
        c.send(_frame(c, kind, None, counter(c)))
    for name in names:
        fn(c, name)
        c.send(_frame(c, kind, name, counter(c)))
    c.refresh_plain()
    return NO_REPLY


@command("unsubscribe")
def unsubscribe(c, argv):
    """UNSUBSCRIBE [channel [channel ...]]"""
    return _unsub(c, argv, b"unsubscribe", c.channels, c.server.pubsub.unsubscribe, _count)


@command("punsubscribe")
def punsubscribe(c, argv):
    """PUNSUBSCRIBE [pattern [pattern ...]]"""
    return _unsub(c, argv, b"punsubscribe", c.patterns, c.server.pubsub.punsubscribe, _count)


@command("sunsubscribe")
def sunsubscribe(c, argv):
    """SUNSUBSCRIBE [shardchannel [shardchannel ...]]"""
    return _unsub(c, argv, b"sunsubscribe", c.shard_channels, c.server.pubsub.sunsubscribe,
                  _shard_count)


@command("publish")
def publish(c, argv):
    """PUBLISH channel message"""
    return c.server.pubsub.publish(argv[1], argv[2])


@command("spublish")
def spublish(c, argv):
    """SPUBLISH shardchannel message"""
    return c.server.pubsub.spublish(argv[1], argv[2])


# ======================================================================================
# PUBSUB introspection
# ======================================================================================
def _matching(names, argv):
    if len(argv) > 3:
        raise ReplyError("ERR unknown subcommand or wrong number of arguments for '%s'. Try "
                         "PUBSUB HELP." % argv[1].decode("utf-8", "replace"))
    if len(argv) == 3:
        m = glob_compile(argv[2])
        return [n for n in names if m(n)]
    return list(names)


@command("pubsub|channels")
def pubsub_channels(c, argv):
    """PUBSUB CHANNELS [pattern]"""
    return _matching(c.server.pubsub.channels, argv)


@command("pubsub|shardchannels")
def pubsub_shardchannels(c, argv):
    """PUBSUB SHARDCHANNELS [pattern]"""
    return _matching(c.server.pubsub.shard, argv)


@command("pubsub|numsub")
def pubsub_numsub(c, argv):
    """PUBSUB NUMSUB [channel ...]"""
    chans = c.server.pubsub.channels
    out = []
    for ch in argv[2:]:
        out.append(ch)
        out.append(len(chans.get(ch, ())))
    return out


@command("pubsub|shardnumsub")
def pubsub_shardnumsub(c, argv):
    """PUBSUB SHARDNUMSUB [shardchannel ...]"""
    chans = c.server.pubsub.shard
    out = []
    for ch in argv[2:]:
        out.append(ch)
        out.append(len(chans.get(ch, ())))
    return out


@command("pubsub|numpat")
def pubsub_numpat(c, argv):
    """PUBSUB NUMPAT"""
    return len(c.server.pubsub.patterns)


@command("pubsub|help")
def pubsub_help(c, argv):
    """PUBSUB HELP"""
    lines = [
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]",
        "    List the channels with at least one subscriber, optionally filtered by a glob <pattern>.",
        "NUMPAT",
        "    Count the pattern subscriptions.",
        "NUMSUB [<channel> ...]",
        "    For each channel, the number of direct (non-pattern) subscribers.",
        "SHARDCHANNELS [<pattern>]",
        "    List the shard channels with at least one subscriber, optionally filtered by <pattern>.",
        "SHARDNUMSUB [<shardchannel> ...]",
        "    For each shard channel, the number of subscribers.",
        "HELP",
        "    Print this help.",
    ]
    return [l.encode() for l in lines]


# ======================================================================================
# CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO
# ======================================================================================
@command("client|tracking")
def client_tracking(c, argv):
    """CLIENT TRACKING <ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]]
    [BCAST] [OPTIN] [OPTOUT] [NOLOOP]"""
    server = c.server
    opts = set()
    redirect = 0
    prefixes = []
    i = 3
    n = len(argv)
    while i < n:
        word = argv[i].lower()
        more = i + 1 < n
        if word == b"redirect" and more:
            i += 1
            if redirect:
                raise ReplyError("ERR A client can only redirect to a single other client")
            redirect = parse_int(argv[i])
            if redirect not in server.clients:
                raise ReplyError("ERR The client ID you want redirect to does not exist")
        elif word == b"bcast":
            opts.add("bcast")
        elif word == b"optin":
            opts.add("optin")
        elif word == b"optout":
            opts.add("optout")
        elif word == b"noloop":
            opts.add("noloop")
        elif word == b"prefix" and more:
            i += 1
            prefixes.append(argv[i])
        else:
            raise ReplyError(errors.SYNTAX)
        i += 1
    mode = argv[2].lower()
    tr = c.tracking
    if mode == b"on":
        bcast = "bcast" in opts
        if not bcast and prefixes:
            raise ReplyError("ERR PREFIX option requires BCAST mode to be enabled")
        if tr is not None and tr.bcast != bcast:
            raise ReplyError("ERR You can't switch BCAST mode on/off before disabling tracking "
                             "for this client, and then re-enabling it with a different mode.")
        if bcast and ("optin" in opts or "optout" in opts):
            raise ReplyError("ERR OPTIN and OPTOUT are not compatible with BCAST")
        if "optin" in opts and "optout" in opts:
            raise ReplyError("ERR You can't specify both OPTIN mode and OPTOUT mode")
        if tr is not None and (("optin" in opts and tr.optout) or ("optout" in opts and tr.optin)):
            raise ReplyError("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking "
                             "for this client, and then re-enabling it with a different mode.")
        if bcast:
            _check_prefixes(tr.prefixes if tr is not None else [], prefixes)
        server.tracking.enable(c, opts, redirect, prefixes)
        return "OK"
    if mode == b"off":
        server.tracking.disable(c)
        return "OK"
    raise ReplyError(errors.SYNTAX)


def _check_prefixes(existing, new):
    def txt(b):
        return b.decode("utf-8", "replace")
    for i, p in enumerate(new):
        for e in existing:
            if p.startswith(e) or e.startswith(p):
                raise ReplyError("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes "
                                 "for a single client must not overlap." % (txt(p), txt(e)))
        for j, q in enumerate(new):
            if i != j and (p.startswith(q) or q.startswith(p)):
                raise ReplyError("ERR Prefix '%s' overlaps with another provided prefix '%s'. "
                                 "Prefixes for a single client must not overlap." % (txt(p), txt(q)))


@command("client|caching")
def client_caching(c, argv):
    """CLIENT CACHING <YES | NO>"""
    tr = c.tracking
    if tr is None:
        raise ReplyError("ERR CLIENT CACHING can be called only when the client is in tracking "
                         "mode with OPTIN or OPTOUT mode enabled")
    opt = argv[2].lower()
    if opt == b"yes":
        if not tr.optin:
            raise ReplyError("ERR CLIENT CACHING YES is only valid when tracking is enabled in "
                             "OPTIN mode.")
    elif opt == b"no":
        if not tr.optout:
            raise ReplyError("ERR CLIENT CACHING NO is only valid when tracking is enabled in "
                             "OPTOUT mode.")
    else:
        raise ReplyError(errors.SYNTAX)
    tr.caching = True
    return "OK"


def _getredir(c):
    tr = c.tracking
    if tr is None:
        return -1
    return tr.redirect


def _trackinginfo(c):
    tr = c.tracking
    if tr is None:
        return Map([(b"flags", SetReply([b"off"])), (b"redirect", -1), (b"prefixes", [])])
    flags = [b"on"]
    if tr.bcast:
        flags.append(b"bcast")
    if tr.optin:
        flags.append(b"optin")
        if tr.caching:
            flags.append(b"caching-yes")
    if tr.optout:
        flags.append(b"optout")
        if tr.caching:
            flags.append(b"caching-no")
    if tr.noloop:
        flags.append(b"noloop")
    if tr.broken:
        flags.append(b"broken_redirect")
    return Map([(b"flags", SetReply(flags)), (b"redirect", tr.redirect),
                (b"prefixes", list(tr.prefixes))])
