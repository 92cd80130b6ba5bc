"""The command table: commands.json loaded into CommandSpec objects, plus the builders of
COMMAND INFO / COMMAND DOCS reply values and COMMAND GETKEYS(ANDFLAGS) key extraction.

    table = load_table()                 # {"get": CommandSpec, "client": CommandSpec, ...}
    spec = table["client"].subcommands[b"list"]
    command_info_reply(spec)             # one COMMAND INFO entry (a list)
    command_docs_reply(spec)             # (b"client|list", Map([...]))  for COMMAND DOCS
    extract_keys(spec, argv)             # [(pos, flags_tuple), ...] or None, never raises
    get_keys(spec, argv)                 # COMMAND GETKEYS semantics: positions, or ReplyError
    get_keys_and_flags(spec, argv)       # [(pos, flags_tuple), ...], or ReplyError
    getkeys_reply(table, argv, with_flags)   # full COMMAND GETKEYS* reply for argv[2:]

``argv`` is always the full command line as bytes, argv[0] being the command name (for a
subcommand argv[1] is the subcommand name).  The reply shapes follow Redis 7.0.15: flags,
ACL categories, tips, key specs and subcommands are sets in RESP3; maps are Map.
"""

import json
import os

from ..protocol.replies import Map, ReplyError, SetReply

_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "commands.json")

# Flag names COMMAND INFO may print (others exist in "flags" but stay hidden).
INFO_FLAGS = ("write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
              "blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking",
              "fast", "no_auth", "no_mandatory_keys", "no_async_loading", "no_multi",
              "movablekeys", "allow_busy")

# Key-spec flag names in the order Redis prints them.
KEY_FLAG_ORDER = ("RO", "RW", "OW", "RM", "access", "update", "insert", "delete",
                  "not_key", "incomplete", "variable_flags")

_BOOL_FLAGS = (
    # attribute      flag name
    ("is_write", "write"), ("is_readonly", "readonly"), ("denyoom", "denyoom"),
    ("admin", "admin"), ("pubsub", "pubsub"), ("noscript", "noscript"),
    ("blocking", "blocking"), ("loading", "loading"), ("stale", "stale"),
    ("skip_monitor", "skip_monitor"), ("skip_slowlog", "skip_slowlog"),
    ("asking", "asking"), ("fast", "fast"), ("no_auth", "no_auth"),
    ("may_replicate", "may_replicate"), ("no_mandatory_keys", "no_mandatory_keys"),
    ("no_async_loading", "no_async_loading"), ("no_multi", "no_multi"),
    ("movablekeys", "movablekeys"), ("allow_busy", "allow_busy"),
    ("sentinel", "sentinel"), ("only_sentinel", "only_sentinel"),
    ("protected", "protected"), ("touches_arbitrary_keys", "touches_arbitrary_keys"),
)


class CommandSpec:
    """Metadata of one command or subcommand (plus runtime stats the dispatcher keeps)."""

    __slots__ = (
        "name", "top_name", "container_name", "sub_name", "arity", "flags", "info_flags",
        "first_key", "last_key", "step", "acl_categories", "tips", "key_specs", "docs",
        "tier", "group", "subcommands", "parent", "handler", "batch", "implemented",
        "has_keys", "key_range_only",
        # precomputed flag booleans
        "is_write", "is_readonly", "denyoom", "admin", "pubsub", "noscript", "blocking",
        "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth",
        "may_replicate", "no_mandatory_keys", "no_async_loading", "no_multi",
        "movablekeys", "allow_busy", "sentinel", "only_sentinel", "protected",
        "touches_arbitrary_keys",
        # stats (INFO commandstats)
        "calls", "failed_calls", "rejected_calls", "usec_ns", "lat_hist",
        # cached replies
        "_info_reply", "_docs_reply",
    )

    def __init__(self, entry, parent=None):
        self.name = entry["name"]
        self.parent = parent
        if parent is None:
            self.top_name = self.name
            self.container_name = None
            self.sub_name = None
        else:
            self.top_name = parent.name
            self.container_name = parent.name
            self.sub_name = self.name.split("|", 1)[1]
        self.arity = entry["arity"]
        self.info_flags = tuple(entry["flags"])
        self.flags = frozenset(entry["flags"]) | frozenset(entry.get("command_flags", ()))
        self.first_key = entry["first_key"]
        self.last_key = entry["last_key"]
        self.step = entry["step"]
        self.acl_categories = tuple(entry["acl_categories"])
        self.tips = tuple(entry["tips"])
        self.key_specs = entry["key_specs"]
        self.docs = entry["docs"]
        self.tier = entry.get("tier", 3)
        self.group = self.docs.get("group") or ""
        self.handler = None
        self.batch = None
        self.implemented = False
        for attr, flag in _BOOL_FLAGS:
            setattr(self, attr, flag in self.flags)
        specs = self.key_specs
        self.has_keys = bool(specs) and not all("not_key" in ks["flags"] for ks in specs)
        self.key_range_only = all(ks["begin_search"]["type"] == "index"
                                  and ks["find_keys"]["type"] == "range" for ks in specs)
        self.calls = self.failed_calls = self.rejected_calls = self.usec_ns = 0
        self.lat_hist = {}      # latency-tracking histogram (server/latency.py)
        self._info_reply = None
        self._docs_reply = None
        self.subcommands = {}
        for sub in entry.get("subcommands", ()):
            s = CommandSpec(sub, self)
            self.subcommands[s.sub_name.encode()] = s

    @property
    def fullname(self):
        return self.name

    def __repr__(self):
        return "CommandSpec(%r)" % self.name


def load_entries(path=None):
    with open(path or _JSON, encoding="utf-8") as f:
        return json.load(f)


def load_table(path=None):
    """{lower-case top-level name: CommandSpec}."""
    table = {}
    for entry in load_entries(path):
        spec = CommandSpec(entry)
        table[spec.name] = spec
    return table


def iter_specs(table):
    """Every spec of the table: containers followed by their subcommands."""
    for spec in table.values():
        yield spec
        yield from spec.subcommands.values()


def lookup(table, argv):
    """Find the spec for a command line like Redis' lookupCommand (None if unknown)."""
    if not argv:
        return None
    name = argv[0]
    if isinstance(name, (bytes, bytearray, memoryview)):
        name = bytes(name).decode("utf-8", "replace")
    spec = table.get(name.lower())
    if spec is None or not spec.subcommands or len(argv) == 1:
        return spec
    return spec.subcommands.get(bytes(argv[1]).lower())


# --------------------------------------------------------------------------------------
# COMMAND INFO
# --------------------------------------------------------------------------------------
def _b(s):
    return s.encode() if isinstance(s, str) else s


def _key_spec_reply(ks):
    items = []
    if ks.get("notes"):
        items.append((b"notes", _b(ks["notes"])))
    items.append((b"flags", SetReply(list(ks["flags"]))))
    for part in ("begin_search", "find_keys"):
        p = ks[part]
        spec = Map([(_b(k), _b(v)) for k, v in p["spec"].items()])
        items.append((_b(part), Map([(b"type", _b(p["type"])), (b"spec", spec)])))
    return Map(items)


def command_info_reply(spec):
    """One COMMAND INFO entry: [name, arity, flags, first, last, step, acl, tips,
    key_specs, subcommands]."""
    r = spec._info_reply
    if r is None:
        r = spec._info_reply = [
            spec.name.encode(),
            spec.arity,
            SetReply(list(spec.info_flags)),
            spec.first_key,
            spec.last_key,
            spec.step,
            SetReply(list(spec.acl_categories)),
            SetReply([_b(t) for t in spec.tips]),
            SetReply([_key_spec_reply(ks) for ks in spec.key_specs]),
            # Redis 7.0 writes an empty set when there are none, an array otherwise.
            ([command_info_reply(s) for s in spec.subcommands.values()]
             if spec.subcommands else SetReply([])),
        ]
    return r


# --------------------------------------------------------------------------------------
# COMMAND DOCS
# --------------------------------------------------------------------------------------
_ARG_KEYS = ("name", "type", "display_text", "key_spec_index", "token", "since", "flags",
             "deprecated_since", "arguments")


def _arg_reply(a):
    items = []
    for k in _ARG_KEYS:
        if k not in a:
            continue
        v = a[k]
        if k == "flags":
            v = SetReply(list(v))
        elif k == "arguments":
            v = [_arg_reply(x) for x in v]
        else:
            v = _b(v)
        items.append((k.encode(), v))
    return Map(items)


def _docs_map(spec):
    d = spec.docs
    items = []
    for k in ("summary", "since", "group", "complexity"):
        if d.get(k):
            items.append((k.encode(), _b(d[k])))
    if d.get("doc_flags"):
        items.append((b"doc_flags", SetReply(list(d["doc_flags"]))))
    for k in ("deprecated_since", "replaced_by"):
        if d.get(k):
            items.append((k.encode(), _b(d[k])))
    if d.get("history"):
        items.append((b"history", SetReply([[_b(v), _b(t)] for v, t in d["history"]])))
    if d.get("arguments"):
        items.append((b"arguments", [_arg_reply(a) for a in d["arguments"]]))
    if spec.subcommands:
        items.append((b"subcommands", Map([command_docs_reply(s)
                                           for s in spec.subcommands.values()])))
    return Map(items)


def command_docs_reply(spec):
    """(name, Map) — one COMMAND DOCS pair, subcommands included."""
    r = spec._docs_reply
    if r is None:
        r = spec._docs_reply = (spec.name.encode(), _docs_map(spec))
    return r


# --------------------------------------------------------------------------------------
# Key extraction
# --------------------------------------------------------------------------------------
_RO_ACCESS = ("RO", "access")
_RW_ACCESS_UPDATE = ("RW", "access", "update")
_OW_UPDATE = ("OW", "update")
_RW_ACCESS_DELETE = ("RW", "access", "delete")


def _ieq(a, word):
    return bytes(a).lower() == word


def _to_int(b):
    """Parse like string2ll: strict decimal, None when invalid."""
    try:
        s = bytes(b)
        if not s or s != s.strip() or (len(s) > 1 and s[0:1] == b"0") or s[:1] == b"+":
            return None
        if s[:2] == b"-0":
            return None
        return int(s)
    except (ValueError, TypeError):
        return None


def _keys_from_specs(spec, argv):
    """Redis' getKeysUsingKeySpecs: list of (pos, flags), or None for an invalid spec."""
    argc = len(argv)
    out = []
    for ks in spec.key_specs:
        flags = ks["flags"]
        if "not_key" in flags:
            continue
        bs = ks["begin_search"]
        if bs["type"] == "index":
            first = bs["spec"]["index"]
        elif bs["type"] == "keyword":
            kw = bs["spec"]["keyword"].lower().encode()
            startfrom = bs["spec"]["startfrom"]
            start = startfrom if startfrom > 0 else argc + startfrom
            end = argc - 1 if startfrom > 0 else 1
            first = 0
            i = start
            while i != end:
                if i >= argc or i < 1:
                    break
                if _ieq(argv[i], kw):
                    first = i + 1
                    break
                i = i + 1 if start <= end else i - 1
            if not first:
                continue
        else:
            return None
        fk = ks["find_keys"]
        fs = fk["spec"]
        if fk["type"] == "range":
            step = fs["keystep"]
            lastkey = fs["lastkey"]
            if lastkey >= 0:
                last = first + lastkey
            elif not fs["limit"]:
                last = argc + lastkey
            else:
                last = first + ((argc - first) // fs["limit"] + lastkey)
        elif fk["type"] == "keynum":
            step = fs["keystep"]
            idx = first + fs["keynumidx"]
            if idx >= argc:
                return None
            numkeys = _to_int(argv[idx])
            if numkeys is None or numkeys < 0:
                return None
            first += fs["firstkey"]
            last = first + numkeys - 1
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        fl = tuple(flags)
        for i in range(first, last + 1, step):
            out.append((i, fl))
        if "incomplete" in flags:
            return None
    return out


def _set_keys(argv):
    for a in argv[3:]:
        if _ieq(a, b"get"):
            return [(1, _RW_ACCESS_UPDATE)]
    return [(1, _OW_UPDATE)]


def _bitfield_keys(argv):
    readonly = True
    argc = len(argv)
    i = 2
    while i < argc:
        rem = argc - i - 1
        a = bytes(argv[i]).lower()
        if a == b"get" and rem >= 2:
            i += 2
        elif a in (b"set", b"incrby") and rem >= 3:
            readonly = False
            break
        elif a == b"overflow" and rem >= 1:
            i += 1
        else:
            readonly = False
            break
        i += 1
    return [(1, _RO_ACCESS if readonly else _RW_ACCESS_UPDATE)]


def _migrate_keys(argv):
    argc = len(argv)
    first, num = 3, 1
    if argc > 6:
        i = 6
        while i < argc:
            a = bytes(argv[i]).lower()
            if a == b"auth2":
                i += 2
            elif a == b"auth":
                i += 1
            elif a == b"keys":
                if len(argv[3]) > 0:
                    return []
                first = i + 1
                num = argc - first
                break
            i += 1
    return [(first + i, _RW_ACCESS_DELETE) for i in range(num)]


def _sort_keys(argv):
    out = [(1, _RO_ACCESS)]
    store = None
    skip = {b"limit": 2, b"get": 1, b"by": 1}
    argc = len(argv)
    i = 2
    while i < argc:
        a = bytes(argv[i]).lower()
        if a in skip:
            i += skip[a]
        elif a == b"store" and i + 1 < argc:
            store = i + 1
        i += 1
    if store is not None:
        out.append((store, _OW_UPDATE))
    return out


def _sort_ro_keys(argv):
    return [(1, _RO_ACCESS)]


# Native fallbacks used when key specs cannot answer (variable flags, incomplete or
# unknown specs).  Every other command yields no keys when its specs fail.
_FALLBACK = {
    "set": _set_keys,
    "bitfield": _bitfield_keys,
    "migrate": _migrate_keys,
    "sort": _sort_keys,
    "sort_ro": _sort_ro_keys,
}


def extract_keys(spec, argv):
    """Key positions and their key-spec flags: [(pos, flags_tuple), ...].

    Never raises; returns [] when the command line yields no keys.  The caller should have
    checked arity already (out-of-range positions are skipped)."""
    specs = spec.key_specs
    if not specs:
        return []
    variable = any("variable_flags" in ks["flags"] for ks in specs)
    if not variable:
        r = _keys_from_specs(spec, argv)
        if r is not None:
            return r
    fb = _FALLBACK.get(spec.name)
    if fb is None:
        return []
    return [(p, f) for p, f in fb(argv) if p < len(argv)]


def key_positions(spec, argv):
    """Just the positions of extract_keys."""
    return [p for p, _ in extract_keys(spec, argv)]


ERR_INVALID_COMMAND = "ERR Invalid command specified"
ERR_NO_KEYS = "ERR The command has no key arguments"
ERR_BAD_ARGC = "ERR Invalid number of arguments specified for command"
ERR_BAD_ARGS = "ERR Invalid arguments specified for command"


def _checked(spec, argv):
    if not spec.has_keys:
        raise ReplyError(ERR_NO_KEYS)
    n = len(argv)
    arity = spec.arity
    if (arity > 0 and arity != n) or n < -arity:
        raise ReplyError(ERR_BAD_ARGC)
    keys = extract_keys(spec, argv)
    if not keys and not spec.no_mandatory_keys:
        raise ReplyError(ERR_BAD_ARGS)
    return keys


def get_keys(spec, argv):
    """COMMAND GETKEYS semantics for ``argv`` (the inspected command line): key positions,
    or ReplyError with Redis' texts."""
    return [p for p, _ in _checked(spec, argv)]


def get_keys_and_flags(spec, argv):
    """COMMAND GETKEYSANDFLAGS semantics: [(pos, flags_tuple), ...] or ReplyError."""
    return _checked(spec, argv)


def getkeys_reply(table, argv, with_flags=False):
    """The whole reply of ``COMMAND GETKEYS|GETKEYSANDFLAGS <argv...>`` (argv = the
    inspected command line, i.e. the COMMAND arguments after the subcommand name).
    Returns a reply value or raises ReplyError."""
    spec = lookup(table, argv)
    if spec is None:
        raise ReplyError(ERR_INVALID_COMMAND)
    keys = _checked(spec, argv)
    if not with_flags:
        return [bytes(argv[p]) for p, _ in keys]
    return [[bytes(argv[p]), SetReply(list(f))] for p, f in keys]
