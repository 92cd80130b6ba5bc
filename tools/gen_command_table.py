#!/usr/bin/env python3
"""Build src/ember/commands/commands.json, ember's declarative command table.

Inputs
------
1. ``redis-commands.tsv`` (default /work/shared/reference/redis-commands.tsv): one row per
   Redis 7.4 command / container / subcommand with name, group, since, arity, flags, tier,
   doc flags, deprecation and explicit ACL categories.  It is the authority for *which*
   commands exist and for arity/flags (Redis 7.2+ values win over 7.0's).
2. A live ``redis-server`` 7.0.15 (started by this script on a free port, plus a second one
   in sentinel mode for the SENTINEL container): ``COMMAND INFO`` gives key positions,
   tips, key specs and subcommands; ``COMMAND DOCS`` gives since/group/complexity/doc flags/
   history and the argument tree.  Argument summaries and command summaries are dropped.
3. Hand-written data in this file (``EXTRA``/``PATCH``) for commands Redis 7.2/7.4 has but
   7.0 lacks, and for the few places where 7.2 changed metadata 7.0 reports.
4. Our own one-line summaries (tools/command_summaries.py).

Regenerate with::

    python tools/gen_command_table.py            # spawns its own redis-server(s)
    python tools/gen_command_table.py --port 6379 --sentinel-port 26379   # use running ones

The output is committed; the server only reads the JSON.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from command_summaries import SUMMARIES  # noqa: E402

DEFAULT_TSV = "/work/shared/reference/redis-commands.tsv"
OUT = os.path.join(ROOT, "src", "ember", "commands", "commands.json")

# Flags COMMAND INFO shows, in the order Redis prints them.  Other command flags
# (may_replicate, sentinel, only_sentinel, protected, touches_arbitrary_keys) are hidden.
VISIBLE_FLAGS = ["write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
                 "blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking",
                 "fast", "no_auth", "no_mandatory_keys", "no_async_loading", "no_multi",
                 "movablekeys", "allow_busy"]
# ACL categories in the order COMMAND INFO lists them.
ACL_ORDER = ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
             "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
             "blocking", "dangerous", "connection", "transaction", "scripting"]


# --------------------------------------------------------------------------------------
# A minimal RESP3 client that keeps the reply types apart.
# --------------------------------------------------------------------------------------
class RSet(list):
    pass


class RMap(list):
    pass


class RSimple(str):
    pass


class Conn:
    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port))
        self.f = self.sock.makefile("rb")
        self.call("HELLO", "3")

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t == b"+":
            return RSimple(rest.decode())
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self.f.read(n + 2)[:-2].decode()
        if t in (b"*", b"~"):
            n = int(rest)
            items = [self.read() for _ in range(n)]
            return RSet(items) if t == b"~" else items
        if t == b"%":
            return RMap([(self.read(), self.read()) for _ in range(int(rest))])
        if t == b"_":
            return None
        raise ValueError(line)

    def close(self):
        self.sock.close()


def plain(v):
    """RESP3 value -> JSON-friendly value (maps become dicts, sets lists)."""
    if isinstance(v, RMap):
        return {k: plain(x) for k, x in v}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, RSimple):
        return str(v)
    return v


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("redis-server exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start on port %d" % port)


def spawn_servers():
    exe = shutil.which("redis-server")
    if not exe:
        sys.exit("redis-server not found on PATH; pass --port/--sentinel-port")
    tmp = tempfile.mkdtemp(prefix="ember-gen-")
    port, sport = free_port(), free_port()
    main = subprocess.Popen([exe, "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", tmp], stdout=subprocess.DEVNULL)
    conf = os.path.join(tmp, "sentinel.conf")
    with open(conf, "w") as f:
        f.write("port %d\nsentinel monitor m 127.0.0.1 %d 2\n" % (sport, port))
    sent = subprocess.Popen([exe, conf, "--sentinel"], stdout=subprocess.DEVNULL, cwd=tmp)
    wait_port(port, main)
    wait_port(sport, sent)
    return port, sport, [main, sent], tmp


# --------------------------------------------------------------------------------------
# Oracle data
# --------------------------------------------------------------------------------------
def info_entry(raw):
    """One COMMAND INFO array -> dict (recursively for subcommands)."""
    name, arity, flags, fk, lk, step, acl, tips, specs, subs = raw
    return {
        "name": name, "arity": arity, "flags": list(flags), "first_key": fk,
        "last_key": lk, "step": step, "acl_categories": list(acl), "tips": plain(tips),
        "key_specs": plain(specs),
        "subcommands": [info_entry(s) for s in subs],
    }


def fetch(port, only=None):
    c = Conn(port)
    infos = c.call("COMMAND", "INFO", *(only or []))
    docs = c.call("COMMAND", "DOCS", *(only or []))
    c.close()
    info = {}
    for raw in infos:
        e = info_entry(raw)
        info[e["name"]] = e
        for s in e["subcommands"]:
            info[s["name"]] = s
    doc = {}
    for name, d in docs:
        d = plain(d)
        doc[name] = d
        for sname, sd in (d.get("subcommands") or {}).items():
            doc[sname] = sd
    return info, doc


# --------------------------------------------------------------------------------------
# TSV
# --------------------------------------------------------------------------------------
def read_tsv(path):
    rows = {}
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            if not line.strip():
                continue
            r = dict(zip(header, line.rstrip("\n").split("\t")))
            name = r["command"].lower().replace(" ", "|")
            r["key"] = name
            r["flags_list"] = [x for x in r["flags"].split(",") if x]
            r["acl_list"] = [x for x in r["acl_categories"].split(",") if x]
            rows[name] = r
    return rows


def visible_flags(all_flags, movable):
    fl = set(all_flags)
    if movable:
        fl.add("movablekeys")
    return [f for f in VISIBLE_FLAGS if f in fl]


def acl_categories(all_flags, explicit):
    cats = set(explicit)
    fl = set(all_flags)
    if "write" in fl:
        cats.add("write")
    if "readonly" in fl and "scripting" not in cats:
        cats.add("read")
    if "admin" in fl:
        cats.update(("admin", "dangerous"))
    if "pubsub" in fl:
        cats.add("pubsub")
    if "fast" in fl:
        cats.add("fast")
    if "blocking" in fl:
        cats.add("blocking")
    if "fast" not in cats:
        cats.add("slow")
    return ["@" + c for c in ACL_ORDER if c in cats]


def is_movable(key_specs):
    for ks in key_specs:
        if ks["begin_search"]["type"] != "index" or ks["find_keys"]["type"] != "range":
            return True
    return False


# --------------------------------------------------------------------------------------
# Hand-written data: key-spec / argument shorthands
# --------------------------------------------------------------------------------------
def ks(flags, index=None, keyword=None, startfrom=None, lastkey=0, keystep=1, limit=0,
       keynum=None, notes=None):
    spec = {}
    if notes:
        spec["notes"] = notes
    spec["flags"] = flags
    if keyword is not None:
        spec["begin_search"] = {"type": "keyword",
                                "spec": {"keyword": keyword, "startfrom": startfrom}}
    else:
        spec["begin_search"] = {"type": "index", "spec": {"index": index}}
    if keynum is not None:
        keynumidx, firstkey = keynum
        spec["find_keys"] = {"type": "keynum", "spec": {"keynumidx": keynumidx,
                                                        "firstkey": firstkey,
                                                        "keystep": keystep}}
    else:
        spec["find_keys"] = {"type": "range", "spec": {"lastkey": lastkey,
                                                       "keystep": keystep, "limit": limit}}
    return spec


def arg(name, type_, token=None, flags=None, since=None, key_spec_index=None,
        arguments=None, display_text=None, deprecated_since=None):
    """An argument map in the key order COMMAND DOCS uses."""
    a = {"name": name, "type": type_}
    if display_text is not None:
        a["display_text"] = display_text
    if key_spec_index is not None:
        a["key_spec_index"] = key_spec_index
    if token is not None:
        a["token"] = token
    if since is not None:
        a["since"] = since
    if flags:
        a["flags"] = flags
    if deprecated_since is not None:
        a["deprecated_since"] = deprecated_since
    if arguments is not None:
        a["arguments"] = arguments
    return a


def _hfe_fields():
    return arg("fields", "block", token="FIELDS", arguments=[
        arg("numfields", "integer"),
        arg("field", "string", flags=["multiple"]),
    ])


def _hfe_set(name, unit_name, unit_type):
    return {
        "first_key": 1, "last_key": 1, "step": 1, "tips": [],
        "key_specs": [ks(["RW", "update"], index=1)],
        "docs": {"complexity": "O(N) where N is the number of specified fields",
                 "arguments": [
                     arg("key", "key", key_spec_index=0),
                     arg(unit_name, unit_type),
                     arg("condition", "oneof", flags=["optional"], arguments=[
                         arg("nx", "pure-token", token="NX"),
                         arg("xx", "pure-token", token="XX"),
                         arg("gt", "pure-token", token="GT"),
                         arg("lt", "pure-token", token="LT"),
                     ]),
                     _hfe_fields(),
                 ]},
    }


def _hfe_get(flags=("RO", "access")):
    return {
        "first_key": 1, "last_key": 1, "step": 1, "tips": [],
        "key_specs": [ks(list(flags), index=1)],
        "docs": {"complexity": "O(N) where N is the number of specified fields",
                 "arguments": [arg("key", "key", key_spec_index=0), _hfe_fields()]},
    }


# Commands/subcommands that 7.0.15 does not have.  Flags, arity, since, group, ACL come
# from the tsv; this holds what the tsv cannot express.
EXTRA = {
    "client|setinfo": {
        "first_key": 0, "last_key": 0, "step": 0, "tips": ["request_policy:all_nodes",
                                                           "response_policy:all_succeeded"],
        "key_specs": [],
        "docs": {"complexity": "O(1)", "arguments": [
            arg("attr", "oneof", arguments=[
                arg("libname", "string", token="lib-name"),
                arg("libver", "string", token="lib-ver"),
            ]),
        ]},
    },
    "client|no-touch": {
        "first_key": 0, "last_key": 0, "step": 0, "tips": [], "key_specs": [],
        "docs": {"complexity": "O(1)", "arguments": [
            arg("enabled", "oneof", arguments=[
                arg("on", "pure-token", token="ON"),
                arg("off", "pure-token", token="OFF"),
            ]),
        ]},
    },
    "cluster|myshardid": {
        "first_key": 0, "last_key": 0, "step": 0, "tips": ["nondeterministic_output"],
        "key_specs": [],
        "docs": {"complexity": "O(1)"},
    },
    "waitaof": {
        "first_key": 0, "last_key": 0, "step": 0, "tips": [],
        "key_specs": [],
        "docs": {"complexity": "O(1)", "arguments": [
            arg("numlocal", "integer"),
            arg("numreplicas", "integer"),
            arg("timeout", "integer"),
        ]},
    },
    "hexpire": _hfe_set("hexpire", "seconds", "integer"),
    "hpexpire": _hfe_set("hpexpire", "milliseconds", "integer"),
    "hexpireat": _hfe_set("hexpireat", "unix-time-seconds", "unix-time"),
    "hpexpireat": _hfe_set("hpexpireat", "unix-time-milliseconds", "unix-time"),
    "httl": _hfe_get(),
    "hpttl": _hfe_get(),
    "hexpiretime": _hfe_get(),
    "hpexpiretime": _hfe_get(),
    "hpersist": _hfe_get(("RW", "update")),
}

# Where 7.2 (or 7.4) changed what 7.0 reports.  Keys are merged into the entry's docs
# ("docs.*") or top level.  History lines are our own short wording.
PATCH = {
    "client|kill": {
        "docs.history.append": [
            ["7.4.0", "Added the `MAXAGE` filter."],
        ],
        "docs.argument.filter.new-format.append": [
            arg("maxage", "integer", token="MAXAGE", since="7.4.0", flags=["optional"]),
        ],
    },
    "hscan": {
        "docs.history.append": [["7.4.0", "Added the `NOVALUES` option."]],
        "docs.arguments.append": [
            arg("novalues", "pure-token", token="NOVALUES", since="7.4.0",
                flags=["optional"]),
        ],
    },
    "quit": {
        "docs.replaced_by": "closing the connection",
    },
    "zrank": {
        "docs.history.append": [["7.2.0", "Added the optional `WITHSCORE` argument."]],
        "docs.arguments.append": [
            arg("withscore", "pure-token", token="WITHSCORE", flags=["optional"]),
        ],
    },
    "zrevrank": {
        "docs.history.append": [["7.2.0", "Added the optional `WITHSCORE` argument."]],
        "docs.arguments.append": [
            arg("withscore", "pure-token", token="WITHSCORE", flags=["optional"]),
        ],
    },
}


def apply_patch(entry, patch):
    docs = entry["docs"]
    for key, val in patch.items():
        if key == "docs.history.append":
            docs.setdefault("history", []).extend(val)
        elif key == "docs.arguments.append":
            docs.setdefault("arguments", []).extend(val)
        elif key.startswith("docs.argument."):
            path = key[len("docs.argument."):-len(".append")].split(".")
            args = docs["arguments"]
            for p in path:
                node = next(a for a in args if a["name"] == p)
                args = node["arguments"]
            args.extend(val)
        elif key.startswith("docs."):
            docs[key[5:]] = val
        else:
            entry[key] = val


# --------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------
DOC_ORDER = ["summary", "since", "group", "complexity", "doc_flags", "deprecated_since",
             "replaced_by", "history", "arguments"]
ARG_ORDER = ["name", "type", "display_text", "key_spec_index", "token", "since", "flags",
             "deprecated_since", "arguments"]


def clean_args(args):
    out = []
    for a in args:
        b = {k: a[k] for k in ARG_ORDER if k in a}
        if "arguments" in b:
            b["arguments"] = clean_args(b["arguments"])
        out.append(b)
    return out


def build_docs(row, odoc):
    d = {}
    d["summary"] = SUMMARIES[row["key"]]
    d["since"] = row["since"]
    d["group"] = row["group"]
    d["complexity"] = (odoc or {}).get("complexity")
    doc_flags = [row["doc_flags"]] if row["doc_flags"] else []
    d["doc_flags"] = doc_flags
    d["deprecated_since"] = row["deprecated_since"] or None
    d["replaced_by"] = (odoc or {}).get("replaced_by")
    d["history"] = list((odoc or {}).get("history") or [])
    d["arguments"] = clean_args((odoc or {}).get("arguments") or [])
    return d


def build_entry(row, rows, info, docs, problems):
    name = row["key"]
    oinfo = info.get(name)
    odoc = docs.get(name)
    extra = EXTRA.get(name)
    if oinfo is None and extra is None:
        problems.append("no oracle data and no hand-written entry for %s" % name)
        return None
    all_flags = row["flags_list"]
    if oinfo is not None:
        key_specs = oinfo["key_specs"]
        fk, lk, step, tips = oinfo["first_key"], oinfo["last_key"], oinfo["step"], oinfo["tips"]
        movable = "movablekeys" in oinfo["flags"]
    else:
        key_specs = extra["key_specs"]
        fk, lk, step, tips = extra["first_key"], extra["last_key"], extra["step"], extra["tips"]
        movable = is_movable(key_specs)
    entry = {
        "name": name,
        "arity": int(row["arity"]),
        "flags": visible_flags(all_flags, movable),
        "command_flags": all_flags,
        "first_key": fk, "last_key": lk, "step": step,
        "acl_categories": acl_categories(all_flags, row["acl_list"]),
        "tips": tips,
        "key_specs": key_specs,
        "tier": int(row["tier"]),
    }
    if extra is not None:
        d = build_docs(row, None)
        d.update(extra["docs"])
        d["arguments"] = clean_args(d.get("arguments") or [])
        entry["docs"] = {k: d.get(k) for k in DOC_ORDER}
        if not entry["docs"]["history"]:
            entry["docs"]["history"] = []
    else:
        entry["docs"] = build_docs(row, odoc)
    if name in PATCH:
        apply_patch(entry, PATCH[name])
    subs = sorted(k for k, r in rows.items() if r["container"] and
                  r["container"].lower() == name)
    entry["subcommands"] = [e for e in (build_entry(rows[s], rows, info, docs, problems)
                                        for s in subs) if e is not None]
    # Cross-check against the oracle and report what the tsv changed.
    if oinfo is not None:
        for field in ("arity", "flags", "acl_categories"):
            if oinfo[field] != entry[field]:
                problems.append("note: %s %s 7.0=%r tsv=%r" % (name, field, oinfo[field],
                                                               entry[field]))
        osubs = {s["name"] for s in oinfo["subcommands"]}
        for s in osubs - {e["name"] for e in entry["subcommands"]}:
            problems.append("note: %s not in tsv" % s)
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tsv", default=DEFAULT_TSV)
    ap.add_argument("--port", type=int, help="a running redis-server 7.0 to query")
    ap.add_argument("--sentinel-port", type=int, help="a running redis sentinel to query")
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--quiet", action="store_true")
    opts = ap.parse_args()

    procs, tmp = [], None
    port, sport = opts.port, opts.sentinel_port
    if port is None or sport is None:
        port, sport, procs, tmp = spawn_servers()
    try:
        info, docs = fetch(port)
        sinfo, sdocs = fetch(sport, ["sentinel"])
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    # SENTINEL exists only in sentinel mode.
    for k, v in sinfo.items():
        if k == "sentinel" or k.startswith("sentinel|"):
            info[k] = v
    for k, v in sdocs.items():
        if k == "sentinel" or k.startswith("sentinel|"):
            docs[k] = v

    rows = read_tsv(opts.tsv)
    missing = [k for k in rows if k not in SUMMARIES]
    if missing:
        sys.exit("no summary for: %s" % ", ".join(missing))
    problems = []
    top = sorted(k for k, r in rows.items() if r["kind"] != "subcommand")
    table = [e for e in (build_entry(rows[k], rows, info, docs, problems) for k in top) if e]
    for k in info:
        if k not in rows:
            problems.append("note: oracle command %s not in tsv (dropped)" % k)
    if not opts.quiet:
        for p in problems:
            print(p, file=sys.stderr)
    if any(not p.startswith("note:") for p in problems):
        sys.exit(1)
    with open(opts.out, "w") as f:
        json.dump(table, f, indent=1, ensure_ascii=False)
        f.write("\n")
    n = sum(1 + len(e["subcommands"]) for e in table)
    print("wrote %s: %d top-level, %d entries" % (opts.out, len(table), n))


if __name__ == "__main__":
    main()
