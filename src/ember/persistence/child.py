"""What the forked-child persistence jobs (BGSAVE, BGREWRITEAOF) share.

A job class keeps ``child_pid`` (None when no child runs) and implements
``_remove_temp(pid)`` for the files its child may have left half-written.
"""

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
