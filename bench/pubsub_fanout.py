#!/usr/bin/env python3
"""Pub/Sub fan-out: 1 publisher, N subscribers (default 100) on one channel.  Reports
published messages/s and delivered messages/s for ember and for redis-server, and the ratio.

    python bench/pubsub_fanout.py [--subs 100] [--seconds 8] [--size 32]

The subscribers live in a separate process (one selector loop) so reading does not compete
with the publisher for the GIL; the publisher pipelines PUBLISH in batches of 32 and waits
for each batch's replies (so the server is never more than one batch ahead).  Delivered
messages are counted from received bytes (every frame has the same length).
"""

import argparse
import multiprocessing as mp
import os
import selectors
import socket
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from helpers import ServerProcess, encode_command  # noqa: E402

CHANNEL = b"bench:fanout"
BATCH = 32


def frame_len(size):
    payload = b"x" * size
    return len(b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
               % (len(CHANNEL), CHANNEL, size, payload))


def subscribers(port, n, ready, stop, result):
    sel = selectors.DefaultSelector()
    socks = []
    sub_reply = b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(CHANNEL), CHANNEL)
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(encode_command("SUBSCRIBE", CHANNEL))
        got = b""
        while len(got) < len(sub_reply):
            got += s.recv(4096)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        socks.append(s)
    ready.set()
    total = 0
    while not stop.is_set():
        for key, _ in sel.select(0.1):
            try:
                data = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            total += len(data)
    # drain what is in flight for a moment
    deadline = time.time() + 0.5
    while time.time() < deadline:
        for key, _ in sel.select(0.05):
            try:
                total += len(key.fileobj.recv(1 << 20))
            except BlockingIOError:
                pass
    for s in socks:
        s.close()
    result.put(total)


def bench(port, nsubs, seconds, size):
    ready, stop, result = mp.Event(), mp.Event(), mp.Queue()
    p = mp.Process(target=subscribers, args=(port, nsubs, ready, stop, result))
    p.start()
    ready.wait(30)
    pub = socket.create_connection(("127.0.0.1", port))
    batch = encode_command("PUBLISH", CHANNEL, b"x" * size) * BATCH
    reply_len = len(b":%d\r\n" % nsubs) * BATCH
    published = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        pub.sendall(batch)
        got = 0
        while got < reply_len:
            got += len(pub.recv(65536))
        published += BATCH
    elapsed = time.perf_counter() - t0
    stop.set()
    total = result.get(30)
    p.join(10)
    pub.close()
    delivered = total // frame_len(size)
    return published / elapsed, delivered / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subs", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--size", type=int, default=32)
    args = ap.parse_args()
    results = {}
    for kind in ("ember", "redis"):
        with ServerProcess(kind) as srv:
            pub_rate, del_rate = bench(srv.port, args.subs, args.seconds, args.size)
        results[kind] = (pub_rate, del_rate)
        print("%-6s published %10.0f msg/s   delivered %12.0f msg/s" % (kind, pub_rate, del_rate))
    e, r = results["ember"], results["redis"]
    print("ratio ember/redis: published %.3f  delivered %.3f" % (e[0] / r[0], e[1] / r[1]))


if __name__ == "__main__":
    main()
