"""ember-check-rdb: validate an RDB file and report where it is corrupt."""
from __future__ import annotations

import sys

from .rdb import Aux, Function, KeyEntry, RdbError, SelectDb, load_rdb


def check_rdb(path, out=None) -> int:
    out = out or sys.stdout
    keys = 0
    dbs = set()
    aux = 0
    funcs = 0
    expires = 0
    last_key = None
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        print(f"[ember-check-rdb] cannot open {path}: {e}", file=out)
        return 1
    if len(data) >= 9 and data[:5] == b"REDIS":
        print(f"[ember-check-rdb] RDB version {data[5:9].decode('ascii', 'replace')}", file=out)
    try:
        for ev in load_rdb(data):
            if isinstance(ev, KeyEntry):
                keys += 1
                dbs.add(ev.db)
                last_key = ev.key
                if ev.expire_ms is not None:
                    expires += 1
            elif isinstance(ev, Aux):
                aux += 1
                print(f"[ember-check-rdb] AUX {ev.key.decode('utf-8', 'replace')} = "
                      f"{ev.value.decode('utf-8', 'replace')!r}", file=out)
            elif isinstance(ev, Function):
                funcs += 1
            elif isinstance(ev, SelectDb):
                dbs.add(ev.db)
    except RdbError as e:
        print(f"[ember-check-rdb] --- RDB ERROR DETECTED ---", file=out)
        print(f"[ember-check-rdb] offset: {e.offset}", file=out)
        print(f"[ember-check-rdb] error: {e.message}", file=out)
        if e.key is not None:
            print(f"[ember-check-rdb] key being read: {e.key!r}", file=out)
        elif last_key is not None:
            print(f"[ember-check-rdb] last key read successfully: {last_key!r}", file=out)
        print(f"[ember-check-rdb] keys read before the error: {keys}", file=out)
        return 1
    print(f"[ember-check-rdb] {keys} keys ({expires} with expire) in {len(dbs)} db(s), "
          f"{aux} aux fields, {funcs} function libraries", file=out)
    print("[ember-check-rdb] \\o/ RDB looks OK! \\o/", file=out)
    return 0


def check_rdb_main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("Usage: ember-check-rdb <rdb-file-name>", file=sys.stderr)
        return 1 if argv is not None else sys.exit(1)
    rc = check_rdb(args[0])
    if argv is None:
        sys.exit(rc)
    return rc


if __name__ == "__main__":
    check_rdb_main()
