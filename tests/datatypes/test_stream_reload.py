"""A stream loaded from an RDB file gets its nodes from the configured limits
(stream-node-max-entries and -bytes), as XADD builds them."""

from ember.config import Config
from ember.embedded import Ember
from ember.persistence import snapshot


def _radix_keys(c, key):
    info = dict(c.execute("XINFO", "STREAM", key).items)
    return info.get(b"radix-tree-keys", info.get("radix-tree-keys"))


def test_reload_keeps_node_limits(tmp_path):
    cfg = Config()
    cfg.enable_debug_command = "yes"
    cfg.dir = str(tmp_path)
    e = Ember(config=cfg)
    snapshot.install(e.server)
    c = e.client()
    for max_bytes, max_entries in ((120, 100), (4096, 5), (0, 0)):
        c.execute("CONFIG", "SET", "stream-node-max-bytes", str(max_bytes))
        c.execute("CONFIG", "SET", "stream-node-max-entries", str(max_entries))
        c.execute("DEL", "s")
        for i in range(60):
            c.execute("XADD", "s", "%d-1" % (i + 1), "field", "value-%d" % i)
        before = _radix_keys(c, "s")
        assert c.execute("DEBUG", "RELOAD") == "OK"
        assert _radix_keys(c, "s") == before, (max_bytes, max_entries)
        assert c.execute("XLEN", "s") == 60
