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
