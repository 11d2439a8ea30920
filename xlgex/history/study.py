r"""The study the GEX argument implies: do moves after short-gamma snapshots run larger?

Long gamma dampens (dealer hedging sells rallies and buys dips), short gamma amplifies.
For each snapshot of an underlying, the *move* is measured to its next snapshot (or, with
``horizon``, to the first snapshot at least that much later):

* absolute return, %: :math:`|S_{next} / S - 1| \times 100`;
* realized range, %: :math:`(\max S - \min S) / S \times 100` over the snapshots from this one
  to the next inclusive, only when intermediate snapshots exist (otherwise it is the
  absolute return and is not reported twice).

Pairs more than :data:`MAX_GAP` apart are left out (and counted). Moves are grouped by the
regime at the start (long / short gamma) and by the distance to the
flip, :math:`(S - \text{flip}) / S \times 100`. Each group gets its count, mean and a
two-sided t confidence interval for the mean; long and short gamma are compared by Welch's
interval for the difference of means. Below :data:`MIN_MOVES` moves in a group the report
says plainly that nothing can be concluded.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["move_study", "MoveStudy", "moves", "mean_interval", "welch_interval", "MIN_MOVES",
           "MAX_GAP", "DISTANCE_EDGES_PCT"]  # fmt: skip

MIN_MOVES = 10
"""Moves needed in each of long and short gamma before a comparison is reported as evidence."""
MAX_GAP = "7D"
"""Snapshots further apart than this are not a move (a gap in the data, not a horizon)."""
DISTANCE_EDGES_PCT = (-2.0, -1.0, 0.0, 1.0, 2.0)
"""Bucket edges of the distance to the flip, %; negative: spot below the flip."""
NO_FLIP = "no flip in grid"


def moves(df: pd.DataFrame, horizon=None) -> pd.DataFrame:
    """One row per snapshot that has a later one of the same underlying.

    Several snapshots of one underlying at the same quote time (the same chain from two
    sources) count once: the first in the table.

    Columns: ``underlying, quote_time, end_time, regime, distance_to_flip_pct,
    abs_return_pct, range_pct`` (NaN without intermediate snapshots), ``snapshots_between``,
    ``gap_hours`` (end minus start).
    ``horizon`` (pandas Timedelta or text such as ``"1D"``) picks the first snapshot at least
    that much later; None picks the next one.
    """
    step = None if horizon in (None, "", "next") else pd.Timedelta(horizon)
    out = []
    once = df.sort_values("quote_time", kind="stable").drop_duplicates(["underlying", "quote_time"])
    for underlying, g in once.groupby("underlying", sort=True):
        times = pd.to_datetime(g["quote_time"], utc=True).dt.tz_localize(None).to_numpy("datetime64[ns]")
        spots = g["spot"].to_numpy(dtype=float)
        if step is None:
            ends = np.arange(1, len(g) + 1)
        else:
            later = times + step.to_timedelta64().astype("timedelta64[ns]")
            ends = np.searchsorted(times, later, side="left")
        for i, j in enumerate(ends):
            if j >= len(g):
                continue
            window = spots[i:j + 1]
            out.append({
                "underlying": underlying, "quote_time": g["quote_time"].iloc[i],
                "end_time": g["quote_time"].iloc[j], "regime": g["regime"].iloc[i],
                "distance_to_flip_pct": g["distance_to_flip_pct"].iloc[i],
                "abs_return_pct": abs(spots[j] / spots[i] - 1.0) * 100.0,
                "range_pct": (window.max() - window.min()) / spots[i] * 100.0 if j - i >= 2 else math.nan,
                "snapshots_between": int(j - i - 1),
                "gap_hours": float((times[j] - times[i]) / np.timedelta64(1, "h")),
            })  # fmt: skip
    columns = ["underlying", "quote_time", "end_time", "regime", "distance_to_flip_pct",
               "abs_return_pct", "range_pct", "snapshots_between", "gap_hours"]  # fmt: skip
    return pd.DataFrame(out, columns=columns)


def mean_interval(x, confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): Student t interval for the mean; NaN bounds below 2 values."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size)
    return mean, mean - half, mean + half


def welch_interval(a, b, confidence: float = 0.95) -> tuple[float, float, float]:
    """(mean(a) - mean(b), low, high): Welch's t interval (unequal variances)."""
    a, b = (np.asarray(v, dtype=float) for v in (a, b))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return (float(a.mean() - b.mean()) if a.size and b.size else math.nan), math.nan, math.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff, se = float(a.mean() - b.mean()), math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff
    dof = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    half = stats.t.ppf(0.5 + confidence / 2, dof) * se
    return diff, diff - half, diff + half


def _bucket(distance_pct, edges) -> list:
    labels = [f"below flip by more than {-edges[0]:g}%"]
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        side = "below" if hi <= 0 else "above"
        labels.append(f"{side} flip by {min(abs(lo), abs(hi)):g}-{max(abs(lo), abs(hi)):g}%")
    labels.append(f"above flip by more than {edges[-1]:g}%")
    d = np.asarray(distance_pct, dtype=float)
    index = np.digitize(d, edges)
    return [NO_FLIP if not np.isfinite(v) else labels[k] for v, k in zip(d, index, strict=True)], labels


def _table(m: pd.DataFrame, key, order, confidence) -> pd.DataFrame:
    rows = []
    for group in order:
        sel = m[key == group]
        if not len(sel):
            continue
        mean, low, high = mean_interval(sel["abs_return_pct"], confidence)
        rng, rlow, rhigh = mean_interval(sel["range_pct"], confidence)
        rows.append({"group": group, "moves": len(sel), "mean_abs_return_pct": mean,
                     "ci_low_pct": low, "ci_high_pct": high,
                     "median_abs_return_pct": float(sel["abs_return_pct"].median()),
                     "ranges": int(sel["range_pct"].notna().sum()), "mean_range_pct": rng,
                     "range_ci_low_pct": rlow, "range_ci_high_pct": rhigh})  # fmt: skip
    return pd.DataFrame(rows)


@dataclasses.dataclass
class MoveStudy:
    """The moves, the tables by regime and by distance to flip, and the verdict in words."""

    moves: pd.DataFrame
    by_regime: pd.DataFrame
    by_distance: pd.DataFrame
    difference: dict
    """``short_minus_long_pct``, ``ci_low_pct``, ``ci_high_pct``, ``moves_long``, ``moves_short``."""
    verdict: str
    confidence: float
    horizon: str

    def as_dict(self) -> dict:
        """The verdict and tables as plain values (records; NaN where a group has no interval)."""
        return {"verdict": self.verdict, "horizon": self.horizon, "confidence": self.confidence,
                "moves": len(self.moves), "difference": dict(self.difference),
                "by_regime": self.by_regime.to_dict("records"),
                "by_distance": self.by_distance.to_dict("records")}  # fmt: skip


def _verdict(diff: dict, min_moves: int, confidence: float, overlapping: bool, notes: str) -> str:
    n_long, n_short = diff["moves_long"], diff["moves_short"]
    if min(n_long, n_short) < min_moves:
        return (f"Too few snapshots to conclude anything: {n_long} moves after long-gamma and "
                f"{n_short} after short-gamma snapshots; at least {min_moves} of each are needed."
                + notes)  # fmt: skip
    d, lo, hi = diff["short_minus_long_pct"], diff["ci_low_pct"], diff["ci_high_pct"]
    side = "larger" if d > 0 else "smaller"
    seen = ("distinguishable from zero" if lo > 0 or hi < 0
            else "not distinguishable from zero (the interval contains 0)")  # fmt: skip
    text = (f"Moves after short-gamma snapshots averaged {diff['mean_short_pct']:.3f}% against "
            f"{diff['mean_long_pct']:.3f}% after long-gamma snapshots: {abs(d):.3f} percentage points "
            f"{side} ({confidence:.0%} interval of the difference {lo:+.3f} to {hi:+.3f}), {seen}; "
            f"{n_short} short-gamma and {n_long} long-gamma moves.")  # fmt: skip
    if overlapping:
        text += " Horizons overlap, so consecutive moves share days and the intervals are too narrow."
    return text + notes


def move_study(df: pd.DataFrame, *, horizon=None, max_gap=MAX_GAP, distance_edges_pct=DISTANCE_EDGES_PCT,
               confidence: float = 0.95, min_moves: int = MIN_MOVES) -> MoveStudy:  # fmt: skip
    """The move study over a history table (see the module docstring).

    Pairs of snapshots more than ``max_gap`` apart (default :data:`MAX_GAP`; None keeps all)
    are left out and counted: a move across months says nothing about the regime at its start.
    """
    m = moves(df, horizon)
    repeated = int(df.duplicated(["underlying", "quote_time"]).sum()) if len(df) else 0
    notes = (f" {repeated} snapshot(s) at a time already seen for the same underlying were counted once."
             if repeated else "")  # fmt: skip
    if max_gap is not None and len(m):
        far = m["gap_hours"] > pd.Timedelta(max_gap) / pd.Timedelta(hours=1)
        if far.any():
            notes += (f" {int(far.sum())} pair(s) of snapshots more than {max_gap} apart were left "
                      "out.")  # fmt: skip
            m = m[~far].reset_index(drop=True)
    buckets, labels = _bucket(m["distance_to_flip_pct"], tuple(distance_edges_pct))
    by_regime = _table(m, m["regime"], ("long gamma", "short gamma", "flat"), confidence)
    by_distance = _table(m, pd.Series(buckets, index=m.index, dtype=object), [*labels, NO_FLIP], confidence)
    short = m.loc[m["regime"] == "short gamma", "abs_return_pct"]
    long_ = m.loc[m["regime"] == "long gamma", "abs_return_pct"]
    d, lo, hi = welch_interval(short, long_, confidence)
    diff = {"short_minus_long_pct": d, "ci_low_pct": lo, "ci_high_pct": hi,
            "mean_short_pct": float(short.mean()) if len(short) else math.nan,
            "mean_long_pct": float(long_.mean()) if len(long_) else math.nan,
            "moves_long": len(long_), "moves_short": len(short)}  # fmt: skip
    overlapping = bool((m["snapshots_between"] > 0).any())
    return MoveStudy(m, by_regime, by_distance, diff,
                     _verdict(diff, min_moves, confidence, overlapping, notes), confidence,
                     "next snapshot" if horizon in (None, "", "next") else str(horizon))  # fmt: skip
