"""CLIENT subcommands (ID, SETNAME, GETNAME, SETINFO, LIST, INFO, KILL, REPLY, NO-EVICT,
NO-TOUCH, PAUSE, UNPAUSE, GETREDIR, TRACKINGINFO, UNBLOCK, HELP) and the client-pause
subsystem.

Pause: ``install(server)`` replaces ``server.paused_for`` / ``server.pause_client``.  While a
pause is active the server is gated, so dispatch asks ``paused_for`` for every command; a
paused command is parked (``c.paused = True``, its argv kept here) and the network layer
queues whatever else the client sends.  When the pause ends (deadline timer, the cron, or
CLIENT UNPAUSE) each parked client gets its command back at the head of ``c.pending`` and
is resumed through ``c.resume()`` — the same path blocked clients use.

CLIENT TRACKING / CACHING belong to the tracking subsystem (pub/sub); GETREDIR and
TRACKINGINFO answer "tracking off" unless that subsystem installs hooks.
"""

import time

from .. import errors
from ..protocol.replies import NO_REPLY, Map, ReplyError, SetReply, Verbatim
from ..server.client import REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT
from .args import parse_int
from .registry import command


# ======================================================================================
# pause subsystem
# ======================================================================================
class Pause:
    __slots__ = ("end", "writes_only", "parked", "timer")

    def __init__(self, end, writes_only):
        self.end = end                  # time.monotonic() deadline
        self.writes_only = writes_only  # True: WRITE mode, False: ALL mode
        self.parked = {}                # client -> argv of its paused command
        self.timer = None


def install(server):
    server.paused_for = lambda c, spec: paused_for(server, c, spec)
    server.pause_client = lambda c, spec, argv: pause_client(server, c, spec, argv)

    def on_close(c):
        p = server.pause
        if p is not None:
            p.parked.pop(c, None)
    server.subsystems.setdefault("client_close", []).append(on_close)
    server.subsystems["unpause"] = lambda: unpause(server)


def _pause_expired(server) -> bool:
    p = server.pause
    if p is not None and time.monotonic() >= p.end:
        unpause(server)
        return True
    return p is None


def paused_for(server, c, spec) -> bool:
    p = server.pause
    if p is None or _pause_expired(server):
        return False
    if c.is_replica or c.master_link:
        return False
    if not p.writes_only:
        return True
    if spec.is_write or spec.may_replicate:
        return True
    if spec.name == "exec" and c.multi:
        return any(s.is_write or s.may_replicate for s, _ in c.multi)
    return False


def pause_client(server, c, spec, argv):
    server.pause.parked[c] = argv
    c.paused = True
    return NO_REPLY


def start_pause(server, ms, writes_only):
    end = time.monotonic() + ms / 1000.0
    p = server.pause
    if p is None:
        p = server.pause = Pause(end, writes_only)
    else:
        p.end = max(p.end, end)
        # An ALL pause is not downgraded to WRITE by a later call.
        p.writes_only = p.writes_only and writes_only
        if p.timer is not None:
            p.timer.cancel()
            p.timer = None
    server._refresh_gate()
    net = getattr(server, "network", None)
    loop = getattr(net, "loop", None) if net is not None else None
    if loop is not None:
        p.timer = loop.call_later(max(0.0, p.end - time.monotonic()), _pause_timer, server)


def _pause_timer(server):
    p = server.pause
    if p is None:
        return
    p.timer = None
    left = p.end - time.monotonic()
    if left > 0:
        p.timer = server.network.loop.call_later(left, _pause_timer, server)
        return
    unpause(server)


def unpause(server):
    p = server.pause
    if p is None:
        return
    server.pause = None
    if p.timer is not None:
        p.timer.cancel()
    server._refresh_gate()
    for c, argv in list(p.parked.items()):
        c.paused = False
        c.pending = [argv] + (c.pending or [])
        try:
            c.resume()
        except Exception as e:  # a broken client must not stop the others
            server.log.warning("error resuming paused client: %r" % (e,))


# ======================================================================================
# CLIENT LIST / INFO
# ======================================================================================
def client_type(c) -> str:
    if c.master_link:
        return "master"
    if c.is_replica and not c.is_monitor:
        return "replica"
    if c.in_pubsub_context():
        return "pubsub"
    return "normal"


_TYPES = {b"normal": "normal", b"master": "master", b"replica": "replica", b"slave": "replica",
          b"pubsub": "pubsub"}


def _parse_type(raw) -> str:
    t = _TYPES.get(raw.lower())
    if t is None:
        raise ReplyError("ERR Unknown client type '%s'" % raw.decode("utf-8", "replace"))
    return t


def client_flags(c) -> str:
    f = []
    if c.is_replica:
        f.append("O" if c.is_monitor else "S")
    elif c.is_monitor:
        f.append("O")
    if c.master_link:
        f.append("M")
    if c.in_pubsub_context():
        f.append("P")
    if c.multi is not None:
        f.append("x")
    if c.blocked is not None:
        f.append("b")
    if c.tracking:
        f.append("t")
    if c.watch_dirty:
        f.append("d")
    if c.closing:
        f.append("c")
    if c.unix:
        f.append("U")
    if c.no_evict:
        f.append("e")
    if c.no_touch:
        f.append("T")
    return "".join(f) or "N"


def _s(b):
    if b is None:
        return ""
    return b.decode("utf-8", "replace") if isinstance(b, (bytes, bytearray)) else str(b)


def client_memory(c):
    """(query buffer, output buffer, queued MULTI arguments, total) bytes of a client: what
    CLIENT LIST shows as qbuf/obl/multi-mem/tot-mem and INFO sums as mem_clients_*."""
    qbuf = 0
    if c.parser is not None:
        try:
            qbuf = c.parser.buffered()
        except Exception:
            qbuf = 0
    multi_mem = sum(sum(len(a) for a in argv) for _, argv in c.multi) if c.multi else 0
    obl = 0
    if c.transport is not None:
        try:
            obl = c.transport.get_write_buffer_size()
        except Exception:
            obl = 0
    return qbuf, obl, multi_mem, 1024 + qbuf + obl + multi_mem


def client_info_line(c, now=None, current=None) -> str:
    """One CLIENT LIST line; ``current`` is the command the caller is running (Redis shows a
    client's command as soon as it is looked up, so the caller sees its own CLIENT LIST)."""
    now = time.time() if now is None else now
    multi = len(c.multi) if c.multi is not None else -1
    qbuf, obl, multi_mem, tot_mem = client_memory(c)
    events = "r" + ("w" if obl else "")
    redir = -1
    tr = c.tracking
    if tr:
        redir = getattr(tr, "redirect", 0) or 0
    return ("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d "
            "ssub=%d multi=%d qbuf=%d qbuf-free=%d argv-mem=%d multi-mem=%d rbs=%d rbp=%d obl=%d "
            "oll=%d omem=%d tot-mem=%d events=%s cmd=%s user=%s redir=%d resp=%d lib-name=%s "
            "lib-ver=%s") % (
        c.id, c.addr, c.laddr, c.fd, _s(c.name), int(now - c.ctime), int(now - c.last_interaction),
        client_flags(c), c.db.id, len(c.channels or ()), len(c.patterns or ()),
        len(c.shard_channels or ()), multi, qbuf, max(0, 20474 - qbuf) if qbuf else 0,
        c.argv_bytes, multi_mem, 1024, 0, obl, 0, 0, tot_mem, events, current or getattr(c.last_cmd, 'name', c.last_cmd), c.user, redir,
        3 if c.resp3 else 2, _s(c.lib_name), _s(c.lib_ver))


@command("client|list")
def client_list(c, argv):
    """CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]"""
    server = c.server
    ctype = None
    ids = None
    i = 2
    n = len(argv)
    while i < n:
        opt = argv[i].upper()
        if opt == b"TYPE" and i + 1 < n and ctype is None and ids is None:
            ctype = _parse_type(argv[i + 1])
            i += 2
        elif opt == b"ID" and i + 1 < n and ctype is None and ids is None:
            ids = []
            for raw in argv[i + 1:]:
                try:
                    v = parse_int(raw)
                except ReplyError:
                    raise ReplyError("ERR Invalid client ID") from None
                ids.append(v)   # ids <= 0 simply match nobody, as in Redis
            i = n
        else:
            raise ReplyError(errors.SYNTAX)
    now = time.time()
    lines = []
    if ids is not None:
        for cid in ids:
            cl = server.clients.get(cid)
            if cl is not None:
                lines.append(client_info_line(cl, now, "client|list" if cl is c else None))
    else:
        for cl in list(server.clients.values()):
            if ctype is not None and client_type(cl) != ctype:
                continue
            lines.append(client_info_line(cl, now, "client|list" if cl is c else None))
    return Verbatim("".join(line + "\n" for line in lines).encode("utf-8", "replace"))


@command("client|info")
def client_info(c, argv):
    """CLIENT INFO"""
    return Verbatim((client_info_line(c, None, "client|info") + "\n").encode("utf-8", "replace"))


# ======================================================================================
# identity
# ======================================================================================
@command("client|id")
def client_id(c, argv):
    """CLIENT ID"""
    return c.id


def _valid_attr(value: bytes) -> bool:
    return all(33 <= b <= 126 for b in value)


@command("client|setname")
def client_setname(c, argv):
    """CLIENT SETNAME connection-name"""
    name = argv[2]
    if not _valid_attr(name):
        raise ReplyError("ERR Client names cannot contain spaces, newlines or special characters.")
    c.name = bytes(name) or None
    return "OK"


@command("client|getname")
def client_getname(c, argv):
    """CLIENT GETNAME"""
    return c.name if c.name else None


@command("client|setinfo")
def client_setinfo(c, argv):
    """CLIENT SETINFO LIB-NAME libname | LIB-VER libver"""
    attr = argv[2].lower()
    value = bytes(argv[3])
    if attr not in (b"lib-name", b"lib-ver"):
        raise ReplyError("ERR Unrecognized option '%s'" % argv[2].decode("utf-8", "replace"))
    if not _valid_attr(value):
        raise ReplyError("ERR %s cannot contain spaces, newlines or special characters."
                         % attr.decode())
    if attr == b"lib-name":
        c.lib_name = value or None
    else:
        c.lib_ver = value or None
    return "OK"


# ======================================================================================
# KILL
# ======================================================================================
def _kill(c, target):
    if target is c:
        c.closing = True    # closed after this reply is written
    else:
        target.close()


@command("client|kill")
def client_kill(c, argv):
    """CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR ip:port]
    [LADDR ip:port] [SKIPME yes|no] [MAXAGE seconds]"""
    server = c.server
    if len(argv) == 3:
        addr = argv[2].decode("utf-8", "replace")
        for cl in list(server.clients.values()):
            if cl.addr == addr:
                _kill(c, cl)
                return "OK"
        raise ReplyError("ERR No such client")
    if len(argv) % 2:
        raise ReplyError(errors.SYNTAX)
    cid = ctype = user = addr = laddr = maxage = None
    skipme = True
    for i in range(2, len(argv), 2):
        opt = argv[i].upper()
        val = argv[i + 1]
        if opt == b"ID":
            try:
                cid = parse_int(val)
            except ReplyError:
                cid = 0
            if cid <= 0:
                raise ReplyError("ERR client-id should be greater than 0")
        elif opt == b"TYPE":
            ctype = _parse_type(val)
        elif opt == b"USER":
            user = val.decode("utf-8", "replace")
            exists = server.subsystems.get("user_exists")
            if exists is not None and not exists(user):
                raise ReplyError("ERR No such user '%s'" % user)
            if exists is None and user != "default":
                raise ReplyError("ERR No such user '%s'" % user)
        elif opt == b"ADDR":
            addr = val.decode("utf-8", "replace")
        elif opt == b"LADDR":
            laddr = val.decode("utf-8", "replace")
        elif opt == b"SKIPME":
            v = val.lower()
            if v == b"yes":
                skipme = True
            elif v == b"no":
                skipme = False
            else:
                raise ReplyError(errors.SYNTAX)
        elif opt == b"MAXAGE":
            maxage = parse_int(val)
        else:
            raise ReplyError(errors.SYNTAX)
    now = time.time()
    killed = 0
    for cl in list(server.clients.values()):
        if cid is not None and cl.id != cid:
            continue
        if ctype is not None and client_type(cl) != ctype:
            continue
        if user is not None and cl.user != user:
            continue
        if addr is not None and cl.addr != addr:
            continue
        if laddr is not None and cl.laddr != laddr:
            continue
        if maxage is not None and now - cl.ctime < maxage:
            continue
        if cl is c and skipme:
            continue
        _kill(c, cl)
        killed += 1
    return killed


# ======================================================================================
# REPLY / NO-EVICT / NO-TOUCH
# ======================================================================================
@command("client|reply")
def client_reply(c, argv):
    """CLIENT REPLY ON|OFF|SKIP"""
    mode = argv[2].upper()
    if mode == b"ON":
        c.reply_mode = REPLY_ON
        return "OK"
    if mode == b"OFF":
        c.reply_mode = REPLY_OFF
        return NO_REPLY
    if mode == b"SKIP":
        if c.reply_mode != REPLY_OFF:
            c.reply_mode = REPLY_SKIP_NEXT
        return NO_REPLY
    raise ReplyError(errors.SYNTAX)


def _on_off(raw):
    v = raw.upper()
    if v == b"ON":
        return True
    if v == b"OFF":
        return False
    raise ReplyError(errors.SYNTAX)


@command("client|no-evict")
def client_no_evict(c, argv):
    """CLIENT NO-EVICT ON|OFF"""
    c.no_evict = _on_off(argv[2])
    return "OK"


@command("client|no-touch")
def client_no_touch(c, argv):
    """CLIENT NO-TOUCH ON|OFF"""
    c.no_touch = _on_off(argv[2])
    return "OK"


# ======================================================================================
# PAUSE / UNPAUSE
# ======================================================================================
@command("client|pause")
def client_pause(c, argv):
    """CLIENT PAUSE timeout [WRITE|ALL]"""
    try:
        ms = parse_int(argv[2])
    except ReplyError:
        raise ReplyError("ERR timeout is not an integer or out of range") from None
    if ms < 0:
        raise ReplyError("ERR timeout is negative")
    writes_only = False
    if len(argv) == 4:
        mode = argv[3].upper()
        if mode == b"WRITE":
            writes_only = True
        elif mode != b"ALL":
            raise ReplyError("ERR CLIENT PAUSE mode must be WRITE or ALL")
    elif len(argv) > 4:
        raise ReplyError(errors.SYNTAX)
    start_pause(c.server, ms, writes_only)
    return "OK"


@command("client|unpause")
def client_unpause(c, argv):
    """CLIENT UNPAUSE"""
    unpause(c.server)
    return "OK"


# ======================================================================================
# tracking views, UNBLOCK, HELP
# ======================================================================================
@command("client|getredir")
def client_getredir(c, argv):
    """CLIENT GETREDIR"""
    hook = c.server.subsystems.get("getredir")
    if hook is not None:
        return hook(c)
    if c.tracking:
        return getattr(c.tracking, "redirect", 0) or 0
    return -1


@command("client|trackinginfo")
def client_trackinginfo(c, argv):
    """CLIENT TRACKINGINFO"""
    hook = c.server.subsystems.get("trackinginfo")
    if hook is not None:
        return hook(c)
    return Map([(b"flags", SetReply([b"off"])), (b"redirect", -1), (b"prefixes", [])])


@command("client|unblock")
def client_unblock(c, argv):
    """CLIENT UNBLOCK client-id [TIMEOUT|ERROR]"""
    cid = parse_int(argv[2])
    error = False
    if len(argv) == 4:
        mode = argv[3].upper()
        if mode == b"ERROR":
            error = True
        elif mode != b"TIMEOUT":
            raise ReplyError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
    elif len(argv) > 4:
        raise ReplyError(errors.SYNTAX)
    hook = c.server.subsystems.get("unblock")
    if hook is None:
        return 0
    target = c.server.clients.get(cid)
    if target is None or target.blocked is None:
        return 0
    return 1 if hook(target, error) else 0


@command("client|help")
def client_help(c, argv):
    """CLIENT HELP"""
    from .server import help_reply
    return help_reply("CLIENT", [
        "CACHING (YES|NO)",
        "    In OPTIN/OPTOUT tracking modes, decide whether the next command's keys are tracked.",
        "GETREDIR",
        "    Reply with the id of the client receiving this connection's invalidations.",
        "GETNAME",
        "    Reply with this connection's name.",
        "ID",
        "    Reply with this connection's id.",
        "INFO",
        "    Reply with facts about this connection.",
        "KILL <ip:port>",
        "    Close the connection coming from <ip:port>.",
        "KILL <option> <value> [<option> <value> [...]]",
        "    Close every connection matching all the given filters:",
        "    * ID <client-id>",
        "      The connection with this id.",
        "    * ADDR (<ip:port>|<unixsocket>:0)",
        "      Connections coming from this address.",
        "    * LADDR (<ip:port>|<unixsocket>:0)",
        "      Connections made to this local address.",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Connections of this type.",
        "    * USER <username>",
        "      Connections authenticated as <username>.",
        "    * SKIPME (YES|NO)",
        "      Whether the calling connection is spared (default: yes).",
        "    * MAXAGE <maxage>",
        "      Connections older than <maxage> seconds.",
        "LIST [options ...]",
        "    Reply with facts about the connections. Options:",
        "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
        "      Only connections of this type.",
        "    * ID <client-id> [<client-id> ...]",
        "      Only the connections with these ids.",
        "UNPAUSE",
        "    End the current client pause and let traffic flow again.",
        "PAUSE <timeout> [WRITE|ALL]",
        "    Hold back all commands, or only writes, for <timeout> milliseconds.",
        "REPLY (ON|OFF|SKIP)",
        "    Turn the replies to this connection on or off, or skip the next one.",
        "SETINFO <option> <value>",
        "    Record facts about the client library: LIB-NAME or LIB-VER.",
        "SETNAME <name>",
        "    Name this connection <name>.",
        "UNBLOCK <clientid> [TIMEOUT|ERROR]",
        "    Wake the given blocked client, as on timeout or with an error.",
        "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
        "         [OPTIN] [OPTOUT] [NOLOOP]",
        "    Turn server assisted client side caching on or off.",
        "TRACKINGINFO",
        "    Reply with this connection's tracking state.",
        "NO-EVICT (ON|OFF)",
        "    Shield this connection from client eviction.",
        "NO-TOUCH (ON|OFF)",
        "    When on, this connection's commands do not update keys' access time.",
    ])
