"""Error reply texts, as named constants with Redis' exact wording.

Invariant: this module imports nothing from ember except protocol.replies.ReplyError.
Texts that take arguments are functions returning the full message.
"""

from .protocol.replies import ReplyError

SYNTAX = "ERR syntax error"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
INCR_FLOAT_NAN = "ERR increment would produce NaN or Infinity"
NO_SUCH_KEY = "ERR no such key"
DB_INDEX_OUT_OF_RANGE = "ERR DB index is out of range"
INVALID_DB_INDEX = "ERR invalid DB index"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
INVALID_EXPIRE = "ERR invalid expire time in '{}' command"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
OOM = "OOM command not allowed when used memory > 'maxmemory'."
BUSYKEY = "BUSYKEY Target key name already exists."
SAME_OBJECT = "ERR source and destination objects are the same"


def unknown_command(name: bytes, args) -> str:
    shown = "".join("'%s' " % _clip(a) for a in args)
    return "ERR unknown command '%s', with args beginning with: %s" % (_clip(name), shown)


def unknown_subcommand(container: str, sub: bytes) -> str:
    return "ERR unknown subcommand '%s'. Try %s HELP." % (_clip(sub), container.upper())


def wrong_arity(name: str) -> str:
    return "ERR wrong number of arguments for '%s' command" % name.lower()


def _clip(b, limit=128) -> str:
    s = b.decode("utf-8", "replace") if isinstance(b, (bytes, bytearray)) else str(b)
    return s[:limit]


def err(message: str) -> ReplyError:
    return ReplyError(message)
