"""Crash-safe file writing shared by RDB saves, AOF base files and the AOF manifest.

``atomic_write(path, fill)`` calls ``fill(fp)`` on a temp file in the same directory, then
flushes, fsyncs, renames it over ``path`` and fsyncs the directory, so a crash at any moment
leaves either the old file or the complete new one.  On any error (or exception from
``fill``) the temp file is removed and the exception propagates.
"""

import os

__all__ = ["atomic_write", "fsync_dir"]


def fsync_dir(d):
    """fsync a directory (makes a rename durable); errors are ignored (not every file
    system supports it)."""
    try:
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def atomic_write(path, fill, tmp=None):
    """Write ``path`` through ``tmp`` (default: ``temp-<name>`` beside it) with ``fill(fp)``."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    if tmp is None:
        tmp = os.path.join(d, "temp-" + os.path.basename(path))
    try:
        with open(tmp, "wb") as fp:
            fill(fp)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(d)
