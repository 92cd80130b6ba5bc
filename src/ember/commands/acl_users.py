"""ACL users and selectors (Redis 7.2 semantics): the data model, the rule language of
ACL SETUSER / ``user`` directives / ACL files, the permission check and the descriptions
ACL LIST / GETUSER print.  No server state here: ``commands/acl.py`` owns the registry of
users, the log, the commands and the hooks into dispatch.

    u = User("alice", universe)
    u.apply(["on", ">secret", "~cache:*", "+@read"])    # raises AclRuleError(rule, reason)
    u.check(spec, argv)       # (OK, 0) or (DENIED_CMD|DENIED_KEY|DENIED_CHANNEL, argv index)
    u.describe()              # "user alice on #<sha256> ~cache:* resetchannels -@all +@read"

A selector holds: the set of allowed command names (subcommands by their "cmd|sub" name),
the deprecated allowed first arguments, the ordered command rules it was built from (7.2
keeps them as given, dropping a rule when a later one on the same command or category
supersedes it), key patterns with read/write permissions, channel patterns.  A user is a
root selector plus extra selectors "(...)"; a command is allowed when any selector allows
it with all its keys and channels.
"""

import hashlib

from .. import glob
from .table import extract_keys

OK, DENIED_CMD, DENIED_KEY, DENIED_AUTH, DENIED_CHANNEL = 0, 1, 2, 3, 4
READ, WRITE = 1, 2

# ACL CAT order (Redis' category table order).
CATEGORIES = ("keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
              "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
              "blocking", "dangerous", "connection", "transaction", "scripting")

SYNTAX = "Syntax error"
UNKNOWN = "Unknown command or category name in ACL"
KEYS_AFTER_ALL = ("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid "
                  "and does not have any effect. Try 'resetkeys' to start with an empty list "
                  "of patterns")
CHANNELS_AFTER_ALL = ("Adding a pattern after the * pattern (or the 'allchannels' flag) is not "
                      "valid and does not have any effect. Try 'resetchannels' to start with "
                      "an empty list of channels")
BAD_HASH = ("The password hash must be exactly 64 characters and contain only lowercase "
            "hexadecimal characters")
NO_SUCH_PASSWORD = "The password you are trying to remove from the user does not exist"
FIRSTARG_SUB = "Allowing first-arg of a subcommand is not supported"

_HEX = frozenset("0123456789abcdef")


class AclRuleError(Exception):
    def __init__(self, rule, reason):
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


class Universe:
    """Every command and subcommand of the table, by name and by category."""

    def __init__(self, table):
        self.table = table
        self.specs = {}                       # name ("get", "client|list") -> spec
        self.by_category = {c: [] for c in CATEGORIES}
        for spec in table.values():
            if spec.only_sentinel:        # not a command of a redis-server
                continue
            for s in (spec, *spec.subcommands.values()):
                self.specs[s.name] = s
                for cat in s.acl_categories:
                    lst = self.by_category.get(cat.lstrip("@"))
                    if lst is not None:
                        lst.append(s.name)
        self.all_names = frozenset(self.specs)

    def names_for_command(self, spec):
        """A container stands for itself and all its subcommands."""
        return [spec.name] + [s.name for s in spec.subcommands.values()]


def _lower(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape").lower()


class Selector:
    __slots__ = ("allowed", "allcommands", "first_args", "rules", "keys", "allkeys",
                 "channels", "allchannels")

    def __init__(self, allchannels=False):
        self.allowed = set()
        self.allcommands = False
        self.first_args = {}          # command name -> set of allowed first args (bytes)
        self.rules = []               # "+get", "-@read", "+client|list" in application order
        self.keys = []                # [pattern bytes, READ|WRITE] in insertion order
        self.allkeys = False
        self.channels = []            # patterns (bytes)
        self.allchannels = allchannels

    def copy(self):
        s = Selector()
        s.allowed = set(self.allowed)
        s.allcommands = self.allcommands
        s.first_args = {k: set(v) for k, v in self.first_args.items()}
        s.rules = list(self.rules)
        s.keys = [list(k) for k in self.keys]
        s.allkeys = self.allkeys
        s.channels = list(self.channels)
        s.allchannels = self.allchannels
        return s

    # ---- rules --------------------------------------------------------------------
    def _record(self, sign, body):
        """Keep the rule list minimal and ordered: a rule replaces earlier rules on the same
        command (or its subcommands) or category."""
        sub = body + "|"
        self.rules = [r for r in self.rules if r[1:] != body and not r[1:].startswith(sub)]
        self.rules.append(sign + body)

    def _set_names(self, names, allow):
        if allow:
            self.allowed.update(names)
        else:
            self.allowed.difference_update(names)
        fa = self.first_args
        if fa:
            for n in names:
                fa.pop(n, None)

    def apply(self, rule: bytes, universe, pubsub_default_all=False):
        """Apply one selector rule (commands, keys, channels); raises AclRuleError."""
        text = rule.decode("utf-8", "surrogateescape")
        low = text.lower()
        if low in ("allkeys", "~*"):
            self.allkeys = True
            self.keys = []
        elif low == "resetkeys":
            self.allkeys = False
            self.keys = []
        elif low in ("allchannels", "&*"):
            self.allchannels = True
            self.channels = []
        elif low == "resetchannels":
            self.allchannels = False
            self.channels = []
        elif low in ("allcommands", "+@all"):
            self.allowed = set(universe.all_names)
            self.allcommands = True
            self.first_args = {}
            self.rules = []
        elif low in ("nocommands", "-@all"):
            self.allowed = set()
            self.allcommands = False
            self.first_args = {}
            self.rules = []
        elif text[:1] == "~" or text[:1] == "%":
            self._key_rule(rule)
        elif text[:1] == "&":
            if self.allchannels:
                raise AclRuleError(text, CHANNELS_AFTER_ALL)
            pat = rule[1:]
            if pat not in self.channels:
                self.channels.append(pat)
        elif text[:2] in ("+@", "-@"):
            cat = low[2:]
            names = universe.by_category.get(cat)
            if names is None:
                raise AclRuleError(text, UNKNOWN)
            self._set_names(names, text[0] == "+")
            self._record(text[0], "@" + cat)
        elif text[:1] in ("+", "-"):
            self._command_rule(text, low, universe)
        else:
            raise AclRuleError(text, SYNTAX)

    def _key_rule(self, rule: bytes):
        text = rule.decode("utf-8", "surrogateescape")
        if rule[:1] == b"~":
            flags, pat = READ | WRITE, rule[1:]
        else:
            tilde = rule.find(b"~")
            if tilde < 0:
                raise AclRuleError(text, SYNTAX)
            flags = 0
            for ch in rule[1:tilde].upper():
                if ch == ord("R"):
                    flags |= READ
                elif ch == ord("W"):
                    flags |= WRITE
                else:
                    raise AclRuleError(text, SYNTAX)
            if not flags:
                raise AclRuleError(text, SYNTAX)
            pat = rule[tilde + 1:]
        if self.allkeys:
            raise AclRuleError(text, KEYS_AFTER_ALL)
        for k in self.keys:
            if k[0] == pat:
                k[1] |= flags
                return
        self.keys.append([pat, flags])

    def _command_rule(self, text, low, universe):
        sign = text[0]
        allow = sign == "+"
        body = low[1:]
        if "|" not in body:
            spec = universe.specs.get(body)
            if spec is None or spec.parent is not None:
                raise AclRuleError(text, UNKNOWN)
            self._set_names(universe.names_for_command(spec), allow)
            self._record(sign, body)
            return
        name, _, arg = body.partition("|")
        spec = universe.specs.get(name)
        if spec is None or spec.parent is not None:
            raise AclRuleError(text, UNKNOWN)
        if spec.subcommands:
            if "|" in arg:
                raise AclRuleError(text, FIRSTARG_SUB)
            sub = spec.subcommands.get(arg.encode("utf-8", "surrogateescape"))
            if sub is None:
                raise AclRuleError(text, UNKNOWN)
            self._set_names([sub.name], allow)
            self._record(sign, sub.name)
            return
        # a first argument of a command without subcommands (deprecated, '+' only)
        if not allow or not arg:
            raise AclRuleError(text, UNKNOWN)
        if name not in self.allowed:
            self.first_args.setdefault(name, set()).add(arg.encode("utf-8", "surrogateescape"))
        self._record(sign, body)

    # ---- checks -------------------------------------------------------------------
    def allows_command(self, spec, argv):
        name = spec.name
        if name in self.allowed or spec.no_auth:       # AUTH, HELLO, QUIT: always
            return True
        fa = self.first_args.get(name)
        return fa is not None and len(argv) >= 2 and bytes(argv[1]).lower() in fa

    def reads_any_key(self):
        """allkeys, or the pattern "*" with read permission (SORT's BY/GET condition)."""
        return self.allkeys or any(p == b"*" and f & READ for p, f in self.keys)

    def check(self, spec, argv, keys_cache):
        if not self.allows_command(spec, argv):
            return DENIED_CMD, 0
        if not self.allkeys and spec.has_keys:
            keys = keys_cache[0]
            if keys is None:
                keys = keys_cache[0] = extract_keys(spec, argv)
            for pos, flags in keys:
                need = 0
                if "access" in flags:
                    need |= READ
                if "insert" in flags or "delete" in flags or "update" in flags:
                    need |= WRITE
                key = argv[pos]
                for pat, pf in self.keys:
                    if pf & need == need and glob.match(pat, key):
                        break
                else:
                    return DENIED_KEY, pos
        if not self.allchannels and spec.pubsub:
            for pos, is_pattern in channel_args(spec, argv):
                if not self.channel_ok(argv[pos], is_pattern):
                    return DENIED_CHANNEL, pos
        return OK, 0

    def channel_ok(self, channel, is_pattern):
        if self.allchannels:
            return True
        if is_pattern:
            return channel in self.channels
        return any(glob.match(p, channel) for p in self.channels)

    # ---- descriptions -------------------------------------------------------------
    def describe_keys(self):
        if self.allkeys:
            return "~*"
        out = []
        for pat, flags in self.keys:
            prefix = "~" if flags == READ | WRITE else "%R~" if flags == READ else "%W~"
            out.append(prefix + pat.decode("utf-8", "surrogateescape"))
        return " ".join(out)

    def describe_channels(self):
        if self.allchannels:
            return "&*"
        return " ".join("&" + p.decode("utf-8", "surrogateescape") for p in self.channels)

    def describe_commands(self):
        return " ".join(["+@all" if self.allcommands else "-@all"] + self.rules)

    def describe(self):
        parts = []
        keys = self.describe_keys()
        if keys:
            parts.append(keys)
        if self.allchannels:
            parts.append("&*")
        else:
            parts.append("resetchannels")
            if self.channels:
                parts.append(self.describe_channels())
        parts.append(self.describe_commands())
        return " ".join(parts)

    def is_everything(self, universe):
        return (self.allkeys and self.allchannels and not self.first_args
                and len(self.allowed) == len(universe.all_names))


def channel_args(spec, argv):
    """(position, is_pattern) of the channels a pub/sub command names (Redis checks the
    channels of PUBLISH/SPUBLISH and of the subscribe commands; unsubscribing is free)."""
    name = spec.name
    if name in ("publish", "spublish"):
        return [(1, False)]
    if name in ("subscribe", "ssubscribe"):
        return [(i, False) for i in range(1, len(argv))]
    if name == "psubscribe":
        return [(i, True) for i in range(1, len(argv))]
    return []


def hash_password(pw: bytes) -> str:
    return hashlib.sha256(pw).hexdigest()


class User:
    __slots__ = ("name", "enabled", "nopass", "passwords", "sanitize", "root", "selectors",
                 "universe", "everything")

    def __init__(self, name, universe, pubsub_default_all=False):
        self.name = name
        self.universe = universe
        self.enabled = False
        self.nopass = False
        self.passwords = []           # sha256 hex digests, insertion order
        self.sanitize = None          # None, "sanitize-payload" or "skip-sanitize-payload"
        self.root = Selector(pubsub_default_all)
        self.selectors = []
        self.everything = False

    def copy(self):
        u = User(self.name, self.universe)
        u.enabled = self.enabled
        u.nopass = self.nopass
        u.passwords = list(self.passwords)
        u.sanitize = self.sanitize
        u.root = self.root.copy()
        u.selectors = [s.copy() for s in self.selectors]
        u.everything = self.everything
        return u

    # ---- rules --------------------------------------------------------------------
    def apply(self, rules, pubsub_default_all=False):
        """Apply rules (bytes) in order; raises AclRuleError and leaves the user half
        changed (callers work on a copy)."""
        for rule in merge_selector_args(rules):
            self.apply_one(rule, pubsub_default_all)
        self.everything = not self.selectors and self.root.is_everything(self.universe)

    def apply_one(self, rule: bytes, pubsub_default_all=False):
        text = rule.decode("utf-8", "surrogateescape")
        low = text.lower()
        if low == "on":
            self.enabled = True
        elif low == "off":
            self.enabled = False
        elif low in ("sanitize-payload", "skip-sanitize-payload"):
            self.sanitize = low
        elif low == "nopass":
            self.nopass = True
            self.passwords = []
        elif low == "resetpass":
            self.nopass = False
            self.passwords = []
        elif text[:1] == ">":
            h = hash_password(rule[1:])
            if h not in self.passwords:
                self.passwords.append(h)
            self.nopass = False
        elif text[:1] == "#":
            h = _valid_hash(text)
            if h not in self.passwords:
                self.passwords.append(h)
            self.nopass = False
        elif text[:1] == "<":
            h = hash_password(rule[1:])
            if h not in self.passwords:
                raise AclRuleError(text, NO_SUCH_PASSWORD)
            self.passwords.remove(h)
        elif text[:1] == "!":
            h = _valid_hash(text)
            if h not in self.passwords:
                raise AclRuleError(text, NO_SUCH_PASSWORD)
            self.passwords.remove(h)
        elif text[:1] == "(" and text[-1:] == ")":
            sel = Selector(pubsub_default_all)
            try:
                for part in rule[1:-1].split(b" "):
                    if part:
                        sel.apply(part, self.universe, pubsub_default_all)
            except AclRuleError:
                raise AclRuleError(text, SYNTAX) from None
            self.selectors.append(sel)
        elif low == "clearselectors":
            self.selectors = []
        elif low == "reset":
            for r in (b"resetpass", b"resetkeys", b"resetchannels"):
                self.apply_one(r, pubsub_default_all)
            if pubsub_default_all:
                self.apply_one(b"allchannels")
            for r in (b"off", b"sanitize-payload", b"clearselectors", b"-@all"):
                self.apply_one(r, pubsub_default_all)
        else:
            self.root.apply(rule, self.universe, pubsub_default_all)

    # ---- authentication and checks ----------------------------------------------------
    def password_ok(self, password: bytes) -> bool:
        if not self.enabled:
            return False
        if self.nopass:
            return True
        return hash_password(password) in self.passwords

    def check(self, spec, argv):
        """(OK, 0) or the most relevant denial over the selectors with its argv index."""
        cache = [None]
        code, pos = self.root.check(spec, argv, cache)
        if code == OK:
            return OK, 0
        for sel in self.selectors:
            c2, p2 = sel.check(spec, argv, cache)
            if c2 == OK:
                return OK, 0
            if c2 > code:
                code, pos = c2, p2
        return code, pos

    def reads_any_key(self, spec, argv):
        """Some selector allowing the command may read every key."""
        return any(s.allows_command(spec, argv) and s.reads_any_key()
                   for s in (self.root, *self.selectors))

    def channel_ok(self, channel, is_pattern):
        return (self.root.channel_ok(channel, is_pattern)
                or any(s.channel_ok(channel, is_pattern) for s in self.selectors))

    # ---- descriptions -------------------------------------------------------------
    def flags(self):
        out = ["on" if self.enabled else "off"]
        if self.nopass:
            out.append("nopass")
        if self.sanitize:
            out.append(self.sanitize)
        return out

    def describe(self):
        parts = ["user", self.name] + self.flags()
        parts.extend("#" + h for h in self.passwords)
        parts.append(self.root.describe())
        parts.extend("(" + s.describe() + ")" for s in self.selectors)
        return " ".join(parts)


def _valid_hash(text):
    h = text[1:]
    if len(h) != 64 or not set(h) <= _HEX:
        raise AclRuleError(text, BAD_HASH)
    return h


class UnmatchedParenthesis(Exception):
    pass


def merge_selector_args(rules):
    """Join arguments of a selector written over several words: "(~x" "+get)" ->
    "(~x +get)".  Raises UnmatchedParenthesis (with the opening word)."""
    out = []
    pending = None
    for r in rules:
        r = bytes(r)
        if pending is not None:
            pending.append(r)
            if r[-1:] == b")":
                out.append(b" ".join(pending))
                pending = None
            continue
        if r[:1] == b"(" and r[-1:] != b")":
            pending = [r]
            continue
        out.append(r)
    if pending is not None:
        raise UnmatchedParenthesis(pending[0])
    return out
