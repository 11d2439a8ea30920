"""Conventions, defined once: contract sizes, the 1% move, settlement times, day count, signs.

Units used throughout xlgex
---------------------------
=====================  ==========================================================
quantity               unit
=====================  ==========================================================
spot, strike           index points (or $ per share for ETFs)
t_years                ACT/365 year fraction, minute resolution
vol, iv, rate, q       decimals per year (0.18, not 18); rates continuous
price                  same units as spot, per unit of underlying
delta                  d(price)/d(spot), per unit of underlying
gamma                  d(delta)/d(spot), per 1.00 move in spot
vega                   d(price)/d(vol), per 1.00 of vol (divide by 100 per vol point)
theta                  d(price)/dt, per year of calendar time (divide by 365 per day)
rho                    d(price)/d(rate), per 1.00 of rate
vanna                  d(delta)/d(vol), per 1.00 of vol
charm                  d(delta)/dt, per year of calendar time
GEX (default)          $ of underlying the dealer must trade per 1% move in spot
=====================  ==========================================================
"""

from __future__ import annotations

import datetime as _dt
from zoneinfo import ZoneInfo

__all__ = [
    "CONTRACT_MULTIPLIER",
    "ONE_PCT",
    "ES_POINT_VALUE",
    "MES_POINT_VALUE",
    "NEW_YORK",
    "PM_SETTLEMENT",
    "AM_SETTLEMENT",
    "MINUTES_PER_YEAR",
    "DAYS_PER_YEAR",
    "CLASSIC_DAYS_PER_YEAR",
    "CONVENTIONS",
    "DEFAULT_CONVENTION",
    "GEX_UNITS",
    "GEX_UNIT_WORDS",
    "DEFAULT_GEX_UNIT",
    "HEDGE_INSTRUMENTS",
    "INDEX_FUTURES",
    "BAND_REL_TOL",
]

CONTRACT_MULTIPLIER = 100.0
"""Units of underlying per listed SPX/SPY/NDX option contract."""

ONE_PCT = 0.01
"""The move GEX is quoted for: 1% of spot."""

ES_POINT_VALUE = 50.0
"""E-mini S&P 500 future: $ per index point. One SPX contract delta unit (100) = 2 ES."""

MES_POINT_VALUE = 5.0
"""Micro E-mini S&P 500 future: $ per index point."""

HEDGE_INSTRUMENTS = {"shares": 1.0, "ES": ES_POINT_VALUE, "MES": MES_POINT_VALUE}
"""Underlying units per hedge unit for the named hedge instruments, on SPX (the index itself).
ES and MES are sized by notional on any other underlying: see :data:`INDEX_FUTURES`."""

INDEX_FUTURES = {"ES": ES_POINT_VALUE, "MES": MES_POINT_VALUE}
"""S&P 500 index futures, $ per index point. One future covers ``point_value x index_level``
dollars, i.e. ``point_value x index_level / spot`` units of an underlying priced at ``spot``
(SPY at 445 with the index at 4,450: 500 shares per ES). On SPX, spot = index level."""

BAND_REL_TOL = 1e-9
"""Relative tolerance of every hedge band: trade only when ``|net delta| > band x (1 + 1e-9)``,
so float residue (a net delta of 1000.0000000000005 against a band of 1,000) never decides a
trade. The templates' plain-Excel twins use the same rule: ``ABS(x) > band*(1+1E-9)``."""

NEW_YORK = ZoneInfo("America/New_York")
"""Naive datetimes anywhere in xlgex mean New York wall-clock time."""

PM_SETTLEMENT = _dt.time(16, 0)
"""PM-settled options (SPXW, SPY, NDXP, ...) settle at the 16:00 New York close."""

AM_SETTLEMENT = _dt.time(9, 30)
"""AM-settled options (SPX and NDX monthlies) settle at the 09:30 New York open."""

DAYS_PER_YEAR = 365.0
"""ACT/365 day count."""

MINUTES_PER_YEAR = DAYS_PER_YEAR * 24 * 60
"""Year fractions are measured in whole minutes over ACT/365."""

CLASSIC_DAYS_PER_YEAR = 262.0
"""Weekdays per year used by the widely copied public GEX script (``preset="classic"`` only)."""

CONVENTIONS = {
    "calls_long_puts_short": "dealers long calls, short puts (calls minus puts; most public GEX tools)",
    "calls_short_puts_long": "dealers short calls, long puts (customers buy calls, sell puts)",
    "all_short": "dealers short every option (customers net buyers of calls and puts)",
    "signed": "dealer position column, signed contracts, + means dealers long",
}
"""Named dealer sign conventions. The regime depends on this choice; every result records it."""

DEFAULT_CONVENTION = "calls_long_puts_short"

GEX_UNITS = {
    "usd_per_1pct": "$ of underlying traded per 1% move: gamma x contracts x multiplier x S^2 x 0.01",
    "usd_per_point": "$ of underlying traded per 1.00 move: gamma x contracts x multiplier x S",
    "shares_per_usd": "units of underlying traded per 1.00 move: gamma x contracts x multiplier",
}
"""Units GEX can be reported in."""

GEX_UNIT_WORDS = {
    "usd_per_1pct": "$ per 1% move",
    "usd_per_point": "$ per 1.00 move",
    "shares_per_usd": "units of underlying per 1.00 move",
}
"""The GEX units in the few words a label or a ``repr`` shows."""

DEFAULT_GEX_UNIT = "usd_per_1pct"
