"""Command coverage report: which entries of the command table have a handler.

    python -m ember.commands.coverage            # Markdown table per group + missing list
    python -m ember.commands.coverage --tier 1   # only entries of tier <= 1

A table entry is *implemented* when ``registry.HANDLERS`` (after ``load_all()``) binds its
name; a container (CLIENT, CONFIG...) counts as implemented when it has its own handler or
any of its subcommands has one.  The table (commands.json) is the source of names, groups
and tiers, so this report and COMMAND INFO can never disagree about what exists.
"""

import sys
from collections import OrderedDict

from . import registry
from .table import load_table


def display_name(spec) -> str:
    """Redis' way of naming an entry: "GET", "CLIENT LIST"."""
    return spec.name.replace("|", " ").upper()


def entries(table=None, handlers=None):
    """[(display name, group, tier, implemented)] for every command and subcommand."""
    table = table if table is not None else load_table()
    handlers = handlers if handlers is not None else registry.load_all()
    out = []
    for name in sorted(table):
        spec = table[name]
        subs = [spec.subcommands[k] for k in sorted(spec.subcommands)]
        sub_rows = [(display_name(s), s.group or spec.group, s.tier, s.name in handlers) for s in subs]
        done = spec.name in handlers or any(r[3] for r in sub_rows)
        out.append((display_name(spec), spec.group, spec.tier, done))
        out.extend(sub_rows)
    return out


def missing(table=None, handlers=None, max_tier=None):
    return [e for e in entries(table, handlers) if not e[3] and (max_tier is None or e[2] <= max_tier)]


def summary(rows):
    """OrderedDict group -> (implemented, total, [missing names])."""
    groups = OrderedDict()
    for name, group, tier, done in sorted(rows, key=lambda r: (r[1], r[0])):
        g = groups.setdefault(group or "(none)", [0, 0, []])
        g[1] += 1
        if done:
            g[0] += 1
        else:
            g[2].append(name)
    return groups


def markdown(rows) -> str:
    groups = summary(rows)
    lines = ["| group | implemented | missing | total | coverage |",
             "|---|---:|---:|---:|---:|"]
    tot_done = tot = 0
    for group, (done, total, _) in groups.items():
        lines.append("| %s | %d | %d | %d | %d%% |" % (group, done, total - done, total, 100 * done // total))
        tot_done += done
        tot += total
    if tot:
        lines.append("| **all** | **%d** | **%d** | **%d** | **%d%%** |"
                     % (tot_done, tot - tot_done, tot, 100 * tot_done // tot))
    lines.append("")
    missing_rows = [r for r in rows if not r[3]]
    if missing_rows:
        lines.append("### Missing (tier)")
        lines.append("")
        lines.append("| group | commands |")
        lines.append("|---|---|")
        for group, (_, _, names) in groups.items():
            if names:
                tiers = {r[0]: r[2] for r in missing_rows}
                lines.append("| %s | %s |" % (group, ", ".join("%s (%s)" % (n, tiers[n]) for n in names)))
    else:
        lines.append("Every table entry has a handler.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    max_tier = None
    if argv[:1] == ["--tier"] and len(argv) > 1:
        max_tier = int(argv[1])
    elif argv:
        sys.stderr.write("usage: python -m ember.commands.coverage [--tier N]\n")
        return 2
    rows = entries()
    if max_tier is not None:
        rows = [r for r in rows if r[2] <= max_tier]
    sys.stdout.write("# ember command coverage%s\n\n" % (" (tier <= %d)" % max_tier if max_tier is not None else ""))
    sys.stdout.write(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
