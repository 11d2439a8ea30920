"""The validated option chain every analysis runs on, and its clock.

A :class:`Chain` is a bundle of equal-length numpy arrays, one entry per contract, plus the
spot, the as-of instant and the diagnostics of how it was read. Readers
(:mod:`xlgex.readers`) build it through :meth:`Chain.from_arrays`, which owns the time rule:

* PM-settled contracts settle at 16:00 New York on their expiry date, AM-settled ones at 09:30;
* time to settlement is ACT/365 in whole minutes from ``asof``;
* contracts at or past settlement are expired: they are dropped from the chain, counted in
  the diagnostics and kept aside in ``chain.expired`` (never floored to a fake minimum time).

:meth:`Chain.at` re-times the same contracts to another instant (a blank as-of means "now"
at every call, so the Excel layer re-times a cached chain instead of reusing its clock).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np

from .conventions import AM_SETTLEMENT, MINUTES_PER_YEAR, NEW_YORK, PM_SETTLEMENT
from .errors import error

__all__ = ["Chain", "Diagnostics", "to_new_york", "epoch_minutes"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_NOW_NOTE = "no as-of time given or found: used now, "
"""How a reader notes a blank as-of; :meth:`Chain.at` rewrites the time when it re-times."""


_HASH_MULTIPLIERS = tuple(np.uint64(m) for m in (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9))
"""Odd 64-bit multipliers mixing the keys of :attr:`Chain.same_gamma_groups` into one."""


def _equal_to_next(keys, order) -> np.ndarray:
    """``same[k]``: contracts ``order[k]`` and ``order[k + 1]`` agree on every one of ``keys``."""
    same = np.ones(order.size - 1, dtype=bool)
    for key in keys:
        ordered = key[order]
        same &= ordered[1:] == ordered[:-1]
    return same


def to_new_york(when) -> dt.datetime:
    """An aware New York datetime; naive input means New York wall-clock time."""
    if isinstance(when, np.datetime64):
        when = when.astype("datetime64[us]").item()
    if hasattr(when, "to_pydatetime"):  # pandas Timestamp
        when = when.to_pydatetime()
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time(0, 0))
    if when.tzinfo is None:
        return when.replace(tzinfo=NEW_YORK)
    return when.astimezone(NEW_YORK)


def epoch_minutes(when: dt.datetime) -> int:
    """Whole minutes since 1970-01-01 UTC (seconds are truncated: minute resolution)."""
    return int((to_new_york(when) - _EPOCH).total_seconds() // 60)


def _settlement_minutes(expiry: np.ndarray, am_settled: np.ndarray) -> np.ndarray:
    """UTC epoch minutes of each contract's settlement instant (DST-aware, per unique date)."""
    days, inverse = np.unique(expiry.astype("datetime64[D]"), return_inverse=True)
    table = np.array([[epoch_minutes(dt.datetime.combine(day, clock))
                       for clock in (PM_SETTLEMENT, AM_SETTLEMENT)]
                      for day in days.tolist()], dtype=np.int64).reshape(days.size, 2)  # fmt: skip
    return table[inverse.reshape(expiry.shape), am_settled.astype(np.intp)]


@dataclass
class Diagnostics:
    """What reading a chain dropped, assumed or inferred. Nothing is guessed silently."""

    rows_read: int = 0
    """Data rows in the source table, blank ones included."""
    rows_used: int = 0
    """Contracts kept by the reader and live at the chain's as-of (rows read minus dropped).
    Not the contracts a figure priced: that is ``contracts_priced`` of
    :func:`xlgex.gex.coverage`, which also excludes rows without IV and filtered expiries."""
    dropped: dict = field(default_factory=dict)
    """Reason -> number of contract rows dropped (``"expired"``, ``"blank"``, ...)."""
    assumptions: list = field(default_factory=list)
    """One readable line per assumption or inference (spot from file, IV unit, ...)."""
    spot_source: str = "argument"
    asof_source: str = "argument"
    """Where the as-of came from: ``"argument"``, ``"file"``, ``"column"``, or ``"now"`` (no
    as-of given or found: the Excel layer then re-times the chain to the current instant at
    every call with :meth:`Chain.at`)."""
    iv_unit: str = "decimal"
    iv_solved: int = 0
    """IVs the reader solved from bid/ask quotes (blank, 0 or placeholder IV cells)."""
    iv_other_side: int = 0
    """IVs the reader took from the other side of the strike (the put for a call), its
    out-of-the-money side or the file's IV (blank, 0 or placeholder IV cells)."""

    def drop(self, reason: str, count: int) -> None:
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)

    def note(self, text: str) -> None:
        self.assumptions.append(text)


@dataclass(frozen=True, eq=False)
class Chain:
    """A validated option chain: one array entry per live (unexpired) contract.

    Attributes
    ----------
    strike : float ndarray            strike, spot units
    is_call : bool ndarray
    expiry : datetime64[D] ndarray    expiry date (New York calendar)
    am_settled : bool ndarray         True: settles 09:30 NY, else 16:00 NY
    settle_minutes : int64 ndarray    settlement instant, UTC epoch minutes
    open_interest : float ndarray     contracts, >= 0
    iv : float ndarray                implied vol, decimal; NaN where missing or <= 0
    chain_gamma : float ndarray       the source's own gamma per option; NaN where absent
    dealer_position : float ndarray or None
                                      signed dealer contracts (+ long) when the source has them
    multiplier : float ndarray        units of underlying per contract
    source_row : int ndarray          row number in the user's table (for messages)
    spot : float                      underlying price, spot units
    asof : datetime                   aware, New York
    diagnostics : Diagnostics
    expired : Chain or None           the rows dropped as expired, kept for inspection
    """

    strike: np.ndarray
    is_call: np.ndarray
    expiry: np.ndarray
    am_settled: np.ndarray
    settle_minutes: np.ndarray
    open_interest: np.ndarray
    iv: np.ndarray
    chain_gamma: np.ndarray
    dealer_position: np.ndarray | None
    multiplier: np.ndarray
    source_row: np.ndarray
    spot: float
    asof: dt.datetime
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    expired: Chain | None = None

    _ARRAYS = (
        "strike", "is_call", "expiry", "am_settled", "settle_minutes", "open_interest",
        "iv", "chain_gamma", "dealer_position", "multiplier", "source_row",
    )  # fmt: skip

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        *,
        strike,
        is_call,
        expiry,
        open_interest,
        spot: float,
        asof,
        iv=None,
        chain_gamma=None,
        dealer_position=None,
        multiplier=100.0,
        am_settled=False,
        source_row=None,
        diagnostics: Diagnostics | None = None,
    ) -> Chain:
        """Build a chain from clean arrays, apply the time rule and drop expired contracts.

        ``expiry`` is anything ``numpy.datetime64`` accepts per element (dates or
        date strings). ``iv <= 0`` and NaN both mean "no IV". ``spot`` must be > 0.
        """
        strike = np.asarray(strike, dtype=float)
        n = strike.shape[0]
        diag = diagnostics or Diagnostics(rows_read=n)
        if not np.isfinite(spot) or spot <= 0:
            raise error("not_positive", what="spot", value=float(spot))

        def full(values, dtype, default=np.nan):
            if values is None:
                values = default
            return np.broadcast_to(np.asarray(values, dtype=dtype), (n,)).copy()

        iv_arr = full(iv, float)
        iv_arr[~(iv_arr > 0)] = np.nan
        arrays = dict(
            strike=strike,
            is_call=full(is_call, bool),
            expiry=np.asarray(expiry, dtype="datetime64[D]").reshape(n),
            am_settled=full(am_settled, bool),
            open_interest=full(open_interest, float),
            iv=iv_arr,
            chain_gamma=full(chain_gamma, float),
            dealer_position=None if dealer_position is None else full(dealer_position, float),
            multiplier=full(multiplier, float),
            source_row=full(np.arange(1, n + 1) if source_row is None else source_row, np.int64),
        )
        arrays["settle_minutes"] = _settlement_minutes(arrays["expiry"], arrays["am_settled"])
        asof = to_new_york(asof)
        whole = cls(**arrays, spot=float(spot), asof=asof, diagnostics=diag)
        live = whole.settle_minutes > epoch_minutes(asof)
        diag.drop("expired", int((~live).sum()))
        if live.all():
            diag.rows_used = n
            return whole
        chain = whole.take(live)
        chain = dataclasses.replace(chain, expired=whole.take(~live))
        diag.rows_used = len(chain)
        return chain

    # -- views ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.strike.shape[0])

    @property
    def t_years(self) -> np.ndarray:
        """ACT/365 year fraction from ``asof`` to settlement, minute resolution."""
        return (self.settle_minutes - epoch_minutes(self.asof)) / MINUTES_PER_YEAR

    @property
    def is_0dte(self) -> np.ndarray:
        """True for contracts expiring on the as-of date (New York calendar)."""
        return self.expiry == np.datetime64(self.asof.date(), "D")

    @property
    def has_iv(self) -> np.ndarray:
        return np.isfinite(self.iv)

    @functools.cached_property
    def strike_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted unique strikes and each contract's index into them (computed once)."""
        return np.unique(self.strike, return_inverse=True)

    @functools.cached_property
    def same_gamma_groups(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Contracts with the same gamma at every spot and clock: equal strike, settlement and
        IV (a call and a put quoted at one IV). ``(order, starts)``: ``order`` lists the
        contracts group by group, ``starts`` where each group begins; None when every contract
        stands alone. Computed once (the as-of does not change it).
        """
        if len(self) < 2:
            return None
        keys = [np.ascontiguousarray(self.strike, dtype=float), np.ascontiguousarray(self.iv, dtype=float),
                np.ascontiguousarray(self.settle_minutes, dtype=np.int64)]  # fmt: skip
        mixed = np.zeros(len(self), dtype=np.uint64)
        for key, odd in zip(keys, _HASH_MULTIPLIERS, strict=True):  # equal contracts, equal hashes
            mixed ^= key.view(np.uint64) * odd
        order = np.argsort(mixed)  # one key: far cheaper than a three-key lexsort
        same = _equal_to_next(keys, order)  # the hash only brings them together
        if not same.any():
            return None
        return order, np.flatnonzero(np.r_[True, ~same])

    def take(self, mask_or_index) -> Chain:
        """A sub-chain with the selected contracts (same spot, asof and diagnostics)."""
        picked = {
            name: None if getattr(self, name) is None else getattr(self, name)[mask_or_index]
            for name in self._ARRAYS
        }
        return dataclasses.replace(self, **picked)

    def including_expired(self) -> Chain:
        """This chain with the expired rows put back (for reconciliation with other tools)."""
        if self.expired is None or len(self.expired) == 0:
            return self
        both = {
            name: None if getattr(self, name) is None
            else np.concatenate([getattr(self, name), getattr(self.expired, name)])
            for name in self._ARRAYS
        }
        return dataclasses.replace(self, **both, expired=None)

    @functools.cached_property
    def duplicate_rows(self) -> tuple[int, int] | None:
        """Source rows of the first repeated contract, ``(first, repeat)``, or None.

        One contract is one (expiry, settlement, strike, type, multiplier): an SPX monthly
        (AM) and an SPXW weekly (PM) on the same date and strike are two contracts.
        """
        if len(self) < 2:
            return None
        keys = (self.multiplier, self.is_call, self.strike, self.am_settled,
                self.expiry.astype(np.int64))  # fmt: skip
        order = np.lexsort(keys)
        hits = np.flatnonzero(_equal_to_next(keys, order))
        if hits.size == 0:
            return None
        pairs = [sorted((int(self.source_row[order[i]]), int(self.source_row[order[i + 1]])))
                 for i in hits]  # fmt: skip
        first, repeat = min(pairs, key=lambda pair: pair[1])
        return first, repeat

    def at(self, asof) -> Chain:
        """The same contracts re-timed to ``asof`` (any datetime; naive means New York).

        Contracts settled at ``asof`` move to ``.expired``; expired ones that are live again at
        an earlier ``asof`` come back. Times to settlement follow from the new ``asof``. The
        diagnostics are copied with the expired count at ``asof``.
        """
        asof = to_new_york(asof)
        if asof == self.asof:
            return self
        now = epoch_minutes(asof)
        gone = self.expired if self.expired is not None and len(self.expired) else None
        if (self.settle_minutes > now).all() and (
                gone is None or not (gone.settle_minutes > now).any()):
            return self._same_contracts_at(asof)
        whole = self.including_expired()
        live = whole.settle_minutes > now
        diag = self._diagnostics_with_expired(int((~live).sum()), int(live.sum()), asof)
        if live.all():
            return dataclasses.replace(whole, asof=asof, diagnostics=diag, expired=None)
        expired = dataclasses.replace(whole.take(~live), asof=asof, diagnostics=diag)
        return dataclasses.replace(whole.take(live), asof=asof, diagnostics=diag, expired=expired)

    def _diagnostics_with_expired(self, n_expired: int, n_live: int,
                                  asof: dt.datetime | None = None) -> Diagnostics:  # fmt: skip
        notes = list(self.diagnostics.assumptions)
        if asof is not None and self.diagnostics.asof_source == "now":  # the clock moved on
            notes = [f"{_NOW_NOTE}{asof:%Y-%m-%d %H:%M %Z} New York" if n.startswith(_NOW_NOTE)
                     else n for n in notes]  # fmt: skip
        diag = dataclasses.replace(self.diagnostics, dropped=dict(self.diagnostics.dropped),
                                   assumptions=notes)
        diag.dropped.pop("expired", None)
        diag.drop("expired", n_expired)
        diag.rows_used = n_live
        return diag

    def _same_contracts_at(self, asof: dt.datetime) -> Chain:
        """Re-timed without any contract changing sides: the arrays, and what was computed
        from them once (strike groups, the duplicate check), are shared."""
        n_expired = 0 if self.expired is None else len(self.expired)
        diag = self._diagnostics_with_expired(n_expired, len(self), asof)
        expired = None if self.expired is None else dataclasses.replace(
            self.expired, asof=asof, diagnostics=diag)  # fmt: skip
        moved = dataclasses.replace(self, asof=asof, diagnostics=diag, expired=expired)
        for name in ("strike_groups", "duplicate_rows", "same_gamma_groups"):
            if name in self.__dict__:
                moved.__dict__[name] = self.__dict__[name]
        return moved

    def with_spot(self, spot: float) -> Chain:
        if not np.isfinite(spot) or spot <= 0:
            raise error("not_positive", what="spot", value=float(spot))
        return dataclasses.replace(self, spot=float(spot))

    def rolled(self, *, hours: float = 0.0, days: float = 0.0) -> Chain:
        """The chain ``hours + days`` later (:meth:`at`): contracts settling in between expire."""
        return self.at(self.asof + dt.timedelta(hours=hours, days=days))

    def select(self, expiries=None) -> Chain:
        """Filter by expiry window (see :mod:`xlgex.expiries` for every accepted form).

        ``expiries`` is ``None`` (all), ``"0dte"``, ``"ex0dte"``, ``"weekly"``, ``"monthly"``,
        a day range (``"<=7d"``, ``"8-30d"``, ``">30d"``), a date, ``"first..last"``, a
        ``(first, last)`` tuple of dates (inclusive; either may be None), or a list of dates.
        """
        if expiries is None or (isinstance(expiries, str) and expiries.strip().lower() in ("", "all")):
            return self
        from .expiries import window_mask

        return self.take(window_mask(self.expiry, self.am_settled, self.asof.date(), expiries))

    def to_frame(self):
        """The contracts as a pandas DataFrame (one row per contract)."""
        import pandas as pd

        data = {name: getattr(self, name) for name in self._ARRAYS if getattr(self, name) is not None}
        data["t_years"] = self.t_years
        return pd.DataFrame(data)
