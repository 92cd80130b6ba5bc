"""How the server process uses CPython's cyclic garbage collector.

Every hash, list, set, sorted set and stream value is a Python container that the
collector tracks, and a collection of the oldest generation walks all of them while the
event loop waits: measured on these machines, 50-350 ms per collection while 800,000
hashes were being written, and it grows with the dataset.  Redis has no such pause.

The values, the keyspace, the connections and the command paths create no reference
cycles (tests/server/test_gc_policy.py runs a wide workload with the collector off and
checks that a collection then finds nothing), so almost everything that lives long is
reachable and freed by reference counting.  The policy, for the server process only
(``install``; embedded use leaves the host program's collector alone):

- objects that survive a collection of the middle generation are moved to the permanent
  generation (``gc.freeze``) as soon as that collection ends, so the oldest generation
  stays nearly empty and its collections stay short;
- the young generations still collect short-lived cycles (from libraries, exceptions);
- a cycle that only becomes garbage after it was frozen stays allocated until MEMORY
  PURGE, which runs a full collection on request (``full_collect``);
- before a fork (BGSAVE, AOF rewrite) only the young generations are collected: the
  frozen objects are the ones the child's collector must not touch, which is the point of
  freezing them there too.
"""

import gc

_installed = False


def _freeze_survivors(phase, info):
    if phase == "stop" and info["generation"] >= 1:
        gc.freeze()


def install():
    """Apply the policy to this process (the server's entry point calls it once)."""
    global _installed
    if _installed:
        return
    gc.collect()
    gc.freeze()
    gc.callbacks.append(_freeze_survivors)
    _installed = True


def uninstall():
    """Undo install (tests): the frozen objects go back to the oldest generation."""
    global _installed
    if not _installed:
        return
    try:
        gc.callbacks.remove(_freeze_survivors)
    except ValueError:
        pass
    gc.unfreeze()
    _installed = False


def installed():
    return _installed


def before_fork():
    """Called right before os.fork(): leave no tracked object in the generations the
    child's collector would walk (walking them writes to every object header, which
    copies the pages the parent shares with the child).  Returns whether after_fork must
    hand the objects back (only without the policy)."""
    if _installed:
        gc.collect(1)       # the young generations only; the old objects are frozen already
        gc.freeze()
        return False
    gc.collect()
    gc.freeze()
    return True


def after_fork(unfreeze):
    """In the parent after the fork (or after a failed fork), with before_fork's result."""
    if unfreeze:
        gc.unfreeze()


def full_collect():
    """A collection of everything, frozen objects included (MEMORY PURGE).  Returns the
    number of unreachable objects found.  The pause grows with the number of container
    values; it is only taken when asked for."""
    if not _installed:
        return gc.collect()
    gc.unfreeze()
    try:
        return gc.collect()
    finally:
        gc.freeze()
