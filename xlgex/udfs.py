"""The Excel worksheet functions (xlwings UDFs). Set UDF Modules to ``xlgex.udfs``.

Each function parses its cells, calls the Python API and shapes the result; nothing here
computes. Expected user errors come back as a short ``xlgex: ...`` message in the cell.
Every function is non-volatile; chain ranges are parsed once per content (see
:func:`xlgex.cells.cached_chain`).
"""

from __future__ import annotations

import inspect

import xlwings as xw

from .cells import cached_chain, date_or_none, excel_errors, flag, number, pairs, table, text
from .conventions import CONVENTIONS, GEX_UNITS
from .core.greeks import greeks
from .flip import FLIP_METHODS, VOL_RULES, gamma_flip, gex_profile
from .gex import (
    EXPOSURE_UNITS,
    exposure_by_strike,
    gex_by_strike,
    gex_settings,
    gex_walls,
    total_gex,
)
from .hedging import hedge_ladder, hedge_trade
from .readers import parse_date
from .regime import classify_regime

__all__ = [
    "GEX_STRIKE", "GEX_TOTAL", "GEX_FLIP", "GEX_REGIME", "GEX_PROFILE", "GEX_WALLS",
    "GEX_EXPOSURE", "GEX_INFO", "BS_GREEKS", "HEDGE_TRADE", "HEDGE_LADDER",
]  # fmt: skip

ARG_DOCS = {
    "chain": "Option chain range incl. header row: long table or CBOE download",
    "spot": "Underlying price (blank: from the chain; ES/MES hedges: with index_level)",
    "index_level": "S&P 500 level: sizes ES/MES by notional with spot (blank on SPX)",
    "asof": "As-of date-time, New York (blank: from the chain, else now)",
    "convention": "Dealer signs: calls_long_puts_short (default), calls_short_puts_long, "
    "all_short, signed",
    "gamma_source": "model (default: BSM from IV) or chain (the range's Gamma column)",
    "expiries": "Blank = all, 0dte, ex0dte, or an expiry date",
    "unit": "usd_per_1pct (default), usd_per_point or shares_per_usd",
    "iv_unit": "IV column units: decimal (default), percent or auto",
    "rate": "Risk-free rate, decimal per year (default 0)",
    "div_yield": "Dividend yield, decimal per year (default 0)",
    "method": "profile (default: re-price over spots) or cumulative (by strike)",
    "preset": "Blank, or classic to match the widely used public GEX script",
    "vol_shift": "Parallel IV shift, decimal (0.02 = +2 vol points)",
    "roll_hours": "Move the clock forward this many hours (expired options drop out)",
    "vol_rule": "sticky_strike (default) or sticky_moneyness",
    "n_levels": "Number of spot levels (default 161)",
    "range_pct": "Levels span spot +- this % (default 20)",
    "skew": "25-delta put IV minus call IV, in vol points (optional)",
    "term_structure": "Front IV / back IV, or VIX/VIX3M (optional; > 1 = stress)",
    "details": "TRUE to spill the facts as a table",
    "greek": "delta (DEX), vanna (VEX), charm (CEX) or gamma (GEX)",
    "strike": "Strike price",
    "t_years": "Time to expiry in years (ACT/365), e.g. 30/365",
    "vol": "Implied volatility, decimal (0.18 = 18%)",
    "option_type": "C or P (default C)",
    "contracts": "Dealer's signed contracts: -200 = dealer sold 200",
    "delta": "Option delta per contract, -1 to 1",
    "multiplier": "Units of underlying per contract (default 100)",
    "hedge": "shares (default), ES ($50/pt), MES ($5/pt) or units per hedge",
    "current_hedge": "Hedge already held, in hedge units (default 0)",
    "gamma": "Option gamma per 1.00 move (for the delta after a move)",
    "spot_move": "Spot move since the delta was quoted (default 0)",
    "band": "Only trade when |net delta| exceeds this (underlying units)",
    "new_delta": "Option delta after the move, if known",
    "path": "Range of spot levels; the first is the start",
}
ARG_OPTIONS = {"chain": {"convert": "raw"}, "path": {"ndim": 1}}
"""The chain range arrives raw (tuples of cells, error codes as ints): read_chain coerces
every cell itself, which saves xlwings' per-cell cleaning on 30,000-row ranges."""


def udf(func):
    """Register ``func`` as an Excel function: cell errors, argument docs, xlwings metadata."""
    safe = excel_errors(func)
    for name in inspect.signature(func).parameters:
        safe = xw.arg(name, doc=ARG_DOCS[name], err_to_str=True, **ARG_OPTIONS.get(name, {}))(safe)
    return xw.func(safe)


def _chain_and_settings(chain, spot, asof, iv_unit=None, **settings):
    parsed = cached_chain(
        chain, spot=number(spot, "spot", positive=True), asof=date_or_none(asof, "asof"),
        iv_unit=text(iv_unit, "iv_unit", "decimal", ("decimal", "percent", "auto")),
    )  # fmt: skip
    choices = {"convention": tuple(CONVENTIONS), "gamma_source": ("model", "chain"),
               "unit": tuple(GEX_UNITS), "preset": ("classic",)}  # fmt: skip
    clean = {}
    for name, value in settings.items():
        if name in ("rate", "div_yield"):
            clean[name] = number(value, name, 0.0)
        elif name == "expiries":
            clean[name] = _expiries(value)
        else:
            clean[name] = text(value, name, None, choices[name])
    return parsed, gex_settings(**clean)


def _expiries(value):
    """Blank, "0dte", "ex0dte", "all", one expiry date, or a range of dates."""
    if isinstance(value, (list, tuple)) and len(value) > 1:
        return [parse_date(v, "expiries") for v in value if v not in (None, "")]
    picked = text(value, "expiries") if isinstance(value, str) else date_or_none(value, "expiries")
    if picked is None or (isinstance(picked, str) and picked.lower() in ("0dte", "ex0dte", "all")):
        return picked.lower() if isinstance(picked, str) else None
    return [parse_date(picked, "expiries")]


@udf
def GEX_STRIKE(chain, spot=None, asof=None, convention=None, gamma_source=None, expiries=None,
               unit=None, iv_unit=None, rate=None, div_yield=None):  # fmt: skip
    """Dealer GEX by strike: strike, call, put and net GEX (default $ per 1% move)."""
    c, s = _chain_and_settings(chain, spot, asof, iv_unit, convention=convention,
                               gamma_source=gamma_source, expiries=expiries, unit=unit,
                               rate=rate, div_yield=div_yield)  # fmt: skip
    return table(gex_by_strike(c, settings=s), ["strike", "call GEX", "put GEX", "net GEX"])


@udf
def GEX_TOTAL(chain, spot=None, asof=None, convention=None, gamma_source=None, expiries=None,
              unit=None, iv_unit=None, rate=None, div_yield=None):  # fmt: skip
    """Total dealer GEX at spot (default $ per 1% move)."""
    c, s = _chain_and_settings(chain, spot, asof, iv_unit, convention=convention,
                               gamma_source=gamma_source, expiries=expiries, unit=unit,
                               rate=rate, div_yield=div_yield)  # fmt: skip
    return float(total_gex(c, settings=s))


@udf
def GEX_FLIP(chain, spot=None, asof=None, convention=None, method=None, expiries=None,
             vol_shift=None, roll_hours=None, vol_rule=None, preset=None, iv_unit=None,
             rate=None, div_yield=None):  # fmt: skip
    """Gamma flip: the spot where dealer net GEX changes sign ("no flip: ..." if none)."""
    c, s = _chain_and_settings(chain, spot, asof, iv_unit, convention=convention,
                               expiries=expiries, preset=preset, rate=rate,
                               div_yield=div_yield)  # fmt: skip
    flip = gamma_flip(
        c, settings=s, method=text(method, "method", "profile", FLIP_METHODS),
        vol_shift=number(vol_shift, "vol_shift", 0.0),
        roll_hours=number(roll_hours, "roll_hours", 0.0, minimum=0.0),
        vol_rule=text(vol_rule, "vol_rule", "sticky_strike", VOL_RULES),
    )  # fmt: skip
    return float(flip) if flip == flip else flip.reason[:100]


@udf
def GEX_REGIME(chain, spot=None, asof=None, convention=None, skew=None, term_structure=None,
               details=None, gamma_source=None, expiries=None, iv_unit=None, rate=None,
               div_yield=None):  # fmt: skip
    """Dealer gamma regime: dampening (long gamma) or amplifying (short gamma)."""
    c, s = _chain_and_settings(chain, spot, asof, iv_unit, convention=convention,
                               gamma_source=gamma_source, expiries=expiries, rate=rate,
                               div_yield=div_yield)  # fmt: skip
    regime = classify_regime(c, settings=s, skew=number(skew, "skew"),
                             term_structure=number(term_structure, "term_structure"))  # fmt: skip
    if not flag(details, "details"):
        return regime.label
    f = regime.facts
    return pairs([
        ("regime", regime.label), ("meaning", regime.description),
        ("net GEX at spot ($ per 1%)", f["net_gex"]), ("spot", f["spot"]),
        ("gamma flip", f["flip"] if f["flip"] == f["flip"] else f["flip_reason"]),
        ("distance to flip %", f["distance_to_flip_pct"]),
        ("call wall", f["call_wall"]), ("put wall", f["put_wall"]),
        ("abs-gamma strike", f["abs_gamma_strike"]), ("0DTE share of gross GEX", f["share_0dte"]),
        ("skew (vol pts)", f["skew_vol_pts"]), ("term structure", f["term_structure"]),
        ("convention", f["convention"]),
    ])  # fmt: skip


@udf
def GEX_PROFILE(chain, spot=None, asof=None, convention=None, n_levels=None, range_pct=None,
                vol_shift=None, roll_hours=None, vol_rule=None, expiries=None, preset=None,
                iv_unit=None, rate=None, div_yield=None):  # fmt: skip
    """Net dealer GEX re-priced over spot levels: spot, call, put, net (for a chart)."""
    c, s = _chain_and_settings(chain, spot, asof, iv_unit, convention=convention,
                               expiries=expiries, preset=preset, rate=rate,
                               div_yield=div_yield)  # fmt: skip
    profile = gex_profile(
        c, settings=s, n_levels=int(number(n_levels, "n_levels", 161, minimum=2)),
        range_pct=number(range_pct, "range_pct", 20.0, positive=True),
        vol_shift=number(vol_shift, "vol_shift", 0.0),
        roll_hours=number(roll_hours, "roll_hours", 0.0, minimum=0.0),
        vol_rule=text(vol_rule, "vol_rule", "sticky_strike", VOL_RULES),
    )  # fmt: skip
    return table(profile, ["spot", "call GEX", "put GEX", "net GEX"])


@udf
def GEX_WALLS(chain, spot=None, asof=None, convention=None, gamma_source=None, expiries=None,
              iv_unit=None, rate=None, div_yield=None):  # fmt: skip
    """Call wall, put wall and absolute-gamma strike, as a two-column table."""
    c, s = _chain_and_settings(chain, spot, asof, iv_unit, convention=convention,
                               gamma_source=gamma_source, expiries=expiries, rate=rate,
                               div_yield=div_yield)  # fmt: skip
    w = gex_walls(c, settings=s)
    return pairs([("call wall", w["call_wall"]), ("put wall", w["put_wall"]),
                  ("abs-gamma strike", w["abs_gamma_strike"])])  # fmt: skip


@udf
def GEX_EXPOSURE(chain, greek=None, spot=None, asof=None, convention=None, expiries=None,
                 iv_unit=None, rate=None, div_yield=None):  # fmt: skip
    """Dealer delta, vanna or charm exposure by strike (DEX, VEX, CEX in $)."""
    c, s = _chain_and_settings(chain, spot, asof, iv_unit, convention=convention,
                               expiries=expiries, rate=rate, div_yield=div_yield)  # fmt: skip
    greek = text(greek, "greek", "delta", tuple(EXPOSURE_UNITS))
    df = exposure_by_strike(c, greek, settings=s)
    return table(df, ["strike", f"call {greek}", f"put {greek}", f"net {greek}"])


@udf
def GEX_INFO(chain, spot=None, asof=None, convention=None, gamma_source=None, expiries=None,
             iv_unit=None, rate=None, div_yield=None):  # fmt: skip
    """Every assumption and diagnostic behind the GEX numbers, as a two-column table."""
    c, s = _chain_and_settings(chain, spot, asof, iv_unit, convention=convention,
                               gamma_source=gamma_source, expiries=expiries, rate=rate,
                               div_yield=div_yield)  # fmt: skip
    total, d = total_gex(c, settings=s), c.diagnostics
    rows = [
        ("convention", s.convention), ("meaning", CONVENTIONS[s.convention]),
        ("gamma source", s.gamma_source), ("time rule", total.time_rule),
        ("unit", GEX_UNITS[s.unit]), ("spot", c.spot), ("spot source", d.spot_source),
        ("as of (New York)", c.asof), ("as-of source", d.asof_source),
        ("IV unit", d.iv_unit), ("rows read", d.rows_read), ("contracts used", total.contracts_priced),
        ("rows without IV (excluded)", total.info.get("rows_excluded_no_iv", 0)),
        ("0DTE share of gross GEX", total.share_0dte),
    ]  # fmt: skip
    rows += [(f"dropped: {reason}", count) for reason, count in d.dropped.items()]
    rows += [("note", note) for note in d.assumptions]
    return pairs(rows)


@udf
def BS_GREEKS(spot, strike, t_years, vol, rate=None, div_yield=None, option_type=None):
    """Black-Scholes-Merton price and greeks of one option: a labelled row."""
    kind = text(option_type, "option_type", "c", ("c", "p", "call", "put"))
    g = greeks(number(spot, "spot", positive=True), number(strike, "strike", positive=True),
               number(t_years, "t_years", 0.0), number(vol, "vol", 0.0),
               number(rate, "rate", 0.0), number(div_yield, "div_yield", 0.0),
               kind in ("c", "call"))  # fmt: skip
    return [list(g), [float(v) for v in g.values()]]


@udf
def HEDGE_TRADE(contracts, delta, multiplier=None, hedge=None, current_hedge=None, gamma=None,
                spot_move=None, band=None, new_delta=None, details=None, spot=None,
                index_level=None):  # fmt: skip
    """Delta-hedge trade in hedge units (+ buy, - sell) to make the book delta-neutral."""
    result = hedge_trade(
        number(contracts, "contracts"), number(delta, "delta"),
        multiplier=number(multiplier, "multiplier", 100.0), hedge=_hedge(hedge),
        current_hedge=number(current_hedge, "current_hedge", 0.0),
        gamma=number(gamma, "gamma"), spot_move=number(spot_move, "spot_move", 0.0),
        band=number(band, "band", 0.0), new_delta=number(new_delta, "new_delta"),
        spot=number(spot, "spot"), index_level=number(index_level, "index_level"),
    )  # fmt: skip
    if not flag(details, "details"):
        return float(result["trade"])
    labels = {"trade": "trade", "target": "target hedge", "position_delta": "dealer delta",
              "option_delta": "option delta", "net_delta_before": "net delta before trade",
              "residual_delta": "residual delta", "triggered": "band triggered",
              "units_per_hedge": "units per hedge", "hedge": "hedge",
              "hedge_rule": "hedge sizing"}  # fmt: skip
    return pairs((label, result[key]) for key, label in labels.items())


def _hedge(value):
    """A hedge instrument name, or a number of underlying units per hedge unit."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value, "hedge", positive=True)
    return text(value, "hedge", "shares")


@udf
def HEDGE_LADDER(contracts, path, delta=None, gamma=None, strike=None, t_years=None, vol=None,
                 option_type=None, multiplier=None, hedge=None, band=None, rate=None,
                 div_yield=None, spot=None, index_level=None):  # fmt: skip
    """Rehedge ladder along a spot path: trades, hedge held, hedge and gamma P&L."""
    levels = [number(v, "path", positive=True) for v in (path or []) if v not in (None, "")]
    kind = text(option_type, "option_type", None, ("c", "p", "call", "put"))
    ladder = hedge_ladder(
        number(contracts, "contracts"), path=levels, delta=number(delta, "delta"),
        gamma=number(gamma, "gamma"), strike=number(strike, "strike"),
        t_years=number(t_years, "t_years"), vol=number(vol, "vol"),
        is_call=None if kind is None else kind in ("c", "call"),
        rate=number(rate, "rate", 0.0), div_yield=number(div_yield, "div_yield", 0.0),
        multiplier=number(multiplier, "multiplier", 100.0), hedge=_hedge(hedge),
        band=number(band, "band", 0.0), spot=number(spot, "spot"),
        index_level=number(index_level, "index_level"),
    )  # fmt: skip
    columns = ["step", "spot", "option_delta", "position_delta", "trade", "hedge_held",
               "band_triggered", "hedge_pnl_cum", "gamma_pnl_cum"]  # fmt: skip
    return table(ladder[columns], [c.replace("_", " ") for c in columns])
