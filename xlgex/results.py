"""Result types that carry the assumptions they were computed under."""

from __future__ import annotations

__all__ = ["Figure"]


class Figure(float):
    """A float that remembers how it was computed.

    It behaves as a plain number (``Figure(3.0) + 1 == 4.0``) and carries ``info``, a dict
    with the convention, gamma source, units, rows used and dropped, and anything else that
    produced it. Attributes of ``info`` are also readable as attributes.

    >>> total = Figure(1.5e9, convention="calls_long_puts_short", unit="usd_per_1pct")
    >>> total.convention
    'calls_long_puts_short'
    """

    def __new__(cls, value, **info):
        obj = super().__new__(cls, value)
        obj.info = info
        return obj

    def __getattr__(self, name):
        info = self.__dict__.get("info", {})
        if name in info:
            return info[name]
        raise AttributeError(name)

    def __reduce__(self):
        return (_make_figure, (float(self), self.info))

    def __repr__(self) -> str:
        keys = ", ".join(f"{k}={v!r}" for k, v in self.info.items() if k in ("convention", "unit"))
        return f"Figure({float(self)!r}{', ' + keys if keys else ''})"


def _make_figure(value, info):
    return Figure(value, **info)
