"""The command table against the catalogue and the handlers.

* every row of the reference tsv is a table entry;
* every registered handler names a table entry (no handler binds to a typo);
* entries without a handler are listed (not a failure), except that the tier-1 string,
  generic, connection, transactions and server-basics rows -- the foundation -- must all be
  implemented.
"""

import csv
import os

import pytest

from ember.commands import coverage, registry
from ember.commands.table import iter_specs, load_table

TSV = "/work/shared/reference/redis-commands.tsv"
FOUNDATION_GROUPS = {"string", "generic", "connection", "transactions", "server"}


def _tsv_rows():
    if not os.path.exists(TSV):
        pytest.skip("reference tsv not available")
    with open(TSV, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@pytest.fixture(scope="module")
def table():
    return load_table()


@pytest.fixture(scope="module")
def handlers():
    return registry.load_all()


def _table_names(table):
    return {s.name for s in iter_specs(table)}


def test_every_tsv_row_is_in_the_table(table):
    names = _table_names(table)
    missing = [r["command"] for r in _tsv_rows()
               if r["command"].lower().replace(" ", "|") not in names]
    assert not missing, missing


def test_every_handler_names_a_table_entry(table, handlers):
    names = _table_names(table)
    stray = sorted(h for h in handlers if h not in names)
    assert not stray, stray


def test_unimplemented_entries_are_listed(table, handlers, capsys):
    rows = coverage.missing(table, handlers)
    # recorded, not a failure: printed with -s, and visible in the coverage report
    print("\n%d table entries without a handler:" % len(rows))
    for name, group, tier, _ in rows:
        print("  %-40s %-14s tier %s" % (name, group, tier))
    assert all(not done for *_, done in rows)


def test_foundation_tier1_rows_are_implemented(table, handlers):
    rows = [r for r in _tsv_rows() if r["tier"] == "1" and r["group"] in FOUNDATION_GROUPS]
    assert rows, "no tier-1 foundation rows in the tsv?"
    impl = {name: done for name, _, _, done in coverage.entries(table, handlers)}
    missing = [r["command"] for r in rows if not impl.get(r["command"].upper(), False)]
    assert not missing, missing


def test_coverage_report_renders(table, handlers, capsys):
    assert coverage.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# ember command coverage")
    assert "| string |" in out and "| **all** |" in out
    assert coverage.main(["--tier", "1"]) == 0
    assert coverage.main(["--bogus"]) == 2
