"""HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST.

Values are plain strings in Redis' HLL layout (datatypes.hll); every command that touches
one unshares it into a ``bytearray`` (as Redis' dbUnshareStringValue) and edits in place.
PFCOUNT writes the cached cardinality into the header, which is a (propagated) write.
"""

from .. import errors
from ..datatypes import hll
from ..keyspace import notify as N
from ..protocol.replies import ReplyError
from .registry import command

INVALID_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPTED = "INVALIDOBJ Corrupted HLL object detected"


def _get_hll(c, key):
    """The value at ``key`` unshared as a bytearray, None if missing; errors otherwise."""
    db = c.db
    v = db.get_string(key)
    if v is None:
        return None
    if not hll.is_valid(v):
        raise ReplyError(INVALID_HLL)
    if type(v) is bytes:
        v = bytearray(v)
        db.data[key] = v
    return v


@command("pfadd")
def pfadd(c, argv):
    """PFADD key [element [element ...]]"""
    key = argv[1]
    db = c.db
    v = _get_hll(c, key)
    updated = 0
    if v is None:
        v = hll.new_sparse()
        db.set(key, v)
        updated += 1
    maxb = c.server.config.hll_sparse_max_bytes
    try:
        updated += hll.add_all(v, argv[2:], maxb)
    except hll.HLLError:
        raise ReplyError(CORRUPTED) from None
    if updated:
        hll.invalidate_cache(v)
        db.modified(key)
        c.server.notify(N.STRING, b"pfadd", key, db)
        c.server.dirty += updated
        return 1
    return 0


@command("pfcount")
def pfcount(c, argv):
    """PFCOUNT key [key ...]"""
    if len(argv) > 2:
        raw = bytearray(hll.REGISTERS)
        for key in argv[1:]:
            v = c.db.get_string(key)
            if v is None:
                continue
            if not hll.is_valid(v):
                raise ReplyError(INVALID_HLL)
            try:
                hll.merge_into(raw, v)
            except hll.HLLError:
                raise ReplyError(CORRUPTED) from None
        return hll.count_histogram(hll.histogram_of_bytes([bytes(raw)]))
    key = argv[1]
    v = _get_hll(c, key)
    if v is None:
        return 0
    if hll.cache_valid(v):
        return hll.cached(v)
    try:
        card = hll.count(v)
    except hll.HLLError:
        raise ReplyError(CORRUPTED) from None
    hll.set_cache(v, card)
    c.db.modified(key)
    c.server.dirty += 1
    return card


@command("pfmerge")
def pfmerge(c, argv):
    """PFMERGE destkey [sourcekey [sourcekey ...]]"""
    db = c.db
    raw = bytearray(hll.REGISTERS)
    use_dense = False
    for key in argv[1:]:
        v = db.get_string(key)
        if v is None:
            continue
        if not hll.is_valid(v):
            raise ReplyError(INVALID_HLL)
        if v[4] == hll.DENSE:
            use_dense = True
        try:
            hll.merge_into(raw, v)
        except hll.HLLError:
            raise ReplyError(CORRUPTED) from None
    dest = argv[1]
    v = _get_hll(c, dest)
    if v is None:
        v = hll.new_sparse()
        db.set(dest, v)
    try:
        if use_dense and v[4] == hll.SPARSE:
            hll.sparse_to_dense(v)
        maxb = c.server.config.hll_sparse_max_bytes
        for j, r in enumerate(raw):
            if not r:
                continue
            if v[4] == hll.DENSE:
                hll.dense_add_reg(v, j, r)
            else:
                hll.sparse_set(v, j, r, maxb)
    except hll.HLLError:
        raise ReplyError(CORRUPTED) from None
    hll.invalidate_cache(v)
    db.modified(dest)
    c.server.notify(N.STRING, b"pfadd", dest, db)
    c.server.dirty += 1
    return "OK"


@command("pfdebug")
def pfdebug(c, argv):
    """PFDEBUG subcommand key"""
    sub = argv[1].lower()
    key = argv[2]
    if c.db.lookup(key) is None:
        raise ReplyError("ERR The specified key does not exist")
    v = _get_hll(c, key)
    name = argv[1].decode("utf-8", "replace")
    if sub not in (b"getreg", b"decode", b"encoding", b"todense"):
        raise ReplyError("ERR Unknown PFDEBUG subcommand '%s'" % name)
    if len(argv) != 3:
        raise ReplyError("ERR Wrong number of arguments for the '%s' subcommand" % name)
    if sub in (b"getreg", b"todense"):
        conv = 0
        if v[4] == hll.SPARSE:
            try:
                hll.sparse_to_dense(v)
            except hll.HLLError:
                raise ReplyError(CORRUPTED) from None
            conv = 1
            c.db.modified(key)
            c.server.dirty += 1
        if sub == b"todense":
            return conv
        return list(hll.dense_to_raw(v))
    if sub == b"decode":
        if v[4] != hll.SPARSE:
            raise ReplyError("ERR HLL encoding is not sparse")
        return hll.decode_sparse(v)
    return "dense" if v[4] == hll.DENSE else "sparse"


@command("pfselftest")
def pfselftest(c, argv):
    """PFSELFTEST -- a quick consistency check of the register codecs and the estimator."""
    import random
    rng = random.Random(1)
    dense = bytearray(hll.DENSE_SIZE)
    dense[:5] = hll.MAGIC + bytes([hll.DENSE])
    ref = [0] * hll.REGISTERS
    for _ in range(2000):
        i = rng.randrange(hll.REGISTERS)
        val = rng.randrange(64)
        hll.dense_set(dense, i, val)
        ref[i] = val
    if list(hll.dense_to_raw(dense)) != ref:
        raise ReplyError("ERR TESTFAILED Register error")
    sparse = hll.new_sparse()
    den = bytearray(dense)
    for i in range(hll.REGISTERS):
        hll.dense_set(den, i, 0)
    for n in range(1, 1500):
        ele = b"%d" % n
        hll.add(sparse, ele, 3000)
        hll.add(den, ele, 3000)
    if hll.count(sparse) != hll.count(den):
        raise ReplyError("ERR TESTFAILED sparse and dense estimates differ")
    return "OK"


_ = errors
