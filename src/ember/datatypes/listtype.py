"""The list value (Redis type "list").

The implementation is ``datatypes.quicklist.QuickList`` (a deque subclass that tracks the
Redis 7.2 listpack/quicklist encoding and the listpack byte size incrementally); this module
is the name the command layer imports, so the storage can be swapped in one place.

    ListValue(values=(), cfg=server.config)   # cfg: list-max-listpack-size is read live
    lv.encoding(config) -> "listpack" | "quicklist";  lv.copy();  lv.type_name == "list"

Invariant: a list stored in the keyspace is never empty (commands/lists.py deletes it).
"""

from .quicklist import QuickList as ListValue, lp_entry_size

__all__ = ["ListValue", "lp_entry_size"]
