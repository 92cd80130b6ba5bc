"""Latency bookkeeping: per-command latency histograms (``latency-tracking``, read by INFO
latencystats and LATENCY HISTOGRAM) and the latency monitor (``latency-monitor-threshold``,
read by LATENCY LATEST/HISTORY/GRAPH/DOCTOR).

Histograms
    Each command spec has ``lat_hist``: a dict from a quantised duration in ns to a call
    count.  The quantisation is HdrHistogram's with two significant digits (256 sub-buckets
    per power of two), which is what Redis uses: a duration ``d`` is stored under the highest
    value equivalent to it, ``d | LOW[d.bit_length()]``.  Dispatch records with those two
    operations inline (see dispatch.execute); everything else here runs only when someone
    reads the histograms.

Monitor
    Events ("command", "fast-command", "expire-cycle", "fork", ...) keep the last 160
    samples, one per second at most (the larger wins within a second), and their all-time
    maximum, like Redis' latency monitor.  Sampling is free on the command path: dispatch
    already compares every duration with ``server.slowlog_threshold_ns``, which is the
    smaller of the slowlog and latency-monitor thresholds.
"""

import time
from collections import deque

# LOW[b]: the low bits a duration of bit length b shares with its bucket's highest value
LOW = [(1 << max(0, b - 8)) - 1 for b in range(72)]

SAMPLES_PER_EVENT = 160


def record(hist, dt_ns, n=1):
    """Add ``n`` calls of ``dt_ns`` to a histogram (the inline form is in dispatch)."""
    k = dt_ns | LOW[dt_ns.bit_length()]
    hist[k] = hist.get(k, 0) + n


def percentile(hist, p):
    """The value at percentile ``p`` (0-100) as HdrHistogram reports it: the highest value
    equivalent to the first recorded value whose cumulative count reaches p% of the total."""
    total = sum(hist.values())
    if not total:
        return 0
    want = max(1, int(p / 100.0 * total + 0.5))
    seen = 0
    last = 0
    for k in sorted(hist):
        seen += hist[k]
        last = k
        if seen >= want:
            return k
    return last


def log_buckets(hist):
    """LATENCY HISTOGRAM's ``histogram_usec``: power-of-two steps from 1024 ns, each labelled
    with its bound in usec, holding the cumulative count; steps that add nothing are left
    out (as Redis' logarithmic iteration reports them)."""
    out = []
    if not hist:
        return out
    keys = sorted(hist)
    i = 0
    cum = 0
    k = 10
    while i < len(keys):
        bound = (1 << k) + LOW[k + 1]        # the highest value equivalent to 2^k
        added = 0
        while i < len(keys) and keys[i] <= bound:
            added += hist[keys[i]]
            i += 1
        if added:
            cum += added
            out.append((bound // 1000, cum))
        k += 1
    return out


class LatencyMonitor:
    """The latency monitor's events (see the module doc)."""

    def __init__(self, clock=time.time):
        self.clock = clock
        self.events = {}        # name -> [deque of [sec, ms], all-time max ms]

    def add(self, event, ms):
        now = int(self.clock())
        ev = self.events.get(event)
        if ev is None:
            ev = self.events[event] = [deque(maxlen=SAMPLES_PER_EVENT), 0]
        samples = ev[0]
        if samples and samples[-1][0] == now:
            if ms > samples[-1][1]:
                samples[-1][1] = ms
        else:
            samples.append([now, ms])
        if ms > ev[1]:
            ev[1] = ms

    def reset(self, names=None):
        """Forget the named events (all when None); returns how many were reset."""
        if names is None:
            n = len(self.events)
            self.events.clear()
            return n
        n = 0
        for name in names:
            if self.events.pop(name, None) is not None:
                n += 1
        return n

    def latest(self):
        return [[name.encode(), ev[0][-1][0], ev[0][-1][1], ev[1]]
                for name, ev in self.events.items() if ev[0]]

    def history(self, name):
        ev = self.events.get(name)
        return [] if ev is None else [[s, ms] for s, ms in ev[0]]

    def graph(self, name):
        """An ASCII chart of the event's samples, oldest left: a column per sample, its
        height scaled between the lowest and highest sample, and under it the sample's age
        (seconds, minutes, hours or days, written vertically)."""
        ev = self.events.get(name)
        if ev is None or not ev[0]:
            return None
        samples = list(ev[0])
        hi = max(ms for _, ms in samples)
        lo = min(ms for _, ms in samples)
        rows = 4
        lines = ["%s - high %d ms, low %d ms (all time high %d ms)" % (name, hi, lo, ev[1]),
                 "-" * 80]
        heights = [rows if hi == lo else round((ms - lo) * rows / (hi - lo)) for _, ms in samples]
        for r in range(rows, 0, -1):
            lines.append("".join("#" if h >= r else ("_" if h == r - 1 else " ") for h in heights))
        now = int(self.clock())
        ages = [_age_label(now - s) for s, _ in samples]
        width = max(len(a) for a in ages)
        for i in range(width):
            lines.append("".join(a[i] if i < len(a) else " " for a in ages))
        return ("\n".join(lines) + "\n").encode()

    def doctor(self, threshold_ms):
        """A short report per event: number of spikes, average, mean deviation, period and
        the worst sample (the figures Redis' LATENCY DOCTOR gives)."""
        if not self.events:
            if not threshold_ms:
                return ("The latency monitor is disabled in this ember instance: set "
                        "latency-monitor-threshold to a number of milliseconds (CONFIG SET "
                        "latency-monitor-threshold <ms>) to enable it.\n")
            return "No latency spike was observed by this ember instance since it started.\n"
        out = ["Latency spikes observed by this ember instance:", ""]
        for i, (name, ev) in enumerate(sorted(self.events.items()), 1):
            samples = list(ev[0])
            n = len(samples)
            avg = sum(ms for _, ms in samples) / n if n else 0
            mad = sum(abs(ms - avg) for _, ms in samples) / n if n else 0
            period = (samples[-1][0] - samples[0][0]) / (n - 1) if n > 1 else 0
            out.append("%d. %s: %d latency spikes (average %dms, mean deviation %dms, period "
                       "%.2f sec). Worst all time event %dms." % (i, name, n, avg, mad, period, ev[1]))
        out += ["", "Where to look:",
                "- SLOWLOG GET lists the slowest commands with their arguments.",
                "- Deleting, expiring or evicting very large values blocks the server; "
                "UNLINK and lazyfree-lazy-* move that work off the command path.",
                "- fork events come from BGSAVE and BGREWRITEAOF; their cost grows with the "
                "dataset."]
        return "\n".join(out) + "\n"


def _age_label(sec):
    if sec < 60:
        return "%ds" % sec
    if sec < 3600:
        return "%dm" % (sec // 60)
    if sec < 86400:
        return "%dh" % (sec // 3600)
    return "%dd" % (sec // 86400)
