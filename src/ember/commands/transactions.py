"""MULTI / EXEC / DISCARD / WATCH / UNWATCH.

WATCH state: ``server.watched`` maps (db id, key) -> set of clients; a key hook marks those
clients dirty on any modification (from any client, expiry, eviction, FLUSH*, SWAPDB).
Each client keeps ``c.watched``: {(db id, key): existed_at_watch_time} so that a key that
logically expires after WATCH also fails the EXEC, as in Redis 7.
"""

from ..protocol.replies import NULL_ARRAY, ReplyError
from .registry import command


def install(server):
    if getattr(server, "watched", None) is not None:
        return
    server.watched = {}

    def on_modified(db, key):
        if server.watched:
            clients = server.watched.get((db.id, key))
            if clients:
                for cl in clients:
                    cl.watch_dirty = True

    server.watch_hook = on_modified   # in key_hooks only while some key is watched
    server.subsystems["unwatch_all"] = unwatch_all
    server.subsystems.setdefault("client_close", []).append(unwatch_all)


def touch_all_watched_in_db(server, db, other=None):
    """FLUSHDB/FLUSHALL/SWAPDB: dirty every client watching a key that exists in ``db``
    (or in ``other``, the database swapped in)."""
    watched = getattr(server, "watched", None)
    if not watched:
        return
    for (dbid, key), clients in watched.items():
        if dbid != db.id:
            continue
        if key in db.data or (other is not None and key in other.data):
            for cl in clients:
                cl.watch_dirty = True


def unwatch_all(c):
    if not c.watched:
        c.watched = None
        c.watch_dirty = False
        return
    watched = c.server.watched
    for k in c.watched:
        s = watched.get(k)
        if s is not None:
            s.discard(c)
            if not s:
                del watched[k]
    if not watched and c.server.watch_hook in c.server.key_hooks:
        c.server.key_hooks.remove(c.server.watch_hook)
    c.watched = None
    c.watch_dirty = False


@command("watch")
def watch(c, argv):
    """WATCH key [key ...]"""
    install(c.server)
    if c.multi is not None:
        raise ReplyError("ERR WATCH inside MULTI is not allowed")
    if c.watched is None:
        c.watched = {}
    db = c.db
    for key in argv[1:]:
        k = (db.id, key)
        if k in c.watched:
            continue
        c.watched[k] = key in db.data
        c.server.watched.setdefault(k, set()).add(c)
    if c.server.watch_hook not in c.server.key_hooks:
        c.server.key_hooks.append(c.server.watch_hook)
    return "OK"


@command("unwatch")
def unwatch(c, argv):
    """UNWATCH"""
    if c.watched:
        unwatch_all(c)
    c.watch_dirty = False
    return "OK"


@command("multi")
def multi(c, argv):
    """MULTI"""
    if c.multi is not None:
        raise ReplyError("ERR MULTI calls can not be nested")
    c.multi = []
    c.multi_error = False
    c.refresh_plain()
    return "OK"


@command("discard")
def discard(c, argv):
    """DISCARD"""
    if c.multi is None:
        raise ReplyError("ERR DISCARD without MULTI")
    c.multi = None
    c.multi_error = False
    unwatch_all(c)
    c.refresh_plain()
    return "OK"


def _watched_key_expired(c) -> bool:
    now = c.server.now_ms
    for (dbid, key), existed in c.watched.items():
        if not existed:
            continue
        db = c.server.dbs[dbid]
        when = db.expires.get(key) if db.expires else None
        if when is not None and when <= now:
            return True
    return False


@command("exec")
def exec_(c, argv):
    """EXEC"""
    from .dispatch import call
    if c.multi is None:
        raise ReplyError("ERR EXEC without MULTI")
    queued = c.multi
    c.multi = None
    server = c.server
    if c.multi_error:
        c.multi_error = False
        unwatch_all(c)
        c.refresh_plain()
        raise ReplyError("EXECABORT Transaction discarded because of previous errors.")
    if c.watched and (c.watch_dirty or _watched_key_expired(c)):
        unwatch_all(c)
        c.refresh_plain()
        return NULL_ARRAY
    unwatch_all(c)
    c.refresh_plain()
    # Commands that can no longer run (e.g. a write after the server became a read-only
    # replica) are refused one by one, as Redis does.
    replies = []
    c.in_exec = True
    server.in_exec = getattr(server, "in_exec", 0) + 1
    wrap = server.propagating and any(spec.is_write for spec, _ in queued)
    if wrap:
        server.propagate_raw(c.db.id, [b"MULTI"])
    try:
        for spec, qargv in queued:
            if spec.is_write and server.is_readonly_replica() and not c.master_link:
                replies.append(server.error_reply("READONLY You can't write against a read only replica."))
                continue
            if c.restricted:    # ACL rules may have changed since the command was queued
                denied = server.subsystems["acl_exec_check"](c, spec, qargv)
                if denied is not None:
                    replies.append(server.error_reply(denied))
                    continue
            replies.append(call(c, spec, qargv))
    finally:
        c.in_exec = False
        server.in_exec -= 1
    if wrap:
        server.propagate_raw(c.db.id, [b"EXEC"])
    return replies
