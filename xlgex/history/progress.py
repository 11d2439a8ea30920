"""A one-line progress bar with a rate and an ETA, on stderr."""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]

_WIDTH = 24


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """``history  37/120  [#########.......]  31%  12.3/s  ETA 0:00:07``.

    Redrawn in place on a terminal; elsewhere (a log file, CI) one line every ``every_s``
    seconds and a last one at the end. ``done`` counts snapshots taken from the cache as well;
    the rate and ETA count only the snapshots computed in this run.
    """

    def __init__(self, total: int, *, label: str = "history", stream=None, enabled: bool = True,
                 every_s: float = 2.0):  # fmt: skip
        self.total, self.label, self.enabled = total, label, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_s = 0.2 if self.tty else every_s
        self.done = self.computed = 0
        self.start = self.last = time.monotonic()

    def line(self) -> str:
        elapsed = time.monotonic() - self.start
        frac = self.done / self.total if self.total else 1.0
        bar = "#" * int(frac * _WIDTH) + "." * (_WIDTH - int(frac * _WIDTH))
        rate = self.computed / elapsed if elapsed > 0 else 0.0
        left = self.total - self.done
        eta = _clock(left / rate) if rate > 0 else "--:--" if left else _clock(0)
        return (f"{self.label}  {self.done}/{self.total}  [{bar}]  {frac:4.0%}  "
                f"{rate:.1f}/s  ETA {eta}")  # fmt: skip

    def update(self, computed: bool = True) -> None:
        self.done += 1
        self.computed += int(computed)
        now = time.monotonic()
        if self.enabled and (now - self.last >= self.every_s or self.done == self.total):
            self.last = now
            self._draw()

    def _draw(self) -> None:
        end = "" if self.tty and self.done < self.total else "\n"
        self.stream.write(("\r" if self.tty else "") + self.line() + end)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self.done < self.total:
            self.stream.write("\n")
            self.stream.flush()
