"""Result types that carry the assumptions they were computed under."""

from __future__ import annotations

from .conventions import GEX_UNIT_WORDS

__all__ = ["Figure"]


class Figure(float):
    """A float that remembers how it was computed.

    It behaves as a plain number (``Figure(3.0) + 1 == 4.0``) and carries ``info``, a dict
    with the convention, gamma source, units, rows used and dropped, and anything else that
    produced it. Attributes of ``info`` are also readable as attributes.

    >>> total = Figure(1.5e9, convention="calls_long_puts_short", unit="usd_per_1pct")
    >>> total.convention
    'calls_long_puts_short'
    >>> total
    Figure(1500000000.0, unit='$ per 1% move', convention='calls_long_puts_short')
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

    @property
    def unit_text(self) -> str:
        """The figure's unit in words: ``info["value_unit"]`` when the producer set one, spot
        units for a flip (a level, not an exposure), else the GEX unit ("$ per 1% move")."""
        if "value_unit" in self.info:
            return str(self.info["value_unit"])
        if "crossings" in self.info:
            return "spot units"
        unit = self.info.get("unit")
        return GEX_UNIT_WORDS.get(unit, str(unit or ""))

    def __repr__(self) -> str:
        unit = self.unit_text
        parts = [repr(float(self))] + ([f"unit={unit!r}"] if unit else [])
        parts += [f"{k}={v!r}" for k, v in self.info.items() if k == "convention"]
        return f"Figure({', '.join(parts)})"


def _make_figure(value, info):
    return Figure(value, **info)
