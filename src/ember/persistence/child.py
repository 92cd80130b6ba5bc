"""What the forked-child persistence jobs (BGSAVE, BGREWRITEAOF) share.

A job class keeps ``child_pid`` (None when no child runs) and implements
``_remove_temp(pid)`` for the files its child may have left half-written.
"""

import gc
import os
import signal


class ForkedJob:
    child_pid = None

    def _remove_temp(self, pid):
        raise NotImplementedError

    def kill_child(self):
        """Stop a running child (SIGUSR1, as Redis: the child exits without an error
        report), reap it and remove its temporary file."""
        pid = self.child_pid
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGUSR1)
            os.waitpid(pid, 0)
        except OSError:
            pass
        self._remove_temp(pid)
        self.child_pid = None

    def _wait_child(self, block=False):
        """(pid, wait status) once the child has exited, else None.  A child that is
        already gone counts as a failure (exit code 1)."""
        pid = self.child_pid
        if pid is None:
            return None
        try:
            got, status = os.waitpid(pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            got, status = pid, 1 << 8
        if got == 0:
            return None
        return pid, status

    def _enter_child(self):
        """First steps in a freshly forked child: no cyclic GC (it would touch, and so copy,
        every object), no wakeup fd or handlers shared with the parent's event loop (a
        signal to the child must not wake the parent), log lines marked as the child's.
        Returns the server's log."""
        gc.disable()
        try:
            signal.set_wakeup_fd(-1)
        except (ValueError, OSError):
            pass
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
            signal.signal(s, signal.SIG_DFL)
        log = self.server.log
        if hasattr(log, "pid"):
            log.pid = os.getpid()
            log.role = "C"
        return log
