"""Server-wide counters shown by INFO stats / errorstats."""

import time


class Stats:
    def __init__(self):
        self.reset()
        self.total_connections_received = 0

    def reset(self):
        self.total_commands_processed = 0
        self.expired_keys = 0
        self.expired_stale_perc = 0.0
        self.expired_time_cap_reached_count = 0
        self.expire_cycle_us = 0.0      # time spent in active expiry passes
        self.evicted_keys = 0
        self.evicted_clients = 0
        self.keyspace_hits = 0
        self.keyspace_misses = 0
        self.rejected_connections = 0
        self.total_net_input_bytes = 0
        self.total_net_output_bytes = 0
        self.total_error_replies = 0
        self.errors = {}
        self.unexpected_error_replies = 0
        self.dump_payload_sanitizations = 0
        self.total_reads_processed = 0
        self.total_writes_processed = 0
        self.io_threaded_reads_processed = 0
        self.io_threaded_writes_processed = 0
        self.client_query_buffer_limit_disconnections = 0
        self.client_output_buffer_limit_disconnections = 0
        self.reply_buffer_shrinks = 0
        self.reply_buffer_expands = 0
        self.sync_full = 0
        self.sync_partial_ok = 0
        self.sync_partial_err = 0
        self.pubsub_messages = 0
        self.total_forks = 0
        self.latest_fork_usec = 0       # CONFIG RESETSTAT clears it too (checked on 7.0.15)
        self.expired_last = 0
        self.tracking_total_keys = 0
        self.ops_samples = []
        self.instantaneous_ops = 0.0
        self._last_sample = None
        # event loop: ember's callbacks on the loop (reads + timer callbacks) stand for
        # Redis' loop cycles, and the loop thread's CPU time for their summed duration
        # (the thread blocks only in the poller, so its CPU time is the loop's busy time)
        self.net_samples = []           # (input, output) bytes/s of the recent cron samples
        self._last_net = None
        self.timer_cycles = 0
        self.el_cpu_base = time.thread_time_ns()
        self.el_samples = []            # (cycles/s, us per cycle) of the recent cron samples
        self._last_el = None

    def eventloop_cycles(self):
        return self.total_reads_processed + self.timer_cycles

    def eventloop_duration_us(self):
        return (time.thread_time_ns() - self.el_cpu_base) // 1000

    def instantaneous_eventloop(self):
        """(cycles per second, microseconds per cycle), averaged over the recent samples."""
        el = self.el_samples
        if not el:
            return 0, 0
        return (int(sum(x for x, _ in el) / len(el)), int(sum(y for _, y in el) / len(el)))

    def count_error(self, msg: str):
        self.total_error_replies += 1
        code = msg.split(" ", 1)[0]
        if code.startswith("-"):
            code = code[1:]
        self.errors[code] = self.errors.get(code, 0) + 1

    def sample(self, server):
        t = time.monotonic()
        total = self.total_commands_processed
        if self._last_sample is not None:
            dt = t - self._last_sample[0]
            if dt > 0:
                self.ops_samples.append((total - self._last_sample[1]) / dt)
                if len(self.ops_samples) > 16:
                    del self.ops_samples[0]
                self.instantaneous_ops = sum(self.ops_samples) / len(self.ops_samples)
        self._last_sample = (t, total)
        cycles, cpu = self.eventloop_cycles(), time.thread_time_ns()
        last = self._last_el
        if last is not None and t > last[0]:
            n = cycles - last[1]
            self.el_samples.append((n / (t - last[0]), (cpu - last[2]) / 1000 / n if n > 0 else 0))
            if len(self.el_samples) > 16:
                del self.el_samples[0]
        self._last_el = (t, cycles, cpu)
        nin, nout = self.total_net_input_bytes, self.total_net_output_bytes
        last = self._last_net
        if last is not None and t > last[0]:
            dt = t - last[0]
            self.net_samples.append(((nin - last[1]) / dt, (nout - last[2]) / dt))
            if len(self.net_samples) > 16:
                del self.net_samples[0]
        self._last_net = (t, nin, nout)

    def instantaneous_kbps(self):
        """(input, output) KB/s averaged over the recent samples."""
        ns = self.net_samples
        if not ns:
            return 0.0, 0.0
        return (sum(x for x, _ in ns) / len(ns) / 1024, sum(y for _, y in ns) / len(ns) / 1024)
