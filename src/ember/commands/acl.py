"""ACL: the registry of users, the ACL LOG, the ACL command and the hooks that enforce
permissions (Redis 7.2 behaviour; the rule language and checks live in ``acl_users``).

``install(server)`` (called by the Server at start) creates ``server.acl`` (an Acl) with
the default user ``on nopass ~* &* +@all`` (``requirepass`` gives it a password), loads
the ``user`` directives of the config file or the ``aclfile``, and installs:
- ``subsystems["authenticate"]`` / ``["auth_failed"]`` used by AUTH and HELLO;
- ``subsystems["acl_check"]`` called by dispatch.gate for clients whose user is
  *restricted* (anything less than all commands, keys and channels): those clients are
  never ``plain``, so a client of a full-permission user pays nothing on the fast path;
- ``subsystems["acl_exec_check"]`` (EXEC re-checks queued commands) and
  ``["acl_script_check"]`` (redis.call / redis.pcall / redis.acl_check_cmd);
- ``server.requires_auth`` (the default user is off or has no ``nopass``),
  ``server.default_user_restricted`` (new connections start as the default user),
  CLIENT KILL USER, INFO stats counters, CONFIG SET requirepass, CONFIG REWRITE users.
"""

import os
import time

from .. import errors
from ..protocol.replies import Map, ReplyError, SetReply
from .acl_users import (CATEGORIES, DENIED_AUTH, DENIED_CHANNEL, DENIED_CMD, DENIED_KEY, OK,
                        AclRuleError, UnmatchedParenthesis, Universe, User)
from .registry import command

LOG_GROUPING_MS = 60000
_REASONS = {DENIED_CMD: "command", DENIED_KEY: "key", DENIED_CHANNEL: "channel",
            DENIED_AUTH: "auth"}
_EXEC_REASONS = {
    DENIED_CMD: "no permission to execute the command or subcommand",
    DENIED_KEY: "no permission to touch the specified keys",
    DENIED_CHANNEL: "no permission to access one of the channels used as arguments",
}
NO_ACLFILE = ("ERR This Redis instance is not configured to use an ACL file. You may want to "
              "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
              "(assuming you have a Redis configuration file set) in order to store users in "
              "the Redis configuration.")


class AclStartupError(Exception):
    """Users from the config file / ACL file could not be loaded: the server must not start.
    ``args`` are the lines to log."""


def _s(b) -> str:
    return b.decode("utf-8", "surrogateescape") if isinstance(b, (bytes, bytearray)) else b


def _b(s) -> bytes:
    return s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s


class LogEntry:
    __slots__ = ("count", "reason", "context", "object", "username", "created", "updated",
                 "client_info", "entry_id")


class Acl:
    def __init__(self, server):
        self.server = server
        self.universe = Universe(server.command_specs)
        self.users = {}
        self.log = []                 # newest first
        self.next_entry_id = 0
        self.denied = {DENIED_AUTH: 0, DENIED_CMD: 0, DENIED_KEY: 0, DENIED_CHANNEL: 0}
        self.users["default"] = self.default_user()

    def pubsub_default_all(self) -> bool:
        return self.server.config.acl_pubsub_default == "allchannels"

    def new_user(self, name) -> User:
        return User(name, self.universe, self.pubsub_default_all())

    def default_user(self) -> User:
        u = self.new_user("default")
        u.apply([b"on", b"nopass", b"~*", b"&*", b"+@all"])
        return u

    @property
    def default(self) -> User:
        return self.users["default"]

    # ---- rules ----------------------------------------------------------------------
    def build(self, name, rules, base=None) -> User:
        """A copy of ``base`` (or a new user) with ``rules`` applied; raises ReplyError
        with Redis' SETUSER texts."""
        u = base.copy() if base is not None else self.new_user(name)
        try:
            u.apply(rules, self.pubsub_default_all())
        except UnmatchedParenthesis as e:
            raise ReplyError("ERR Unmatched parenthesis in acl selector starting at '%s'."
                             % _s(e.args[0])) from None
        except AclRuleError as e:
            raise ReplyError("ERR Error in ACL SETUSER modifier '%s': %s" % (e.rule, e.reason)) from None
        return u

    def set_user(self, name, user, current=None):
        """Install ``user`` under ``name`` and bring its clients in line."""
        self.users[name] = user
        server = self.server
        if name == "default":
            server.default_user_restricted = not user.everything
        restricted = not user.everything
        for cl in list(server.clients.values()):
            if cl.user != name:
                continue
            if cl.restricted != restricted:
                cl.restricted = restricted
                cl.refresh_plain()
            if cl.channels or cl.patterns or cl.shard_channels:
                if not self._subscriptions_allowed(cl, user):
                    self.kill(cl, current)

    @staticmethod
    def _subscriptions_allowed(cl, user) -> bool:
        for ch in cl.channels or ():
            if not user.channel_ok(ch, False):
                return False
        for ch in cl.shard_channels or ():
            if not user.channel_ok(ch, False):
                return False
        for pat in cl.patterns or ():
            if not user.channel_ok(pat, True):
                return False
        return True

    def kill(self, cl, current):
        if cl is current:
            cl.closing = True      # closed once this reply is written
        else:
            cl.close()

    def delete_user(self, name, current=None):
        del self.users[name]
        for cl in list(self.server.clients.values()):
            if cl.user == name:
                self.kill(cl, current)

    def replace_all(self, users, current=None):
        """ACL LOAD: the new set of users replaces the old one; clients of users that are
        gone are disconnected, the others follow their (possibly changed) user."""
        old = self.users
        self.users = users
        for name in old:
            if name not in users:
                for cl in list(self.server.clients.values()):
                    if cl.user == name:
                        self.kill(cl, current)
        for name, u in users.items():
            self.set_user(name, u, current)

    # ---- authentication ---------------------------------------------------------------
    def authenticate(self, c, username, password) -> bool:
        u = self.users.get(_s(username))
        if u is None or not u.password_ok(password):
            return False
        c.restricted = not u.everything
        return True

    def requires_auth(self) -> bool:
        d = self.users["default"]
        return not (d.nopass and d.enabled)

    def set_requirepass(self, value):
        d = self.default.copy()
        if value:
            d.apply([b"resetpass", b">" + _b(value)])
        else:
            d.apply([b"nopass"])
        self.set_user("default", d)

    # ---- checks ---------------------------------------------------------------------
    def check(self, c, spec, argv, context):
        """(code, user, position); logs denials."""
        u = self.users.get(c.user)
        if u is None:
            code, pos = DENIED_CMD, 0
        else:
            code, pos = u.check(spec, argv)
            if code == OK:
                return OK, u, 0
        obj = spec.name if code == DENIED_CMD else argv[pos]
        self.add_log(c, code, context, obj, c.user,
                     c.last_cmd.name if context == "lua" and c.last_cmd != "NULL" else spec.name)
        return code, u, pos

    def gate_check(self, c, spec, argv):
        """dispatch.gate: None, or the NOPERM error text."""
        code, u, pos = self.check(c, spec, argv, "multi" if c.multi is not None else "toplevel")
        if code == OK:
            return None
        if code == DENIED_CMD:
            return "NOPERM User %s has no permissions to run the '%s' command" % (c.user, spec.name)
        if code == DENIED_KEY:
            return "NOPERM No permissions to access a key"
        return "NOPERM No permissions to access a channel"

    def exec_check(self, c, spec, argv):
        """EXEC: None, or the error for a queued command the user may no longer run."""
        code, u, pos = self.check(c, spec, argv, "multi")
        if code == OK:
            return None
        return ("NOPERM ACLs rules changed between the moment the transaction was accumulated "
                "and the EXEC call. This command is no longer allowed for the following "
                "reason: " + _EXEC_REASONS[code])

    def script_check(self, caller, spec, argv):
        """redis.call from a script run by ``caller``: None or the error text."""
        code, u, pos = self.check(caller, spec, argv, "lua")
        if code == OK:
            return None
        return "ERR ACL failure in script: " + verbose_denial(code, caller.user, spec, argv, pos)

    def reads_any_key(self, c, argv) -> bool:
        """SORT/SORT_RO with a BY pattern or GET: only for users who may read every key."""
        u = self.users.get(c.user)
        spec = self.universe.specs.get(_s(argv[0]).lower())
        return u is not None and spec is not None and u.reads_any_key(spec, argv)

    def allowed(self, username, spec, argv) -> bool:
        u = self.users.get(username)
        return u is not None and u.check(spec, argv)[0] == OK

    # ---- log ------------------------------------------------------------------------
    def add_log(self, c, code, context, obj, username, current=None):
        self.denied[code] += 1
        server = self.server
        now = int(time.time() * 1000)
        reason = _REASONS[code]
        obj = _s(obj)
        username = _s(username)
        from .client import client_info_line
        info = client_info_line(c, current=current)
        for i, e in enumerate(self.log):
            if (e.reason == reason and e.context == context and e.object == obj
                    and e.username == username and now - e.updated < LOG_GROUPING_MS):
                e.count += 1
                e.updated = now
                e.client_info = info
                if i:
                    del self.log[i]
                    self.log.insert(0, e)
                return
        e = LogEntry()
        e.count = 1
        e.reason = reason
        e.context = context
        e.object = obj
        e.username = username
        e.created = e.updated = now
        e.client_info = info
        e.entry_id = self.next_entry_id
        self.next_entry_id += 1
        self.log.insert(0, e)
        limit = server.config.acllog_max_len
        del self.log[limit:]

    def log_reply(self, count=None):
        now = int(time.time() * 1000)
        entries = self.log if count is None else self.log[:count]
        return [Map([
            (b"count", e.count), (b"reason", _b(e.reason)), (b"context", _b(e.context)),
            (b"object", _b(e.object)), (b"username", _b(e.username)),
            (b"age-seconds", (now - e.updated) / 1000.0), (b"client-info", _b(e.client_info)),
            (b"entry-id", e.entry_id), (b"timestamp-created", e.created),
            (b"timestamp-last-updated", e.updated),
        ]) for e in entries]

    # ---- files ----------------------------------------------------------------------
    def list_lines(self):
        return [self.users[n].describe() for n in sorted(self.users)]

    def load_lines(self, lines, origin):
        """Users from ACL file lines; returns (users, errors)."""
        users = {}
        errs = []
        for linenum, raw in enumerate(lines, 1):
            line = raw.strip(b" \t\r\n")
            if not line:
                continue
            args = [a for a in line.split(b" ") if a]
            if args[0] != b"user" or len(args) < 2:
                errs.append("%s:%d should start with user keyword followed by the username. "
                            % (origin, linenum))
                continue
            name = _s(args[1])
            if name in users:
                errs.append("WARNING: Duplicate user '%s' found on line %d. " % (name, linenum))
                continue
            u = self.new_user(name)
            try:
                u.apply(args[2:], self.pubsub_default_all())
            except UnmatchedParenthesis:
                errs.append("%s:%d: Unmatched parenthesis in selector definition." % (origin, linenum))
                continue
            except AclRuleError as e:
                errs.append("%s:%d: Error in applying operation '%s': %s. "
                            % (origin, linenum, e.rule, e.reason))
                continue
            users[name] = u
        if "default" not in users:
            users["default"] = self.default_user()
        if errs:
            errs.append("WARNING: ACL errors detected, no change to the previously active ACL "
                        "rules was performed")
        return users, errs

    def load_file(self, path, current=None):
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        users, errs = self.load_lines(lines, path)
        if errs:
            return "".join(errs)
        self.replace_all(users, current)
        return None

    def save_file(self, path):
        data = "".join(line + "\n" for line in self.list_lines()).encode("utf-8", "surrogateescape")
        tmp = "%s.tmp-%d" % (path, os.getpid())
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)


def verbose_denial(code, username, spec, argv, pos):
    if code == DENIED_CMD:
        return "User %s has no permissions to run the '%s' command" % (username, spec.name)
    what = "key" if code == DENIED_KEY else "channel"
    return "User %s has no permissions to access the '%s' %s" % (username, _s(argv[pos]), what)


# ======================================================================================
# install
# ======================================================================================
def install(server):
    acl = server.acl = Acl(server)
    config = server.config
    subs = server.subsystems
    if config.requirepass:
        acl.set_requirepass(config.requirepass)
    _load_startup_users(acl, config)
    server.requires_auth = acl.requires_auth
    server.default_user_restricted = not acl.default.everything
    subs["authenticate"] = acl.authenticate
    subs["auth_failed"] = lambda c, username, cmdname=b"auth": acl.add_log(
        c, DENIED_AUTH, "multi" if c.in_exec else "toplevel", cmdname, username,
        _s(cmdname).lower())
    subs["default_nopass"] = lambda: acl.default.nopass
    subs["user_exists"] = lambda name: name in acl.users
    subs["acl_check"] = acl.gate_check
    subs["acl_exec_check"] = acl.exec_check
    subs["acl_script_check"] = acl.script_check
    subs["acl_reads_any_key"] = acl.reads_any_key

    def on_reset(c):
        c.restricted = server.default_user_restricted
    subs.setdefault("client_reset", []).append(on_reset)

    def info(server_, section, fields):
        if section == "stats":
            fields["acl_access_denied_auth"] = acl.denied[DENIED_AUTH]
            fields["acl_access_denied_cmd"] = acl.denied[DENIED_CMD]
            fields["acl_access_denied_key"] = acl.denied[DENIED_KEY]
            fields["acl_access_denied_channel"] = acl.denied[DENIED_CHANNEL]
    subs.setdefault("info", []).append(info)

    def resetstat(server_):
        for k in acl.denied:
            acl.denied[k] = 0
    subs.setdefault("resetstat", []).append(resetstat)

    def rewrite_lines(server_):
        # with an ACL file the users live there (their config lines are dropped)
        return {"user": [] if config.aclfile else acl.list_lines()}
    subs["config_rewrite_lines"] = rewrite_lines
    config.on_change("requirepass", lambda cfg, name, old, new: acl.set_requirepass(new))


def _load_startup_users(acl, config):
    """``user`` directives of the config file, or the ACL file (not both, as Redis)."""
    if config.users and config.aclfile:
        raise AclStartupError(
            "Configuring Redis with users defined in redis.conf and at the same setting an "
            "ACL file path is invalid. This setup is very likely to lead to configuration "
            "errors and security holes, please define either an ACL file or declare users "
            "directly in your redis.conf, but not both.")
    if config.users:
        users = dict(acl.users)
        for args in config.users:
            name = args[0]
            rules = [_b(a) for a in args[1:]]
            base = users.get(name)
            u = base.copy() if base is not None else acl.new_user(name)
            if base is not None:          # the default user: its rules start from a reset
                rules.insert(0, b"reset")
            try:
                u.apply(rules, acl.pubsub_default_all())
            except UnmatchedParenthesis as e:
                raise AclStartupError("Unmatched parenthesis in acl selector starting at '%s' for "
                                      "the user named '%s'" % (_s(e.args[0]), name),
                                      "Critical error while loading ACLs. Exiting.") from None
            except AclRuleError as e:
                raise AclStartupError("Error loading ACL rule '%s' for the user named '%s': %s"
                                      % (e.rule, name, e.reason),
                                      "Critical error while loading ACLs. Exiting.") from None
            users[name] = u
        acl.replace_all(users)
    elif config.aclfile:
        try:
            err = acl.load_file(config.aclfile)
        except OSError as e:
            raise AclStartupError("Error loading ACLs, opening file '%s': %s"
                                  % (config.aclfile, e.strerror)) from None
        if err:
            raise AclStartupError("Aborting Redis startup because of ACL errors: " + err)


# ======================================================================================
# ACL command
# ======================================================================================
def _acl(c):
    return c.server.acl


def _sub_syntax(argv):
    return ("ERR unknown subcommand or wrong number of arguments for '%s'. Try ACL HELP."
            % _s(argv[1]))


@command("acl|setuser")
def acl_setuser(c, argv):
    """ACL SETUSER username [rule ...]"""
    acl = _acl(c)
    name = _s(argv[2])
    if " " in name or "\0" in name:
        raise ReplyError("ERR Usernames can't contain spaces or null characters")
    u = acl.build(name, argv[3:], acl.users.get(name))
    acl.set_user(name, u, c)
    return "OK"


@command("acl|getuser")
def acl_getuser(c, argv):
    """ACL GETUSER username"""
    u = _acl(c).users.get(_s(argv[2]))
    if u is None:
        return None
    r = u.root
    return Map([
        (b"flags", SetReply([_b(f) for f in u.flags()])),
        (b"passwords", [_b(h) for h in u.passwords]),
        (b"commands", _b(r.describe_commands())),
        (b"keys", _b(r.describe_keys())),
        (b"channels", _b(r.describe_channels())),
        (b"selectors", [Map([
            (b"commands", _b(s.describe_commands())),
            (b"keys", _b(s.describe_keys())),
            (b"channels", _b(s.describe_channels())),
        ]) for s in u.selectors]),
    ])


@command("acl|deluser")
def acl_deluser(c, argv):
    """ACL DELUSER username [username ...]"""
    acl = _acl(c)
    names = [_s(a) for a in argv[2:]]
    if "default" in names:
        raise ReplyError("ERR The 'default' user cannot be removed")
    deleted = 0
    for name in names:
        if name in acl.users:
            acl.delete_user(name, c)
            deleted += 1
    return deleted


@command("acl|list")
def acl_list(c, argv):
    """ACL LIST"""
    return [_b(line) for line in _acl(c).list_lines()]


@command("acl|users")
def acl_users(c, argv):
    """ACL USERS"""
    return [_b(n) for n in sorted(_acl(c).users)]


@command("acl|whoami")
def acl_whoami(c, argv):
    """ACL WHOAMI"""
    return _b(c.user)


@command("acl|cat")
def acl_cat(c, argv):
    """ACL CAT [category]"""
    if len(argv) == 2:
        return [n.encode() for n in CATEGORIES]
    if len(argv) > 3:
        raise ReplyError(_sub_syntax(argv))
    cat = _s(argv[2]).lower()
    names = _acl(c).universe.by_category.get(cat)
    if names is None:
        raise ReplyError("ERR Unknown category '%s'" % _s(argv[2]))
    return [n.encode() for n in names]


@command("acl|genpass")
def acl_genpass(c, argv):
    """ACL GENPASS [bits]"""
    bits = 256
    if len(argv) == 3:
        from .args import parse_int
        bits = parse_int(argv[2])
        if bits <= 0 or bits > 4096:
            raise ReplyError("ERR ACL GENPASS argument must be the number of bits for the output "
                             "password, a positive number up to 4096")
    elif len(argv) > 3:
        raise ReplyError(_sub_syntax(argv))
    chars = (bits + 3) // 4
    return os.urandom((chars + 1) // 2).hex()[:chars].encode()


@command("acl|log")
def acl_log(c, argv):
    """ACL LOG [count | RESET]"""
    acl = _acl(c)
    if len(argv) > 3:
        raise ReplyError(_sub_syntax(argv))
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            acl.log = []
            return "OK"
        from .args import parse_int
        count = parse_int(argv[2])
        return acl.log_reply(max(count, 0))
    return acl.log_reply(10)


@command("acl|dryrun")
def acl_dryrun(c, argv):
    """ACL DRYRUN username command [arg ...]"""
    acl = _acl(c)
    name = _s(argv[2])
    u = acl.users.get(name)
    if u is None:
        raise ReplyError("ERR User '%s' not found" % name)
    from .dispatch import lookup
    cmd = list(argv[3:])
    spec, _ = lookup(c.server, cmd)
    if spec is None:
        raise ReplyError("ERR Command '%s' not found" % _s(cmd[0]))
    n = len(cmd)
    if (n != spec.arity) if spec.arity > 0 else (n < -spec.arity):
        raise ReplyError(errors.wrong_arity(spec.name))
    code, pos = u.check(spec, cmd)
    if code == OK:
        return "OK"
    return _b(verbose_denial(code, name, spec, cmd, pos))


@command("acl|save")
def acl_save(c, argv):
    """ACL SAVE"""
    server = c.server
    path = server.config.aclfile
    if not path:
        raise ReplyError(NO_ACLFILE)
    try:
        _acl(c).save_file(path)
    except OSError as e:
        server.log.warning("Failed to save the ACL file '%s': %s" % (path, e.strerror))
        raise ReplyError("ERR There was an error trying to save the ACLs. Please check the "
                         "server logs for more information") from None
    return "OK"


@command("acl|load")
def acl_load(c, argv):
    """ACL LOAD"""
    path = c.server.config.aclfile
    if not path:
        raise ReplyError(NO_ACLFILE)
    try:
        err = _acl(c).load_file(path, c)
    except OSError as e:
        raise ReplyError("ERR Error loading ACLs, opening file '%s': %s" % (path, e.strerror)) from None
    if err:
        raise ReplyError("ERR " + err)
    return "OK"


@command("acl|help")
def acl_help(c, argv):
    """ACL HELP"""
    from .server import help_reply
    return help_reply("ACL", [
        "CAT [<category>]",
        "    Without a category: the command categories; with one: the commands in it.",
        "DELUSER <username> [<username> ...]",
        "    Remove users (their connections are closed).",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Tell whether the user could run the command, without running it.",
        "GETUSER <username>",
        "    The user's flags, passwords, command rules, key and channel patterns, selectors.",
        "GENPASS [<bits>]",
        "    A random password (256 bits unless <bits> says otherwise), as hex digits.",
        "LIST",
        "    Every user as a line of the ACL file format.",
        "LOAD",
        "    Replace the users with those of the ACL file.",
        "LOG [<count> | RESET]",
        "    The latest permission and authentication failures, or clear them.",
        "SAVE",
        "    Write the users to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create a user or change it with the given rules.",
        "USERS",
        "    The names of all users.",
        "WHOAMI",
        "    The user of this connection.",
    ])
