"""The per-snapshot task: one chain file (or part) in, one history row out.

It runs in a worker process, local or on a Dask cluster, and uses only the public API
(:func:`~xlgex.readers.read_chain`, :func:`~xlgex.gex.total_gex`, :func:`~xlgex.flip.gamma_flip`,
:func:`~xlgex.gex.gex_walls`, :func:`~xlgex.regime.classify_regime`), so a history row is by
construction what the single-snapshot functions give for that chain.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from ..errors import NothingPricedError, XlgexError
from ..flip import DEFAULT_LEVELS, DEFAULT_RANGE_PCT, gamma_flip
from ..gex import gex_settings, gex_walls, total_gex
from ..readers import read_chain
from ..readers.memory import gc_paused
from ..regime import NEAR_FLIP_PCT, classify_regime
from ..results import Figure
from ..views import vol_summary
from .sources import PARQUET, file_underlying

__all__ = ["HistorySettings", "analyse", "ROW_COLUMNS", "SKIP_COLUMNS", "NO_QUOTE_TIME"]

ROW_COLUMNS = (
    "quote_time", "underlying", "spot", "total_gex", "share_0dte", "flip", "crossings",
    "distance_to_flip_pct", "call_wall", "put_wall", "abs_gamma_strike", "regime",
    "regime_label", "skew_vol_pts", "term_structure", "contracts_priced", "contracts_expired",
    "contracts_no_iv", "flip_note", "crossing_levels", "source", "part",
)  # fmt: skip
"""Columns of a history row, in order. Units: spot, flip, walls in spot units; total GEX in
the settings' unit (default $ per 1% move); ``share_0dte`` a fraction of gross |GEX| (0 to 1);
``distance_to_flip_pct`` = (spot - flip) / spot x 100 (positive: spot above the flip);
``skew_vol_pts`` the 25-delta risk reversal (put IV - call IV, vol points) and ``term_structure``
front / back ATM IV, both from the chain as :func:`~xlgex.regime.classify_regime` takes them."""
SKIP_COLUMNS = ("source", "part", "message", "error")
"""Columns of a skipped file or snapshot."""
NO_QUOTE_TIME = ("xlgex: no quote time in the snapshot: a history needs each snapshot's own time "
                 "(a 'Quote Time' column or a CBOE header line)")  # fmt: skip


@dataclasses.dataclass(frozen=True)
class HistorySettings:
    """Everything that changes a history row. Recorded once with the result; part of the cache key.

    convention, gamma_source, unit, rate, div_yield, expiries : as in :mod:`xlgex.gex`
        (``expiries``: None, ``"0dte"`` or ``"ex0dte"``; fixed dates make no sense over time).
    iv_unit : {"decimal", "percent", "auto"}
        As in :func:`~xlgex.readers.read_chain`; ``"auto"`` judges each snapshot on its own.
    multiplier : float or None
        Units of underlying per contract where a file has no ``Multiplier`` column (default 100).
    n_levels, range_pct : int, float
        Flip grid: ``n_levels`` spots over spot +-``range_pct`` %.
    near_flip_pct : float
        Spot within this many % of the flip is labelled "near flip".
    vol_views : bool
        Skew and term structure from each chain, as :func:`~xlgex.regime.classify_regime` takes
        them (its stress and steep-skew modifiers); a good part of the time per snapshot.
        False leaves both blank and the regime label without those modifiers.
    """

    convention: str | None = None
    gamma_source: str | None = None
    unit: str | None = None
    rate: float = 0.0
    div_yield: float = 0.0
    expiries: str | None = None
    iv_unit: str = "decimal"
    multiplier: float | None = None
    n_levels: int = DEFAULT_LEVELS
    range_pct: float = DEFAULT_RANGE_PCT
    near_flip_pct: float = NEAR_FLIP_PCT
    vol_views: bool = True

    def gex(self):
        return gex_settings(convention=self.convention, gamma_source=self.gamma_source,
                            unit=self.unit, rate=self.rate, div_yield=self.div_yield,
                            expiries=self.expiries)  # fmt: skip

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def info(self) -> dict:
        """The settings as recorded with a history: GEX settings in full, then the rest."""
        return self.gex().info() | {
            "expiries": self.expiries or "all", "iv_unit": self.iv_unit,
            "multiplier": self.multiplier or "from file, else 100",
            "flip_grid": f"{self.n_levels} levels over spot +-{self.range_pct:g}%",
            "near_flip_pct": self.near_flip_pct,
            "skew_and_term_structure": "from each chain" if self.vol_views else "not computed",
            "asof_rule": "each snapshot's own quote time (from its file)",
        }  # fmt: skip


def _chain(path: Path, s: HistorySettings):
    if path.is_dir() or path.suffix.lower() in PARQUET:
        import pandas as pd

        files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
        source = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    else:
        source = path
    chain = read_chain(source, iv_unit=s.iv_unit, multiplier=s.multiplier)
    if chain.diagnostics.asof_source == "now":
        raise XlgexError(NO_QUOTE_TIME)
    return chain


def _number(x) -> float | None:
    """JSON-safe: NaN (no answer) becomes None; inf is a bug upstream and raises."""
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        raise XlgexError(f"xlgex: a figure overflowed ({x}); the snapshot is skipped")
    return x


def _flip(chain, gs, s: HistorySettings) -> Figure:
    """The flip; NaN with the reason when the profile prices nothing although the total does
    (``gamma_source="chain"`` without IVs), as :func:`~xlgex.regime.classify_regime` does."""
    try:
        return gamma_flip(chain, settings=gs, n_levels=s.n_levels, range_pct=s.range_pct)
    except NothingPricedError as err:
        return Figure(math.nan, crossings=(), reason=f"no flip: {str(err)[len('xlgex: '):]}")


def _vol_views(chain, gs) -> tuple:
    """(skew in vol points, term structure) from the chain, None where it has no answer."""
    try:
        v = vol_summary(chain, settings=gs)
    except XlgexError:
        return None, None
    skew, term = v["rr_25d_vol_pts"], v["term_structure"]
    return (skew if skew == skew else None), (term if term == term else None)


def _row(chain, s: HistorySettings) -> dict:
    gs = s.gex()
    total = total_gex(chain, settings=gs)
    flip = _flip(chain, gs, s)
    walls = gex_walls(chain, settings=gs)
    skew, term = _vol_views(chain, gs) if s.vol_views else (None, None)
    regime = classify_regime(spot=chain.spot, net_gex=float(total), flip=float(flip), skew=skew,
                             term_structure=term, near_flip_pct=s.near_flip_pct)  # fmt: skip
    dropped = chain.diagnostics.dropped
    return {
        "quote_time": chain.asof.isoformat(timespec="minutes"),
        "spot": _number(chain.spot),
        "total_gex": _number(total),
        "share_0dte": _number(total.info.get("share_0dte", math.nan)),
        "flip": _number(flip),
        "crossings": len(flip.crossings),
        "distance_to_flip_pct": _number(regime.facts["distance_to_flip_pct"]),
        "call_wall": _number(walls["call_wall"]),
        "put_wall": _number(walls["put_wall"]),
        "abs_gamma_strike": _number(walls["abs_gamma_strike"]),
        "regime": regime.base,
        "regime_label": regime.label,
        "skew_vol_pts": None if skew is None else _number(skew),
        "term_structure": None if term is None else _number(term),
        "contracts_priced": int(total.contracts_priced),
        "contracts_expired": int(dropped.get("expired", 0)),
        "contracts_no_iv": int(total.info.get("rows_excluded_no_iv", 0)),
        "flip_note": flip.reason,
        "crossing_levels": "; ".join(f"{c:.2f}" for c in flip.crossings),
    }


def analyse(task: dict, settings: dict) -> dict:
    """One history row for ``task`` (a :class:`~xlgex.history.sources.Task` as a dict).

    Returns ``{"status": "ok", "row": {...}}`` with the columns :data:`ROW_COLUMNS`, or
    ``{"status": "skipped", "row": {source, part, message, error}}``. An :class:`XlgexError`
    (bad file, nothing priced, no quote time) is a reason, and ``cacheable``; any other
    exception is reported the same way but not cached, so a fixed xlgex retries it.
    """
    s = HistorySettings(**settings)
    where = {"source": task["source"], "part": task["part"]}
    if not Path(task["path"]).exists():  # a worker that does not see the file: not the file's fault
        message = (f"xlgex: the worker cannot see '{task['path']}' (on a cluster, the sources and "
                   "--cache-dir must be on storage every worker sees at the same path)")  # fmt: skip
        return {"status": "skipped", "cacheable": False,
                "row": where | {"message": message, "error": "NotVisible"}}  # fmt: skip
    try:
        with gc_paused():  # a snapshot's objects hold no cycles: freed by reference counts
            row = _row(_chain(Path(task["path"]), s), s)
    except XlgexError as err:
        return {"status": "skipped", "cacheable": True,
                "row": where | {"message": str(err), "error": type(err).__name__}}  # fmt: skip
    except Exception as err:  # a bug must not stop a run over thousands of files; it is listed
        message = f"xlgex: unexpected error, please report it: {type(err).__name__}: {err}"
        return {"status": "skipped", "cacheable": False,
                "row": where | {"message": message, "error": type(err).__name__}}  # fmt: skip
    row.update(where, underlying=task["underlying"] or file_underlying(Path(task["path"])))
    return {"status": "ok", "cacheable": True, "row": {k: row[k] for k in ROW_COLUMNS}}
