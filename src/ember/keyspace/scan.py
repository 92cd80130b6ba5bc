"""SCAN cursors over a changing dict.

Redis scans its hash table bucket by bucket with a reverse-binary cursor.  A Python dict
offers no buckets, so a scan takes a snapshot of the key list when it starts (cursor 0) and
the cursor encodes (snapshot id, position).  Every key present for the whole scan is in the
snapshot, so it is returned; keys deleted meanwhile are skipped when their turn comes; keys
added meanwhile may or may not be returned (as Redis allows).  A snapshot is a list of
references (8 bytes a key), made once per scan; the newest ``MAX_SNAPSHOTS`` are kept, and
one whose scan finished is dropped at once.  A cursor whose snapshot is gone (very old or from
before a restart) restarts at a fresh snapshot's position, which keeps SCAN terminating.
"""

import itertools

ID_BITS = 16
MAX_SNAPSHOTS = 64


class ScanSnapshots:
    __slots__ = ("snaps", "ids")

    def __init__(self):
        self.snaps = {}
        self.ids = itertools.count(1)

    def page(self, source, cursor: int, count: int):
        """Return (next_cursor, keys) for ``count`` positions of ``source`` (an iterable of
        keys, snapshotted on first use)."""
        sid = cursor & ((1 << ID_BITS) - 1)
        pos = cursor >> ID_BITS
        snap = self.snaps.get(sid) if cursor else None
        if snap is None:
            snap = list(source)
            sid = next(self.ids) % ((1 << ID_BITS) - 1) + 1
            self.snaps[sid] = snap
            while len(self.snaps) > MAX_SNAPSHOTS:
                del self.snaps[next(iter(self.snaps))]
            if cursor == 0:
                pos = 0
        end = pos + count
        keys = snap[pos:end]
        if end >= len(snap):
            self.snaps.pop(sid, None)
            return 0, keys
        return (end << ID_BITS) | sid, keys
