"""xlgex: dealer gamma exposure (GEX) for Excel, on a vectorized numpy/scipy core.

The public API is re-exported here lazily, so ``import xlgex`` stays light and never imports
xlwings (the Excel layer lives in :mod:`xlgex.udfs`).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "greeks": "xlgex.core.greeks",
    "bs_gamma": "xlgex.core.greeks",
    "Chain": "xlgex.chain",
    "Diagnostics": "xlgex.chain",
    "read_chain": "xlgex.readers",
    "dealer_contracts": "xlgex.gex",
    "gex_by_contract": "xlgex.gex",
    "gex_by_strike": "xlgex.gex",
    "gex_by_expiry": "xlgex.gex",
    "total_gex": "xlgex.gex",
    "coverage": "xlgex.gex",
    "gex_walls": "xlgex.gex",
    "exposure_by_strike": "xlgex.gex",
    "gex_profile": "xlgex.flip",
    "gamma_flip": "xlgex.flip",
    "FlipResult": "xlgex.flip",
    "classify_regime": "xlgex.regime",
    "Regime": "xlgex.regime",
    "hedge_trade": "xlgex.hedging",
    "hedge_ladder": "xlgex.hedging",
    "sample_chain": "xlgex.sample",
    "gex_by_settlement": "xlgex.expiries",
    "max_pain": "xlgex.expiries",
    "gex_levels": "xlgex.levels",
    "flip_crossings": "xlgex.levels",
    "atm_by_expiry": "xlgex.views",
    "skew_by_expiry": "xlgex.views",
    "vol_summary": "xlgex.views",
    "zero_dte_panel": "xlgex.views",
    "combined_book": "xlgex.book",
    "history": "xlgex.history",
    "XlgexError": "xlgex.errors",
    "ChainError": "xlgex.errors",
    "HedgeError": "xlgex.errors",
    "NothingPricedError": "xlgex.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'xlgex' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
