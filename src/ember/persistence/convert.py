"""Ember keyspace values <-> the neutral RDB value model of ``persistence.rdb``.

``to_model(value)`` gives ``(type_name, neutral_value)`` for the writer; ``from_model(type_name,
neutral, config)`` builds the ember value a loader or RESTORE stores.  ``encoding_options``
turns the live config into the thresholds the writer uses to choose compact encodings
(``*-max-listpack-entries/value``, ``set-max-intset-entries``, ``list-max-listpack-size``),
so a file written by ember has the encodings Redis would have written.

Registration point: a type module that lands later (streams, ...) calls
``register(type_name, cls, to_model, from_model)``; ``to_model(value)`` returns the neutral
value, ``from_model(neutral, config)`` the ember value.  Built-in types are registered below.

Hash field TTLs (Redis 7.4): a hash with some is modelled as an ``rdb.HashTTLValue`` (pairs +
absolute expiries), which the writer stores with the RDB 12 types; ``from_model`` gives the
fields their TTLs back (the loader drops the expired ones first, ``HashTTLValue.drop_expired``).

Invariants: loaded values are fresh objects owned by the caller; ``to_model`` never mutates
the value and its result is only valid until the value next changes (it may share data).
"""

from functools import partial
from operator import itemgetter

from ..datatypes.hashtype import Hash
from ..datatypes.quicklist import QuickList
from ..datatypes.zset import ZSet
from .rdb import EncodingOptions, HashTTLValue, SortedPairs

_first = itemgetter(0)
_second = itemgetter(1)

__all__ = ["to_model", "from_model", "register", "builders", "encoding_options", "UnknownType"]


class UnknownType(ValueError):
    pass


_TO = {}      # python class -> (type_name, to_model)
_FROM = {}    # type_name -> from_model


def register(type_name, cls, to_model, from_model):
    """Teach the RDB layer a value class.  Later registrations for a name win."""
    _TO[cls] = (type_name, to_model)
    _FROM[type_name] = from_model


def to_model(value):
    t = type(value)
    if t is bytes:
        return "string", value
    if t is bytearray:
        return "string", bytes(value)
    entry = _TO.get(t)
    if entry is None:
        for cls, e in _TO.items():
            if isinstance(value, cls):
                entry = e
                break
        else:
            raise UnknownType("no RDB converter for %s" % t.__name__)
    name, fn = entry
    return name, fn(value)


def from_model(type_name, value, config):
    if type_name == "string":
        return value
    fn = _FROM.get(type_name)
    if fn is None:
        raise UnknownType("type %s is not supported by ember yet" % type_name)
    return fn(value, config)


def builders(config) -> dict:
    """What ``rdb.load_rdb(build=...)`` wants: type name (the neutral names and the forms of
    ``rdb._read_value_fast``) -> function(value) making the stored ember value."""
    return {name: partial(fn, config=config) for name, fn in _FROM.items()}


def encoding_options(config) -> EncodingOptions:
    g = lambda name, default: getattr(config, name, default) if config is not None else default
    return EncodingOptions(
        list_max_listpack_size=g("list_max_listpack_size", -2),
        set_max_intset_entries=g("set_max_intset_entries", 512),
        set_max_listpack_entries=g("set_max_listpack_entries", 128),
        set_max_listpack_value=g("set_max_listpack_value", 64),
        hash_max_listpack_entries=g("hash_max_listpack_entries", 128),
        hash_max_listpack_value=g("hash_max_listpack_value", 64),
        zset_max_listpack_entries=g("zset_max_listpack_entries", 128),
        zset_max_listpack_value=g("zset_max_listpack_value", 64),
        stream_node_max_bytes=g("stream_node_max_bytes", 4096),
        stream_node_max_entries=g("stream_node_max_entries", 100),
        compress=bool(g("rdbcompression", True)),
    )


# ------------------------------------------------------------------ lists

def _list_to(q):
    return q          # a deque of bytes: the writer only iterates it


def _list_from(items, config):
    return QuickList(items, config)


register("list", QuickList, _list_to, _list_from)


def _list_from_lp(v, config):
    items, nbytes = v
    return QuickList.loaded(items, config, nbytes)


_FROM["list:lp"] = _list_from_lp      # rdb.load_rdb(build=...) forms (see _read_value_fast)


# ------------------------------------------------------------------ hashes

def _hash_to(h):
    ttl = h.ttl
    if ttl:
        return HashTTLValue(h.to_dict(), dict(ttl))
    return h          # its items() are the pairs


def _hash_from(d, config):
    if type(d) is HashTTLValue:
        h = Hash.from_dict(d.pairs, config)
        for f, when in d.ttls.items():
            if f in h:
                h.set_ttl(f, when)
        return h
    return Hash.from_dict(d if type(d) is dict else dict(d), config)


register("hash", Hash, _hash_to, _hash_from)
_FROM["hash:flat"] = Hash.from_flat     # (flat, config)


# ------------------------------------------------------------------ sorted sets

def _zset_to(z):
    idx = z.index     # (score, member) tuples in ascending order
    return SortedPairs(zip(map(_second, idx), map(_first, idx)))


def _zset_from(pairs, config):
    z = ZSet(pairs)
    z.maybe_shrink(config)
    return z


register("zset", ZSet, _zset_to, _zset_from)
_FROM["zset:flat"] = ZSet.from_flat     # (flat, config)


# ------------------------------------------------------------------ sets (module may be absent)

try:
    from ..datatypes import settype as _settype
except ImportError:  # pragma: no cover - the set module lands separately
    _settype = None

if _settype is not None:
    def _set_to(s):
        return s.items

    def _set_from(members, config):
        st = _settype
        items = list(dict.fromkeys(members))
        n = len(items)
        if config is None:
            enc = st.HASHTABLE
        elif n <= config.set_max_intset_entries and all(st.as_int(m) is not None for m in items):
            enc = st.INTSET
        elif n <= config.set_max_listpack_entries and (
                not n or max(map(len, items)) <= config.set_max_listpack_value):
            enc = st.LISTPACK
        else:
            enc = st.HASHTABLE
        s = st.Set(enc)
        s.items = items
        s.pos = dict(zip(items, range(n)))
        return s

    def _set_from_ints(ints, config):
        # an intset: distinct integers (unless corrupt: dict.fromkeys below keeps one of each)
        if config is None or len(ints) > config.set_max_intset_entries:
            return _set_from([b"%d" % i for i in ints], config)
        items = list(dict.fromkeys(map(b"%d".__mod__, ints)))
        s = _settype.Set(_settype.INTSET)
        s.items = items
        s.pos = dict(zip(items, range(len(items))))
        return s

    register("set", _settype.Set, _set_to, _set_from)
    _FROM["set:int"] = _set_from_ints


# ------------------------------------------------------------------ streams (module may be absent)

try:
    from ..datatypes import stream as _stream
    _StreamCls = _stream.Stream
    _StreamCls.to_model, _StreamCls.from_model   # the persistence-model API this relies on
except (ImportError, AttributeError):  # pragma: no cover - the stream module lands separately
    _StreamCls = None

if _StreamCls is not None:
    from .rdb import StreamConsumer, StreamGroup, StreamPending, StreamValue

    def _stream_to(s):
        return s.to_model(StreamValue, StreamGroup, StreamConsumer, StreamPending)

    def _stream_from(sv, config):
        # the configured node limits, as XADD would have built the nodes
        if config is None:
            return _StreamCls.from_model(sv, 100, 4096)
        return _StreamCls.from_model(sv, getattr(config, "stream_node_max_entries", 100),
                                     getattr(config, "stream_node_max_bytes", 4096))

    register("stream", _StreamCls, _stream_to, _stream_from)
