#!/usr/bin/env python3
"""The floor under ember's -P 1 / -P 16 figures: the smallest uvloop + hiredis server that
answers redis-benchmark's SET, GET, INCR and MSET (and the CONFIG GET it sends first), with
no command table, no expiry, no stats, no encoder.  Issue #2 puts such a server at ~0.97 of
redis-server with -P 1 and ~0.63 with -P 16; measuring it here, in the same run as ember,
tells how much of the gap is ember's dispatch path and how much is Python + uvloop itself.

    python bench/compare.py --ember-cmd "python bench/baseline_server.py"   # baseline vs redis
    python bench/baseline_server.py --port 7000

Not a server anyone should use: unknown commands get an error, nothing else is checked.
"""

import argparse
import asyncio

import hiredis

try:
    import uvloop
except ImportError:     # pragma: no cover - uvloop is one of ember's dependencies
    uvloop = None


class Baseline(asyncio.Protocol):
    def __init__(self, data):
        self.data = data
        self.reader = hiredis.Reader()

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, buf):
        reader = self.reader
        reader.feed(buf)
        data = self.data
        out = []
        cmd = reader.gets()
        while cmd is not False:
            name = cmd[0].upper()
            if name == b"GET":
                v = data.get(cmd[1])
                out.append(b"$-1\r\n" if v is None else b"$%d\r\n%b\r\n" % (len(v), v))
            elif name == b"SET":
                data[cmd[1]] = cmd[2]
                out.append(b"+OK\r\n")
            elif name == b"INCR":
                v = int(data.get(cmd[1], b"0")) + 1
                data[cmd[1]] = b"%d" % v
                out.append(b":%d\r\n" % v)
            elif name == b"MSET":
                for i in range(1, len(cmd), 2):
                    data[cmd[i]] = cmd[i + 1]
                out.append(b"+OK\r\n")
            elif name == b"PING":
                out.append(b"+PONG\r\n")
            elif name == b"CONFIG":
                out.append(b"*0\r\n")
            else:
                out.append(b"-ERR unknown command\r\n")
            cmd = reader.gets()
        if out:
            self.transport.write(b"".join(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=6379)
    ap.add_argument("--bind", default="127.0.0.1")
    a, _ = ap.parse_known_args()    # compare.py's ember options (--save, --dir...) are ignored
    if uvloop is not None:
        uvloop.install()
    loop = asyncio.new_event_loop()
    data = {}
    server = loop.run_until_complete(loop.create_server(lambda: Baseline(data), a.bind, a.port))
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
