"""Small hand-built chains for the analysis tests (independent of the readers)."""

from __future__ import annotations

import datetime as dt

import numpy as np
from scipy.stats import norm

from xlgex.chain import Chain

ASOF = dt.datetime(2026, 11, 20, 10, 30)  # a Friday, New York
TODAY = "2026-11-20"
CROSSED = [(105.0, "P", 9000.0), (95.0, "P", 100.0), (95.0, "C", 9000.0), (110.0, "C", 100.0)]
"""(strike, type, open interest) at spot 100: the biggest put sits above spot and the biggest
call below, so walls read the way traders read them (call 110, put 95) differ from the
unrestricted ones (call 95, put 105)."""


def toy_chain(rows, spot=100.0, asof=ASOF, **extra) -> Chain:
    """``rows``: (strike, 'C'/'P', expiry, open_interest, iv) tuples."""
    strike, kind, expiry, oi, iv = zip(*rows, strict=True)
    return Chain.from_arrays(
        strike=strike, is_call=[k == "C" for k in kind], expiry=list(expiry),
        open_interest=oi, iv=iv, spot=spot, asof=asof, **extra,
    )


def ref_gamma(spot, strike, t_years, vol):
    """Textbook BSM gamma with r = q = 0, written independently of xlgex (scipy's norm)."""
    spot, strike, t_years, vol = map(np.asarray, (spot, strike, t_years, vol))
    d1 = (np.log(spot / strike) + 0.5 * vol**2 * t_years) / (vol * np.sqrt(t_years))
    return norm.pdf(d1) / (spot * vol * np.sqrt(t_years))


def first_of_each_contract(strike, is_call, expiry) -> np.ndarray:
    """Indices of the first row of each (strike, type, expiry), in order: random draws can
    repeat a contract, and under open-interest conventions each contract appears once."""
    keys = np.column_stack([np.asarray(strike, float), np.asarray(is_call, float),
                            np.asarray(expiry).astype("datetime64[D]").astype(float)])
    return np.sort(np.unique(keys, axis=0, return_index=True)[1])


def random_chain(rng, n=200, spot=5000.0, asof=ASOF) -> Chain:
    """A random SPX-like chain: strikes every 5 around spot, expiries 0 to 90 days.

    Each contract appears once: a draw repeating an earlier (strike, type, expiry) is dropped,
    so the chain can hold fewer than ``n`` contracts.
    """
    strike = np.round(spot * np.exp(rng.normal(0, 0.06, n)) / 5) * 5
    days = rng.integers(0, 90, n)
    is_call = rng.random(n) < 0.5
    oi = rng.integers(0, 3000, n).astype(float)
    iv = rng.uniform(0.1, 0.4, n)
    keep = first_of_each_contract(strike, is_call, days)
    return Chain.from_arrays(
        strike=strike[keep], is_call=is_call[keep], expiry=np.datetime64(TODAY) + days[keep],
        open_interest=oi[keep], iv=iv[keep], spot=spot, asof=asof,
    )
