"""Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT (CLIENT lives in
commands.client)."""

from .. import errors
from ..protocol.replies import Map, ReplyError
from .args import parse_int
from .registry import command


@command("ping")
def ping(c, argv):
    """PING [message]"""
    if len(argv) > 2:
        raise ReplyError(errors.wrong_arity("ping"))
    if not c.resp3 and c.in_pubsub_context():
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    if len(argv) == 2:
        return argv[1]
    return "PONG"


@command("echo")
def echo(c, argv):
    """ECHO message"""
    return argv[1]


@command("quit")
def quit_(c, argv):
    """QUIT"""
    c.closing = True
    return "OK"


@command("select")
def select(c, argv):
    """SELECT index"""
    try:
        idx = parse_int(argv[1])
    except ReplyError:
        raise ReplyError(errors.NOT_INTEGER) from None
    if c.server.config.cluster_enabled and idx != 0:
        raise ReplyError("ERR SELECT is not allowed in cluster mode")
    if idx < 0 or idx >= len(c.server.dbs):
        raise ReplyError(errors.DB_INDEX_OUT_OF_RANGE)
    c.db = c.server.dbs[idx]
    return "OK"


def check_password(c, username: bytes, password: bytes) -> bool:
    """True if username/password authenticate.  The ACL subsystem may replace this."""
    hook = c.server.subsystems.get("authenticate")
    if hook is not None:
        return hook(c, username, password)
    if username != b"default":
        return False
    req = c.server.config.requirepass
    if not req:
        return True  # the default user is "nopass": any password works
    return password == (req.encode() if isinstance(req, str) else req)


def _authenticate(c, username, password, cmdname=b"auth"):
    if check_password(c, username, password):
        c.authenticated = True
        c.user = username.decode("utf-8", "replace")
        if c.parser is not None:
            c.parser.authenticated = True
        c.refresh_plain()
        return True
    c.server.subsystems.get("auth_failed", lambda *a: None)(c, username, cmdname)
    return False


@command("auth")
def auth(c, argv):
    """AUTH [username] password"""
    if len(argv) > 3:
        raise ReplyError(errors.SYNTAX)
    if len(argv) == 2:
        nopass = c.server.subsystems.get("default_nopass")   # ACL: the default user's nopass
        if nopass() if nopass is not None else not c.server.config.requirepass:
            raise ReplyError("ERR AUTH <password> called without any password configured for the "
                             "default user. Are you sure your configuration is correct?")
        username, password = b"default", argv[1]
    else:
        username, password = argv[1], argv[2]
    if _authenticate(c, username, password, argv[0]):
        return "OK"
    raise ReplyError(errors.WRONGPASS)


def valid_client_name(name: bytes) -> bool:
    return all(33 <= b <= 126 for b in name)


def hello_reply(c):
    role = "replica" if c.server.is_readonly_replica() or getattr(c.server, "role", "master") == "slave" else "master"
    mode = "cluster" if c.server.config.cluster_enabled else "standalone"
    return Map([
        (b"server", b"redis"),
        (b"version", c.server.redis_version.encode()),
        (b"proto", 3 if c.resp3 else 2),
        (b"id", c.id),
        (b"mode", mode.encode()),
        (b"role", role.encode()),
        (b"modules", []),
    ])


@command("hello")
def hello(c, argv):
    """HELLO [protover [AUTH username password] [SETNAME clientname]]"""
    proto = None
    if len(argv) >= 2:
        try:
            proto = parse_int(argv[1])
        except ReplyError:
            raise ReplyError("ERR Protocol version is not an integer or out of range") from None
        if proto < 2 or proto > 3:
            raise ReplyError("NOPROTO unsupported protocol version")
    auth_args = None
    setname = None
    i = 2
    while i < len(argv):
        opt = argv[i].upper()
        more = len(argv) - i - 1
        if opt == b"AUTH" and more >= 2:
            auth_args = (argv[i + 1], argv[i + 2])
            i += 3
        elif opt == b"SETNAME" and more >= 1:
            setname = argv[i + 1]
            if not valid_client_name(setname):
                raise ReplyError("ERR Client names cannot contain spaces, newlines or special characters.")
            i += 2
        else:
            raise ReplyError("ERR Syntax error in HELLO option '%s'" % argv[i].decode("utf-8", "replace"))
    if auth_args is not None:
        if not _authenticate(c, auth_args[0], auth_args[1], argv[0]):
            raise ReplyError(errors.WRONGPASS)
    if not c.authenticated:
        raise ReplyError("NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                         "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
                         "select the RESP protocol version at the same time")
    if setname is not None:
        c.name = setname or None
    if proto is not None:
        c.resp3 = proto == 3
        c.refresh_plain()
    return hello_reply(c)


@command("reset")
def reset(c, argv):
    """RESET"""
    server = c.server
    if c.multi is not None:
        c.multi = None
        c.multi_error = False
    unwatch = server.subsystems.get("unwatch_all")
    if unwatch:
        unwatch(c)
    for h in server.subsystems.get("client_reset", ()):
        h(c)
    c.db = server.dbs[0]
    c.resp3 = False
    c.name = None
    c.reply_mode = 0
    c.no_evict = False
    c.no_touch = False
    c.authenticated = not server.requires_auth()
    c.user = "default"
    if c.parser is not None:
        c.parser.authenticated = c.authenticated
    c.refresh_plain()
    return "RESET"
