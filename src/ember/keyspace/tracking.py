"""Client-side caching (CLIENT TRACKING): remember which clients read which keys and tell
them when those keys change.

Invariants:
- the table is keyed by key name only, like Redis' (a key read in db 0 is invalidated by a
  write to the same name in db 3);
- an entry is dropped once its invalidation is sent: a client must read the key again to
  be told about the next change;
- ``c.tracking`` is None for a client that does not track; a tracking client is never
  "plain" (dispatch routes it through ``call``, which brackets the command with
  ``enter``/``exit`` so NOLOOP and the after-the-reply ordering know who is running);
- the key hook is registered only while some client tracks, so the write path pays
  nothing otherwise;
- an invalidation aimed at the client whose command caused it is sent after that
  command's reply (as Redis 7 does).
"""

TRACKING_CHANNEL = b"__redis__:invalidate"


class ClientTracking:
    """Per-client tracking options (``c.tracking``)."""

    __slots__ = ("redirect", "bcast", "optin", "optout", "noloop", "caching", "prefixes",
                 "broken")

    def __init__(self):
        self.redirect = 0
        self.bcast = False
        self.optin = False
        self.optout = False
        self.noloop = False
        self.caching = False
        self.prefixes = []
        self.broken = False


def _bulk(b):
    return b"$%d\r\n%b\r\n" % (len(b), b)


class TrackingTable:
    def __init__(self, server, extract_keys):
        self.server = server
        self.extract_keys = extract_keys   # commands.table.extract_keys (injected: layering)
        self.keys = {}          # key -> {client_id: None}
        self.prefixes = {}      # bcast prefix -> {client: None}
        self.nclients = 0
        self.caller = None
        self.depth = 0
        self.deferred = []      # (client, frame bytes) for the running client
        self.hooked = False

    # ---- enabling -----------------------------------------------------------------------
    def enable(self, c, opts, redirect, prefixes):
        tr = c.tracking
        if tr is None:
            tr = ClientTracking()
            c.tracking = tr
            self.nclients += 1
            c.refresh_plain()
        tr.redirect = redirect
        tr.broken = False
        tr.bcast = "bcast" in opts
        tr.optin = "optin" in opts
        tr.optout = "optout" in opts
        tr.noloop = "noloop" in opts
        if tr.bcast:
            if not prefixes and not tr.prefixes:
                prefixes = [b""]
            for p in prefixes:
                if p not in tr.prefixes:
                    tr.prefixes.append(p)
                    self.prefixes.setdefault(p, {})[c] = None
        self._hook()

    def disable(self, c):
        tr = c.tracking
        if tr is None:
            return
        for p in tr.prefixes:
            subs = self.prefixes.get(p)
            if subs is not None:
                subs.pop(c, None)
                if not subs:
                    del self.prefixes[p]
        c.tracking = None
        c.refresh_plain()
        self.nclients -= 1
        if self.nclients <= 0:
            self.nclients = 0
            self.keys.clear()
            self._unhook()

    def _hook(self):
        if not self.hooked:
            self.server.key_hooks.append(self.on_modified)
            self.hooked = True

    def _unhook(self):
        if self.hooked:
            try:
                self.server.key_hooks.remove(self.on_modified)
            except ValueError:
                pass
            self.hooked = False

    # ---- around each command of a tracking client (called by dispatch.call) -----------------
    def enter(self, c):
        prev = self.caller
        self.caller = c
        self.depth += 1
        return prev

    def exit(self, c, spec, argv, prev):
        self.depth -= 1
        self.caller = prev
        tr = c.tracking
        if tr is not None:
            if not tr.bcast and "readonly" in spec.flags:
                if (tr.optin and tr.caching) or (tr.optout and not tr.caching) or \
                        not (tr.optin or tr.optout):
                    self.remember(c, spec, argv)
            if self.depth == 0 and c.multi is None and spec.name != "client|caching":
                tr.caching = False
        if self.depth == 0 and self.deferred:
            self._flush_deferred()

    def remember(self, c, spec, argv):
        try:
            keys = self.extract_keys(spec, argv)
        except Exception:
            return
        table = self.keys
        cid = c.id
        for k in keys:
            ids = table.get(k)
            if ids is None:
                table[k] = {cid: None}
            else:
                ids[cid] = None

    # ---- invalidation -----------------------------------------------------------------
    def on_modified(self, db, key):
        ids = self.keys.pop(key, None) if self.keys else None
        caller = self.caller
        if ids:
            clients = self.server.clients
            for cid in ids:
                t = clients.get(cid)
                if t is None:
                    continue
                tr = t.tracking
                if tr is None or tr.bcast or (tr.noloop and t is caller):
                    continue
                self.send(t, key)
        if self.prefixes:
            for p, subs in list(self.prefixes.items()):
                if key.startswith(p):
                    for t in list(subs):
                        if t.tracking is not None and t.tracking.noloop and t is caller:
                            continue
                        self.send(t, key)

    def on_flush(self, server, db):
        """FLUSHDB / FLUSHALL: every tracking client is told to drop everything (nil)."""
        for t in list(server.clients.values()):
            if t.tracking is not None:
                self.send(t, None)
        if db is None:
            self.keys.clear()

    def send(self, c, key):
        """Send one invalidation about ``key`` (None: everything) to ``c`` or its redirect."""
        tr = c.tracking
        target = c
        redirected = False
        if tr is not None and tr.redirect:
            target = self.server.clients.get(tr.redirect)
            if target is None:
                tr.broken = True
                if c.resp3:
                    self._emit(c, b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % tr.redirect)
                return
            redirected = True
        payload = b"*1\r\n" + _bulk(key) if key is not None else None
        if target.resp3:
            frame = b">2\r\n$10\r\ninvalidate\r\n" + (payload if payload is not None else b"_\r\n")
        elif redirected and target.in_pubsub_context():
            frame = (b"*3\r\n$7\r\nmessage\r\n" + _bulk(TRACKING_CHANNEL)
                     + (payload if payload is not None else b"*-1\r\n"))
        else:
            return
        self._emit(target, frame)

    def _emit(self, target, frame):
        if target is self.caller:
            self.deferred.append((target, frame))
        elif not target.closing:
            target.send(frame)

    def _flush_deferred(self):
        pending, self.deferred = self.deferred, []
        loop = getattr(getattr(self.server, "network", None), "loop", None)
        for target, frame in pending:
            if target.closing:
                continue
            if target.pending_buf is not None and loop is not None:
                # The target is still building its reply batch: write after it.
                loop.call_soon(_late_send, target, frame)
            else:
                target.send(frame)

    def info(self, server, section, fields):
        if section == "stats":
            fields["tracking_total_keys"] = len(self.keys)
            fields["tracking_total_items"] = sum(len(v) for v in self.keys.values())
            fields["tracking_total_prefixes"] = len(self.prefixes)


def _late_send(target, frame):
    if not target.closing:
        target.send(frame)
