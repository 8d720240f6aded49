"""Progress on stderr for long runs, and the segments a scan is cut into to report it."""
from __future__ import annotations

import math
import sys
import time


class Progress:
    """Settings done and an ETA on stderr, at most every ``every`` seconds."""

    def __init__(self, name: str, total_config_steps: int, stream=None, every: float = 5.0):
        self.name, self.total, self.stream, self.every = name, total_config_steps, stream or sys.stderr, every
        self.done, self.start, self.last = 0, time.perf_counter(), -math.inf

    def advance(self, config_steps: int, what: str):
        self.done += config_steps
        now = time.perf_counter()
        if now - self.last < self.every and self.done < self.total:
            return
        self.last = now
        elapsed = now - self.start
        eta = elapsed / self.done * (self.total - self.done) if self.done else math.nan
        print(f"[{self.name}] {what} | {100 * self.done / self.total:5.1f}% of "
              f"{self.total:,} config-steps | {elapsed:6.1f} s elapsed, ETA {eta:6.1f} s",
              file=self.stream, flush=True)


def segment_length(steps: int, parts: int = 10) -> int:
    """A divisor of ``steps`` near ``steps / parts`` (segments report progress);
    ``steps`` itself when no divisor lies within a factor 2 of it."""
    target = max(1, steps // parts)
    for length in sorted(range(max(1, target // 2), 2 * target + 1), key=lambda n: abs(n - target)):
        if steps % length == 0:
            return length
    return steps
