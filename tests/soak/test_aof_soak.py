"""AOF soak: 200 SIGKILLs with ``appendfsync always``; every acknowledged write survives.

Run with:  python3 -m pytest -q -m slow tests/soak/test_aof_soak.py
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "persistence"))
from test_aof_crash import kill_cycles  # noqa: E402


@pytest.mark.slow
def test_always_sigkill_200_times():
    for _ in kill_cycles(200, max_delay=0.6):
        pass
