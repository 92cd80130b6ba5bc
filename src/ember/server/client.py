"""Per-connection state (Redis' ``client`` struct).  A Client is also the command context
handed to every handler: ``c.server``, ``c.db``, ``c.resp3``...

The network layer owns the transport; the client only knows a ``send(bytes)`` callable for
out-of-band writes (pub/sub pushes, unblocked replies), so embedded clients work the same.
"""

import itertools

_ids = itertools.count(1)

# CLIENT REPLY modes
REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT, REPLY_SKIP = 0, 1, 2, 3


class Client:
    __slots__ = (
        "id", "server", "db", "resp3", "name", "lib_name", "lib_ver", "authenticated", "user",
        "multi", "multi_error", "watched", "watch_dirty", "reply_mode", "blocked", "pending",
        "channels", "patterns", "shard_channels", "addr", "laddr", "fd", "ctime", "last_interaction",
        "last_cmd", "send", "close", "closing", "no_evict", "no_touch", "flags", "kind",
        "is_monitor", "tracking", "transport", "parser", "argv_bytes", "unix", "paused",
        "obuf_soft_since", "tot_net_in", "tot_net_out", "tot_cmds", "in_exec", "pending_buf",
        "master_link", "is_replica", "repl_state", "plain", "resume", "restricted",
    )

    def __init__(self, server, send=None, addr="", laddr="", fd=-1, kind="normal"):
        self.id = next(_ids)
        self.server = server
        self.db = server.dbs[0]
        self.resp3 = False
        self.name = None
        self.lib_name = None
        self.lib_ver = None
        self.authenticated = not server.requires_auth()
        self.user = "default"
        self.restricted = server.default_user_restricted  # ACL: user below +@all ~* &*
        self.multi = None            # list of queued (spec, argv) while in MULTI
        self.multi_error = False     # a queued command was rejected: EXEC aborts
        self.watched = None          # set of (db, key) while WATCHing
        self.watch_dirty = False
        self.reply_mode = REPLY_ON
        self.blocked = None          # a blocking.Blocked while blocked
        self.pending = None          # commands received while blocked
        self.channels = None
        self.patterns = None
        self.shard_channels = None
        self.addr = addr
        self.laddr = laddr
        self.fd = fd
        self.ctime = server.clock.time()
        self.last_interaction = self.ctime
        self.last_cmd = "NULL"
        self.send = send or (lambda data: None)
        self.close = lambda: None
        self.resume = lambda: None   # network: run commands queued while blocked/paused
        self.closing = False
        self.no_evict = False
        self.no_touch = False
        self.flags = ""
        self.kind = kind
        self.is_monitor = False
        self.tracking = None
        self.transport = None
        self.parser = None
        self.tot_net_in = 0
        self.tot_net_out = 0
        self.tot_cmds = 0
        self.in_exec = False
        self.pending_buf = None
        self.obuf_soft_since = None
        self.paused = False
        self.unix = False
        self.argv_bytes = 0
        self.master_link = False
        self.is_replica = False
        self.repl_state = None
        self.plain = False
        self.refresh_plain()

    def refresh_plain(self):
        """``plain``: nothing about this client needs dispatch's full gate (see dispatch)."""
        self.plain = (self.authenticated and not self.restricted and self.multi is None
                      and self.blocked is None
                      and self.tracking is None
                      and (self.resp3 or not (self.channels or self.patterns or self.shard_channels)))

    @property
    def db_index(self) -> int:
        return self.db.id

    def subscription_count(self) -> int:
        return (len(self.channels) if self.channels else 0) + (len(self.patterns) if self.patterns else 0)

    def in_pubsub_context(self) -> bool:
        return bool(self.channels or self.patterns or self.shard_channels)
