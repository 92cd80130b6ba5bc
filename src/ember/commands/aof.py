"""BGREWRITEAOF: the handler only; the work is in ``persistence/aof.py``."""

from ..protocol.replies import ReplyError  # noqa: F401  (raised by the subsystem)
from .registry import command


def _aof(server):
    aof = server.subsystems.get("aof")
    if aof is None:
        from ..persistence import aof as aof_mod
        aof = aof_mod.install(server)
    return aof


@command("bgrewriteaof")
def bgrewriteaof(c, argv):
    """BGREWRITEAOF"""
    return _aof(c.server).rewrite_command()
