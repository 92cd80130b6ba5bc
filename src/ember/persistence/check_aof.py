"""ember-check-aof: validate an AOF (a single file, or every file named by a manifest) and
optionally truncate the last file at its last complete command.

    ember-check-aof [--fix] <file.manifest|file.aof|file.rdb>

Exit status 0 when valid (or fixed), 1 otherwise.
"""

import os
import sys

from .aof import AofError, Manifest, scan_valid


def _check_rdb_part(data, out):
    from .rdb import RdbError, load_rdb
    try:
        for _ in load_rdb(data):
            pass
        return len(data), None
    except RdbError as e:
        if e.message == "trailing data after EOF":
            return e.offset, None
        return 0, "RDB preamble is not valid: %s" % e


def check_file(path, fix=False, out=None, last=True) -> bool:
    out = out or sys.stdout
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        print("Cannot open %s: %s" % (path, e.strerror), file=out)
        return False
    pos = 0
    if data[:5] == b"REDIS":
        print("The AOF appears to start with an RDB preamble.\nChecking the RDB preamble...",
              file=out)
        pos, err = _check_rdb_part(data, out)
        if err:
            print(err, file=out)
            return False
        print("RDB preamble is OK, proceeding with AOF tail...", file=out)
    valid, problem = scan_valid(data, pos)
    size = len(data)
    print("AOF analyzed: filename=%s, size=%d, ok_up_to=%d, ok_up_to_line=%d, diff=%d"
          % (os.path.basename(path), size, valid, data[:valid].count(b"\n") + 1, size - valid),
          file=out)
    if problem is None:
        print("AOF %s is valid" % os.path.basename(path), file=out)
        return True
    if problem == "multi":
        print("Reached EOF before reading EXEC for MULTI", file=out)
    elif problem == "format":
        print("Bad file format at offset %d" % valid, file=out)
    if not fix:
        print("AOF %s is not valid. Use the --fix option to try fixing it." % os.path.basename(path),
              file=out)
        return False
    if not last:
        print("Only the last AOF file can be fixed", file=out)
        return False
    if problem == "format":
        print("This will shrink the AOF %s from %d bytes, with %d bytes, to %d bytes"
              % (os.path.basename(path), size, size - valid, valid), file=out)
    os.truncate(path, valid)
    print("Successfully truncated AOF %s" % os.path.basename(path), file=out)
    return True


def check(path, fix=False, out=None) -> bool:
    out = out or sys.stdout
    if path.endswith(".manifest"):
        try:
            with open(path, "rb") as f:
                m = Manifest.parse(f.read())
        except (OSError, AofError) as e:
            print("Invalid manifest %s: %s" % (path, e), file=out)
            return False
        d = os.path.dirname(os.path.abspath(path))
        print("Start checking Multi Part AOF", file=out)
        files = ([m.base[0]] if m.base else []) + [n for n, _ in m.incrs]
        ok = True
        for i, name in enumerate(files):
            kind = "BASE" if (m.base and i == 0) else "INCR"
            print("Start to check %s AOF (%s format)." % (kind, "RDB" if name.endswith(".rdb") else "AOF"),
                  file=out)
            if not check_file(os.path.join(d, name), fix, out, last=(i == len(files) - 1)):
                ok = False
                break
        if ok:
            print("All AOF files and manifest are valid", file=out)
        return ok
    return check_file(path, fix, out)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    fix = False
    if "--fix" in argv:
        fix = True
        argv.remove("--fix")
    if len(argv) != 1:
        print("Usage: ember-check-aof [--fix] <file.manifest|file.aof>", file=sys.stderr)
        return 1
    return 0 if check(argv[0], fix) else 1


if __name__ == "__main__":
    sys.exit(main())
