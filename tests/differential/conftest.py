"""Fixtures of the differential tests; the harness itself lives in diff_harness.py (import
helpers from there, not from ``conftest``, whose module name is shared by several files)."""

from diff_harness import diff_conns, differ  # noqa: F401  (fixtures)
