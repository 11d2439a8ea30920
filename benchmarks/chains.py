"""Benchmark chains: the offsetting-interest many-crossing chain and look-alikes of real downloads.

Deterministic (seeded) and independent of any data folder; :func:`real_downloads` adds the
real CBOE downloads when a folder of them is given.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from xlgex.chain import Chain

ASOF = dt.datetime(2026, 11, 20, 10, 30)  # a Friday, New York
SPOT = 5000.0


def _expiry_days(n_expiries: int) -> np.ndarray:
    """SPX-like expiries: daily for four weeks, then weekly, then monthly, then quarterly."""
    days = list(range(20)) + list(range(21, 84, 7)) + list(range(90, 420, 30)) + list(range(450, 1400, 90))
    return np.array(days[:n_expiries])


def offsetting_chain(n_contracts: int = 34_100, n_expiries: int = 50, seed: int = 11,
                     spot: float = SPOT, put_iv_noise: float = 3e-4) -> Chain:  # fmt: skip
    """Calls and puts with equal random open interest at each strike, net GEX a fraction of gross.

    Every (expiry, strike) has a call and a put with the same open interest and nearly the same
    IV (a put-call IV difference of a few hundredths of a vol point; none with
    ``put_iv_noise=0``, one IV per strike, as some vendors give), so their gammas almost
    cancel; the short-dated expiries add a few unmatched strike clusters, which make several
    genuine sign changes of net GEX within +-20% of spot.
    """
    rng = np.random.default_rng(seed)
    per_expiry = n_contracts // (2 * n_expiries)
    days = _expiry_days(n_expiries)
    rows = []
    for d in days:
        t = max(d, 0.25) / 365.0
        width = max(0.02, 3.5 * 0.16 * np.sqrt(t))
        strikes = np.round(spot * np.exp(np.linspace(-width, width, per_expiry)) / 5.0) * 5.0
        strikes = np.unique(strikes)
        strikes = np.concatenate([strikes, strikes[-1] + 5.0 * np.arange(1, per_expiry - strikes.size + 1)])
        moneyness = np.log(strikes / spot) / max(np.sqrt(t), 0.02)
        iv = 0.14 + 0.05 * moneyness**2 - 0.04 * moneyness
        oi = rng.gamma(0.6, 800.0, strikes.size).round()
        for is_call, bump in ((True, 0.0), (False, 1.0)):
            noise = bump * rng.normal(0, put_iv_noise, iv.size)
            rows.append((strikes, is_call, d, oi, np.clip(iv + noise, 0.05, 2)))
    strike = np.concatenate([r[0] for r in rows])
    is_call = np.concatenate([np.full(r[0].size, r[1]) for r in rows])
    expiry = np.concatenate([np.full(r[0].size, r[2]) for r in rows])
    oi = np.concatenate([r[3] for r in rows])
    iv = np.concatenate([r[4] for r in rows])
    short = expiry <= 2  # unmatched clusters in the short-dated expiries
    centers = spot * (1 + np.array([-0.09, -0.065, -0.045, -0.025, -0.01, 0.005, 0.02, 0.04, 0.06, 0.085]))
    for k, center in enumerate(centers):
        near = short & (np.abs(strike - center) < 12.0) & (is_call == (k % 2 == 0))
        oi[near] += 2500.0
    return Chain.from_arrays(strike=strike, is_call=is_call,
                             expiry=np.datetime64(ASOF.date(), "D") + expiry.astype("timedelta64[D]"),
                             open_interest=oi, iv=iv, spot=spot, asof=ASOF)  # fmt: skip


def real_downloads(folder) -> dict:
    """``{name: Chain}`` of the CBOE downloads in ``folder`` (empty when it is absent)."""
    from xlgex.readers import read_chain

    folder = Path(folder)
    out = {}
    for path in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        try:
            out[path.stem] = read_chain(path)
        except ValueError as err:  # a file the reader refuses: report, keep going
            print(f"  skipped {path.name}: {err}")
    return out
