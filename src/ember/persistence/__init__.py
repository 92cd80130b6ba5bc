"""RDB persistence: CRC-64, LZF, RDB/DUMP encoding and decoding.

Independent of ember's keyspace; values use a neutral model documented in
:mod:`ember.persistence.rdb`."""
from .crc64 import crc64
from .rdb import (
    Aux, EncodingOptions, Function, KeyEntry, ModuleAux, RdbContents, RdbError, RdbWriter,
    ResizeDb, SelectDb, StreamConsumer, StreamGroup, StreamPending, StreamValue,
    create_dump_payload, dump_value, load_rdb, load_value, parse_dump_payload, read_rdb, save_rdb,
)

__all__ = [
    "crc64", "Aux", "EncodingOptions", "Function", "KeyEntry", "ModuleAux", "RdbContents",
    "RdbError", "RdbWriter", "ResizeDb", "SelectDb", "StreamConsumer", "StreamGroup",
    "StreamPending", "StreamValue", "create_dump_payload", "dump_value", "load_rdb",
    "load_value", "parse_dump_payload", "read_rdb", "save_rdb",
]
