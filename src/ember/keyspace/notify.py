"""Keyspace-notification classes (the letters of ``notify-keyspace-events``) as bits, the
same values Redis uses.  Handlers call ``server.notify(CLASS, event, key, db)``; the pub/sub
subsystem turns that into __keyspace@N__ / __keyevent@N__ messages."""

KEYSPACE = 1 << 0      # K
KEYEVENT = 1 << 1      # E
GENERIC = 1 << 2       # g
STRING = 1 << 3        # $
LIST = 1 << 4          # l
SET = 1 << 5           # s
HASH = 1 << 6          # h
ZSET = 1 << 7          # z
EXPIRED = 1 << 8       # x
EVICTED = 1 << 9       # e
STREAM = 1 << 10       # t
KEY_MISS = 1 << 11     # m
LOADED = 1 << 12       # module only
MODULE = 1 << 13       # d
NEW = 1 << 14          # n
ALL = GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE  # A
