"""Minimal multibulk/inline request parser used only until protocol.parser lands."""

import hiredis


class ProtocolError(Exception):
    pass


class PyRequestParser:
    def __init__(self, max_bulk_len=512 * 1024 * 1024, max_query_buffer=1024 * 1024 * 1024):
        self.buf = b""
        self.authenticated = True
        self.reader = hiredis.Reader()

    def feed(self, data):
        self.buf += data

    def buffered(self):
        return len(self.buf)

    def get_commands(self):
        out = []
        buf = self.buf
        while buf:
            if buf[:1] == b"*":
                r = hiredis.Reader()
                r.feed(buf)
                v = r.gets()
                if v is False:
                    break
                # find consumed length: re-serialize
                n = len(b"*%d\r\n" % len(v)) + sum(len(b"$%d\r\n" % len(x)) + len(x) + 2 for x in v)
                buf = buf[n:]
                if v:
                    out.append(v)
            else:
                i = buf.find(b"\n")
                if i < 0:
                    break
                line = buf[:i].rstrip(b"\r")
                buf = buf[i + 1:]
                parts = line.split()
                if parts:
                    out.append(parts)
        self.buf = buf
        return out


FastRequestParser = PyRequestParser
