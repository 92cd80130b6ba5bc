"""Reply value types that handlers return.

Handlers return *meaning*, the encoder (protocol.encoder) decides the wire form for RESP2 or
RESP3. The mapping of plain Python values is:

    bytes / bytearray / memoryview -> bulk string
    str                            -> simple string (status reply, e.g. "OK")
    int                            -> integer (never return a bool: use TRUE/FALSE)
    float                          -> double (RESP2: bulk string in Redis' %.17g style)
    None                           -> null bulk (RESP2 $-1, RESP3 _)
    list / tuple                   -> array
    ReplyError (exception instance)-> error reply

and the classes below cover the rest. Invariant: nothing here imports other ember modules.
"""


class ReplyError(Exception):
    """An error reply. ``message`` is the full text, starting with the error code
    (e.g. "ERR syntax error", "WRONGTYPE Operation against ...")."""

    __slots__ = ("message",)

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    @property
    def code(self):
        return self.message.split(" ", 1)[0]


class NullArray:
    """RESP2 *-1 (null multi-bulk); RESP3 _ ."""

    __slots__ = ()

    def __repr__(self):
        return "NULL_ARRAY"


NULL_ARRAY = NullArray()


class Map:
    """A map reply. RESP3: %N; RESP2: flat array k1 v1 k2 v2. ``items`` is a list of pairs."""

    __slots__ = ("items",)

    def __init__(self, items):
        if isinstance(items, dict):
            items = list(items.items())
        self.items = items

    def __repr__(self):
        return f"Map({self.items!r})"

    def __eq__(self, other):
        return isinstance(other, Map) and self.items == other.items


class SetReply:
    """A set reply. RESP3: ~N; RESP2: plain array."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)

    def __repr__(self):
        return f"SetReply({self.items!r})"

    def __eq__(self, other):
        return isinstance(other, SetReply) and self.items == other.items


class Push:
    """An out-of-band push (pub/sub message, invalidation). RESP3: >N; RESP2: array."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = list(items)

    def __repr__(self):
        return f"Push({self.items!r})"


class Verbatim:
    """Verbatim string. RESP3: =N\r\ntxt:...; RESP2: bulk string."""

    __slots__ = ("data", "fmt")

    def __init__(self, data, fmt=b"txt"):
        self.data = data if isinstance(data, bytes) else data.encode()
        self.fmt = fmt


class BigNumber:
    """RESP3 big number (bulk string in RESP2)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Bool:
    """RESP3 boolean (#t/#f); RESP2 integer 1/0."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = bool(value)


TRUE = Bool(True)
FALSE = Bool(False)


class Raw:
    """Pre-encoded bytes written as-is (used for cached constant replies)."""

    __slots__ = ("data",)

    def __init__(self, data):
        self.data = data


class NoReply:
    """The handler produced no reply (e.g. a blocked client, CLIENT REPLY OFF, SUBSCRIBE
    which writes its own pushes)."""

    __slots__ = ()


NO_REPLY = NoReply()
