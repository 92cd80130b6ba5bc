"""Redis-style log lines: ``pid:role DD Mon YYYY HH:MM:SS.mmm <level-char> message``.

Level characters as Redis: '.' debug, '-' verbose, '*' notice, '#' warning.
"""

import os
import sys
import time

LEVELS = {"debug": 0, "verbose": 1, "notice": 2, "warning": 3, "nothing": 4}
CHARS = ".-*#"


class Logger:
    def __init__(self, level="notice", logfile="", role="M"):
        self.level = LEVELS.get(level, 2)
        self.logfile = logfile
        self.role = role
        self.pid = os.getpid()

    def set_level(self, level):
        self.level = LEVELS.get(level, 2)

    def _write(self, lvl, msg):
        if lvl < self.level:
            return
        t = time.time()
        stamp = time.strftime("%d %b %Y %H:%M:%S", time.localtime(t)) + ".%03d" % int((t % 1) * 1000)
        line = "%d:%s %s %s %s\n" % (self.pid, self.role, stamp, CHARS[lvl], msg)
        if self.logfile:
            try:
                with open(self.logfile, "a") as f:
                    f.write(line)
                return
            except OSError:
                pass
        sys.stdout.write(line)
        sys.stdout.flush()

    def debug(self, msg):
        self._write(0, msg)

    def verbose(self, msg):
        self._write(1, msg)

    def notice(self, msg):
        self._write(2, msg)

    def warning(self, msg):
        self._write(3, msg)
