import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from helpers import ServerProcess, have_redis  # noqa: E402


@pytest.fixture
def ember():
    """An embedded ember client on a fresh server (fast unit tests)."""
    from ember.embedded import Ember
    return Ember().client()


@pytest.fixture
def ember_server():
    """A real ember server process on a free port; yields the ServerProcess."""
    with ServerProcess("ember") as s:
        yield s


@pytest.fixture(scope="session")
def redis_oracle():
    """A real redis-server (Debian's) on a free port, shared by the session."""
    if not have_redis():
        pytest.skip("redis-server not installed")
    with ServerProcess("redis") as s:
        yield s


@pytest.fixture(scope="session")
def ember_shared():
    """An ember server process shared by the whole session (differential tests)."""
    with ServerProcess("ember") as s:
        yield s
