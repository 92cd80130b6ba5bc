"""ArgReader: a cursor over a command's arguments, so handlers parse every option before they
touch any state (a syntax error never leaves half-applied state)."""

from .. import errors
from ..protocol.replies import ReplyError

_INT_MIN = -(1 << 63)
_INT_MAX = (1 << 63) - 1


def parse_int(b, err=errors.NOT_INTEGER) -> int:
    """Parse a signed 64-bit integer exactly as Redis' string2ll does (no spaces, no '+',
    no leading zeros except '0' itself)."""
    n = len(b)
    if 0 < n < 19 and b.isdigit() and (b[0] != 48 or n == 1):
        return int(b)  # the common case: a plain non-negative number that cannot overflow
    try:
        if not b or len(b) > 20:
            raise ValueError
        c = b[0]
        if c == 43 or c == 32 or b[-1] == 32 or b[-1] in (9, 10, 13) or c in (9, 10, 13):  # '+' or whitespace
            raise ValueError
        if (c == 48 and len(b) > 1) or (c == 45 and len(b) > 1 and b[1] == 48):
            raise ValueError
        v = int(b)
    except (ValueError, TypeError):
        raise ReplyError(err) from None
    if v < _INT_MIN or v > _INT_MAX:
        raise ReplyError(err)
    if b"_" in b:
        raise ReplyError(err)
    return v


def is_int_string(b) -> bool:
    try:
        parse_int(b)
        return True
    except ReplyError:
        return False


def parse_float(b, err=errors.NOT_FLOAT) -> float:
    """Parse a double as Redis' strtod-based getDoubleFromObject: no spaces, NaN rejected,
    'inf'/'-inf'/'+inf' accepted."""
    try:
        if not b or b[0] in (32, 9, 10, 13) or b[-1] in (32, 9, 10, 13) or b"_" in b:
            raise ValueError
        v = float(b)
    except (ValueError, TypeError):
        raise ReplyError(err) from None
    if v != v:
        raise ReplyError(err)
    low = b.lower()
    if low in (b"nan", b"-nan", b"+nan") or b"0x" in low:
        raise ReplyError(err)
    return v


class ArgReader:
    __slots__ = ("argv", "pos")

    def __init__(self, argv, pos=1):
        self.argv = argv
        self.pos = pos

    def has_more(self) -> bool:
        return self.pos < len(self.argv)

    def remaining(self) -> int:
        return len(self.argv) - self.pos

    def peek_upper(self):
        return self.argv[self.pos].upper() if self.pos < len(self.argv) else None

    def next(self) -> bytes:
        if self.pos >= len(self.argv):
            raise ReplyError(errors.SYNTAX)
        v = self.argv[self.pos]
        self.pos += 1
        return v

    def next_upper(self) -> bytes:
        return self.next().upper()

    def next_int(self, err=errors.NOT_INTEGER) -> int:
        return parse_int(self.next(), err)

    def next_float(self, err=errors.NOT_FLOAT) -> float:
        return parse_float(self.next(), err)

    def match(self, word: bytes) -> bool:
        """Consume the next argument if it equals ``word`` (case-insensitive)."""
        if self.pos < len(self.argv) and self.argv[self.pos].upper() == word:
            self.pos += 1
            return True
        return False

    def finish(self):
        if self.pos < len(self.argv):
            raise ReplyError(errors.SYNTAX)
