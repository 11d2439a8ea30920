"""The Excel worksheet functions (xlwings UDFs). Set UDF Modules to ``xlgex.udfs``.

Each function parses its cells, calls the Python API and shapes the result; nothing here
computes. Expected user errors come back as a short ``xlgex: ...`` message in the cell.
Every function is non-volatile; chain ranges are parsed once per content (see
:func:`xlgex.cells.cached_chain`).
"""

from __future__ import annotations

import inspect

import xlwings as xw

from .cells import (
    cached_chain,
    cells_of,
    count,
    date_or_none,
    excel_errors,
    finite,
    flag,
    levels,
    number,
    one_line,
    pairs,
    rate,
    table,
    text,
    vol,
)
from .conventions import CONVENTIONS, GEX_UNITS

# The analysis modules (pandas, scipy) are imported inside the functions that need them, so
# `import xlgex.udfs` stays light: xlwings Lite imports it at every workbook start (Pyodide).

__all__ = [
    "GEX_STRIKE", "GEX_TOTAL", "GEX_FLIP", "GEX_REGIME", "GEX_PROFILE", "GEX_WALLS",
    "GEX_EXPOSURE", "GEX_INFO", "BS_GREEKS", "HEDGE_TRADE", "HEDGE_LADDER",
    "GEX_EXPIRY", "GEX_LEVELS", "GEX_MOVE", "GEX_SKEW", "GEX_BOOK", "GEX_HISTORY",
]  # fmt: skip

ARG_DOCS = {
    "chain": "Option chain range incl. header row: long table or CBOE download",
    "spot": "Underlying price (blank: from the chain; ES/MES hedges: with index_level)",
    "index_level": "S&P 500 level: sizes ES/MES by notional with spot (blank on SPX)",
    "asof": "As-of date-time, New York (blank: from the chain, else now)",
    "convention": "Dealer signs: calls_long_puts_short (default), calls_short_puts_long, "
    "all_short, signed",
    "gamma_source": "model (default: BSM from IV) or chain (the range's Gamma column)",
    "expiries": "Blank = all, 0dte, ex0dte, weekly, monthly, <=7d, 8-30d, >30d, a date, "
    "or 2026-12-01..2026-12-31",
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
    "skew": "25-delta put IV minus call IV, in vol points (blank: the chain's risk reversal)",
    "term_structure": "Front IV / back IV, or VIX/VIX3M; > 1 = stress (blank: chain's 30d/90d ATM IV)",
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
    "n": "How many strikes in each top list (default 5)",
    "anywhere": "TRUE: walls at any strike; FALSE (default): call wall >= spot, put wall <= spot",
    "view": "Blank = table by expiry; 0dte = the 0DTE panel (GEX, flip, straddle breakevens)",
    "chains": "S&P 500 option chain ranges (SPX, SPY, XSP, ES) incl. header rows; the first "
    "sets the points, spot and as-of",
    "history_file": "Path of a history written by xlgex history (.csv, .parquet or .xlsx)",
    "underlying": "Blank = every underlying, or one (e.g. SPX)",
    "columns": "Blank = the main columns, or column names separated by commas",
    "iv_from_quotes": "TRUE (default): a blank IV from the other side's IV or the bid/ask mid; "
    "FALSE: leave it blank (contract not priced)",
    "last_n": "Only the last n snapshots (blank = all)",
}
ARG_OPTIONS = {"chain": {"convert": "raw"}, "chains": {"convert": "raw"}}
"""The chain range arrives raw (tuples of cells, error codes as ints; Office.js lists with
JsNull and error dicts): :func:`xlgex.cells.cached_chain` and read_chain coerce every cell,
which saves xlwings' per-cell cleaning on 30,000-row ranges. ``path`` takes any shape, so a
2-D range gets a message from :func:`xlgex.cells.levels` instead of an xlwings exception."""

FLIP_METHODS = ("profile", "cumulative")
VOL_RULES = ("sticky_strike", "sticky_moneyness")
EXPOSURE_GREEKS = ("delta", "vanna", "charm", "gamma")
MAX_LEVELS = 20_001
"""Most spot levels GEX_PROFILE computes (a sheet holds 1,048,576 rows; 20,001 is ample)."""


def udf(func):
    """Register ``func`` as an Excel function: cell errors, argument docs, xlwings metadata."""
    safe = excel_errors(func)
    for name in inspect.signature(func).parameters:
        safe = xw.arg(name, doc=ARG_DOCS[name], err_to_str=True, **ARG_OPTIONS.get(name, {}))(safe)
    return xw.func(safe)


def _read(chain, spot=None, asof=None, iv_unit=None, iv_from_quotes=None):
    """The one way a worksheet function reads a chain range (cached by content and settings)."""
    return cached_chain(
        chain, spot=number(spot, "spot", positive=True), asof=date_or_none(asof, "asof"),
        iv_unit=text(iv_unit, "iv_unit", "decimal", ("decimal", "percent", "auto")),
        iv_from_quotes=flag(iv_from_quotes, "iv_from_quotes", True),
    )  # fmt: skip


_SETTINGS = ("convention", "gamma_source", "expiries", "unit", "preset", "rate", "div_yield")
"""The GEX settings a worksheet function may take, in the order they are checked."""


def _chain_and_settings(args: dict):
    """The chain and the GEX settings from a worksheet function's arguments: its ``locals()``,
    taken before anything else is assigned. Every setting in its signature is checked (in
    :data:`_SETTINGS` order); the ones it does not take keep their defaults."""
    from .gex import gex_settings

    parsed = _read(args["chain"], args["spot"], args["asof"], args["iv_unit"],
                   args["iv_from_quotes"])  # fmt: skip
    choices = {"convention": tuple(CONVENTIONS), "gamma_source": ("model", "chain"),
               "unit": tuple(GEX_UNITS), "preset": ("classic",)}  # fmt: skip
    clean = {}
    for name in (n for n in _SETTINGS if n in args):
        value = args[name]
        if name in ("rate", "div_yield"):
            clean[name] = rate(value, name)
        elif name == "expiries":
            clean[name] = _expiries(value)
        else:
            clean[name] = text(value, name, None, choices[name])
    return parsed, gex_settings(**clean)


def _expiries(value):
    """Blank, a window as text (0dte, weekly, <=7d, 2026-12-01..2026-12-31, ...: read by
    :func:`xlgex.expiries.window_mask`), or expiry dates (date cells or a range of them)."""
    from .readers import parse_date

    picked = [v for v in (date_or_none(c, "expiries") for c in cells_of(value)) if v is not None]
    if len(picked) == 1 and isinstance(picked[0], str):
        return picked[0].strip().lower()
    return [parse_date(v, "expiries") for v in picked] or None


def _shift_args(vol_shift, roll_hours, vol_rule) -> dict:
    """The what-if arguments of GEX_FLIP and GEX_PROFILE."""
    return {
        "vol_shift": vol(vol_shift, "vol_shift", 0.0, limit=1.0, shift=True),  # |shift| <= 100 pts
        "roll_hours": number(roll_hours, "roll_hours", 0.0, minimum=0.0),
        "vol_rule": text(vol_rule, "vol_rule", "sticky_strike", VOL_RULES),
    }


@udf
def GEX_STRIKE(chain, spot=None, asof=None, convention=None, gamma_source=None, expiries=None,
               unit=None, iv_unit=None, rate=None, div_yield=None, iv_from_quotes=None):  # fmt: skip
    """Dealer GEX by strike: strike, call, put and net GEX (default $ per 1% move)."""
    from .gex import gex_by_strike

    c, s = _chain_and_settings(locals())
    return table(gex_by_strike(c, settings=s), ["strike", "call GEX", "put GEX", "net GEX"])


@udf
def GEX_TOTAL(chain, spot=None, asof=None, convention=None, gamma_source=None, expiries=None,
              unit=None, iv_unit=None, rate=None, div_yield=None, iv_from_quotes=None):  # fmt: skip
    """Total dealer GEX at spot (default $ per 1% move)."""
    from .gex import total_gex

    c, s = _chain_and_settings(locals())
    return finite(total_gex(c, settings=s), "open interest, spot and multiplier")


@udf
def GEX_FLIP(chain, spot=None, asof=None, convention=None, method=None, expiries=None,
             vol_shift=None, roll_hours=None, vol_rule=None, preset=None, iv_unit=None,
             rate=None, div_yield=None, details=None, iv_from_quotes=None):  # fmt: skip
    """Gamma flip: the spot where dealer net GEX changes sign ("no flip: ..." if none)."""
    from .flip import gamma_flip

    c, s = _chain_and_settings(locals())
    how = {"method": text(method, "method", "profile", FLIP_METHODS),
           **_shift_args(vol_shift, roll_hours, vol_rule)}  # fmt: skip
    if flag(details, "details"):
        return _flip_details(c, s, how)
    flip = gamma_flip(c, settings=s, **how)
    return float(flip) if flip == flip else one_line(flip.reason)


def _flip_details(c, s, how) -> list:
    """GEX_FLIP(..., details=TRUE): every crossing, its direction and distance from spot."""
    from .levels import flip_crossings

    df = flip_crossings(c, settings=s, **how)
    if df.empty:
        return [["crossing", "direction", "distance from spot", "distance %"],
                [one_line(df.attrs["reason"]), "", "", ""]]  # fmt: skip
    df = df.assign(direction=df["direction"].map(_DIRECTION_TEXT))
    return table(df, ["crossing", "direction", "distance from spot", "distance %"])


_DIRECTION_TEXT = {"neg_to_pos": "negative to positive", "pos_to_neg": "positive to negative"}


@udf
def GEX_REGIME(chain, spot=None, asof=None, convention=None, skew=None, term_structure=None,
               details=None, gamma_source=None, expiries=None, iv_unit=None, rate=None,
               div_yield=None, iv_from_quotes=None):  # fmt: skip
    """Dealer gamma regime: dampening (long gamma) or amplifying (short gamma)."""
    from .regime import classify_regime

    c, s = _chain_and_settings(locals())
    regime = classify_regime(c, settings=s, skew=number(skew, "skew"),
                             term_structure=number(term_structure, "term_structure"))  # fmt: skip
    f = regime.facts
    finite(f["net_gex"], "open interest, spot and multiplier")  # never "Flat gamma" on NaN
    if not flag(details, "details"):
        return regime.label
    return pairs([
        ("regime", regime.label), ("meaning", regime.description),
        ("net GEX at spot ($ per 1%)", f["net_gex"]), ("spot", f["spot"]),
        ("gamma flip", f["flip"] if f["flip"] == f["flip"] else f["flip_reason"]),
        ("distance to flip %", f["distance_to_flip_pct"]),
        ("call wall", f["call_wall"]), ("put wall", f["put_wall"]),
        ("abs-gamma strike", f["abs_gamma_strike"]), ("0DTE share of gross GEX", f["share_0dte"]),
        ("skew (vol pts)", f["skew_vol_pts"]), ("skew source", f.get("skew_source")),
        ("term structure", f["term_structure"]),
        ("term structure source", f.get("term_structure_source")),
        ("convention", f["convention"]),
    ])  # fmt: skip


@udf
def GEX_PROFILE(chain, spot=None, asof=None, convention=None, n_levels=None, range_pct=None,
                vol_shift=None, roll_hours=None, vol_rule=None, expiries=None, preset=None,
                iv_unit=None, rate=None, div_yield=None, iv_from_quotes=None):  # fmt: skip
    """Net dealer GEX re-priced over spot levels: spot, call, put, net (for a chart)."""
    from .flip import gex_profile

    c, s = _chain_and_settings(locals())
    profile = gex_profile(
        c, settings=s, n_levels=count(n_levels, "n_levels", 161, minimum=2, maximum=MAX_LEVELS),
        range_pct=number(range_pct, "range_pct", 20.0, positive=True),
        **_shift_args(vol_shift, roll_hours, vol_rule),
    )  # fmt: skip
    return table(profile, ["spot", "call GEX", "put GEX", "net GEX"])


@udf
def GEX_WALLS(chain, spot=None, asof=None, convention=None, gamma_source=None, expiries=None,
              iv_unit=None, rate=None, div_yield=None, anywhere=None, iv_from_quotes=None):  # fmt: skip
    """Call wall (at or above spot), put wall (at or below) and abs-gamma strike, as a table."""
    from .gex import gex_walls

    c, s = _chain_and_settings(locals())
    w = gex_walls(c, anywhere=flag(anywhere, "anywhere"), settings=s)
    return pairs([(label, w["reasons"].get(key, w[key])) for key, label in
                  (("call_wall", "call wall"), ("put_wall", "put wall"),
                   ("abs_gamma_strike", "abs-gamma strike"))])  # fmt: skip


@udf
def GEX_EXPOSURE(chain, greek=None, spot=None, asof=None, convention=None, expiries=None,
                 iv_unit=None, rate=None, div_yield=None, iv_from_quotes=None):  # fmt: skip
    """Dealer delta, vanna or charm exposure by strike (DEX, VEX, CEX in $)."""
    from .gex import exposure_by_strike

    c, s = _chain_and_settings(locals())
    greek = text(greek, "greek", "delta", EXPOSURE_GREEKS)
    df = exposure_by_strike(c, greek, settings=s)
    return table(df, ["strike", f"call {greek}", f"put {greek}", f"net {greek}"])


@udf
def GEX_INFO(chain, spot=None, asof=None, convention=None, gamma_source=None, expiries=None,
             iv_unit=None, rate=None, div_yield=None, iv_from_quotes=None):  # fmt: skip
    """Every assumption and diagnostic behind the GEX numbers, as a two-column table."""
    from .errors import NothingPricedError
    from .gex import coverage, total_gex

    c, s = _chain_and_settings(locals())
    cov, d = coverage(c, settings=s), c.diagnostics
    try:
        share_0dte = total_gex(c, settings=s).share_0dte
    except NothingPricedError as err:
        share_0dte = str(err)  # shown in its row; the rest of the table still holds
    rows = [
        ("convention", s.convention), ("meaning", CONVENTIONS[s.convention]),
        ("gamma source", s.gamma_source), ("time rule", s.info()["time_rule"]),
        ("unit", GEX_UNITS[s.unit]), ("spot", c.spot), ("spot source", d.spot_source),
        ("as of (New York)", c.asof), ("as-of source", d.asof_source),
        ("IV unit", d.iv_unit), ("IVs solved from bid/ask", d.iv_solved),
        ("IVs from the other side", d.iv_other_side), ("rows read", d.rows_read),
        ("contracts read", cov["contracts_read"]), ("contracts used", cov["contracts_priced"]),
    ]  # fmt: skip
    rows += [(f"excluded: {reason}", n) for reason, n in cov["excluded"].items()]
    rows += [("0DTE share of gross GEX", share_0dte)]
    rows += _vol_rows(c, s)
    rows += [(f"dropped: {reason}", n) for reason, n in d.dropped.items() if reason != "expired"]
    rows += [("note", note) for note in d.assumptions]
    return pairs(rows)


@udf
def BS_GREEKS(spot, strike, t_years, vol, rate=None, div_yield=None, option_type=None):
    """Black-Scholes-Merton price and greeks of one option: a labelled row."""
    from .core.greeks import greeks

    kind = text(option_type, "option_type", "c", ("c", "p", "call", "put"))
    g = greeks(number(spot, "spot", positive=True), number(strike, "strike", positive=True),
               number(t_years, "t_years", 0.0, minimum=0.0), _vol(vol, "vol", 0.0),
               _rate(rate, "rate"),
               _rate(div_yield, "div_yield"),
               kind in ("c", "call"))  # fmt: skip
    return [list(g), [float(v) for v in g.values()]]


_vol, _rate = vol, rate  # BS_GREEKS and HEDGE_LADDER have arguments named vol and rate


@udf
def HEDGE_TRADE(contracts, delta, multiplier=None, hedge=None, current_hedge=None, gamma=None,
                spot_move=None, band=None, new_delta=None, details=None, spot=None,
                index_level=None):  # fmt: skip
    """Delta-hedge trade in hedge units (+ buy, - sell) to make the book delta-neutral."""
    from .hedging import hedge_trade

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
              "units_per_hedge": "units per hedge", "hedge": "hedge"}  # fmt: skip
    return pairs((label, result[key]) for key, label in labels.items())


def _hedge(value):
    """A hedge instrument name, or a number of underlying units per hedge unit."""
    if isinstance(value, (int, float)):  # TRUE/FALSE are refused as numbers
        return number(value, "hedge", positive=True)
    return text(value, "hedge", "shares")


@udf
def HEDGE_LADDER(contracts, path, delta=None, gamma=None, strike=None, t_years=None, vol=None,
                 option_type=None, multiplier=None, hedge=None, band=None, rate=None,
                 div_yield=None, spot=None, index_level=None):  # fmt: skip
    """Rehedge ladder along a spot path: trades, hedge held, hedge and gamma P&L."""
    from .hedging import hedge_ladder

    kind = text(option_type, "option_type", None, ("c", "p", "call", "put"))
    ladder = hedge_ladder(
        number(contracts, "contracts"), path=levels(path, "path"), delta=number(delta, "delta"),
        gamma=number(gamma, "gamma"), strike=number(strike, "strike"),
        t_years=number(t_years, "t_years"), vol=_vol(vol, "vol"),
        is_call=None if kind is None else kind in ("c", "call"),
        rate=_rate(rate, "rate"),
        div_yield=_rate(div_yield, "div_yield"),
        multiplier=number(multiplier, "multiplier", 100.0), hedge=_hedge(hedge),
        band=number(band, "band", 0.0), spot=number(spot, "spot"),
        index_level=number(index_level, "index_level"),
    )  # fmt: skip
    columns = ["step", "spot", "option_delta", "position_delta", "trade", "hedge_held",
               "band_triggered", "hedge_pnl_cum", "gamma_pnl_cum"]  # fmt: skip
    return table(ladder[columns], [c.replace("_", " ") for c in columns])


# -- views: by expiry, levels, expected move, skew, combined book ----------------------------


def _vol_rows(c, s) -> list:
    """GEX_INFO rows: the chain's 25-delta risk reversal and ATM term structure."""
    from .errors import XlgexError
    from .views import vol_summary

    try:
        v = vol_summary(c, settings=s)
    except XlgexError as err:
        return [("25-delta risk reversal (put - call, vol pts)", str(err))]
    rr, ts = v["rr_25d_vol_pts"], v["term_structure"]
    return [
        ("25-delta risk reversal (put - call, vol pts)", rr if rr == rr else v["skew_reason"]),
        ("risk reversal expiry (nearest 30 days)", v["rr_expiry"]),
        ("ATM term structure (30d / 90d IV)", ts if ts == ts else v["term_reason"]),
        ("front expiry", v["front_expiry"]), ("back expiry", v["back_expiry"]),
    ]  # fmt: skip


def _blank_nan(df, columns, note=""):
    """``df`` with NaN in ``columns`` shown as ``note`` (the row's note column says why)."""
    for column in columns:
        values = df[column].astype(object)
        values[df[column].isna()] = note
        df[column] = values
    return df


_ATM_FIGURES = ["atm_strike", "atm_iv", "straddle", "breakeven_low", "breakeven_high", "move",
                "low_1sd", "high_1sd"]  # fmt: skip


@udf
def GEX_EXPIRY(chain, spot=None, asof=None, convention=None, gamma_source=None, expiries=None,
               unit=None, iv_unit=None, rate=None, div_yield=None, iv_from_quotes=None):  # fmt: skip
    """Dealer GEX by expiry: settlement, days, call, put, net GEX, share of gross, max pain."""
    from .expiries import gex_by_settlement

    c, s = _chain_and_settings(locals())
    df = _blank_nan(gex_by_settlement(c, settings=s), ["max_pain"], "no open interest")
    return table(df, ["expiry", "settlement", "days", "contracts", "priced", "call GEX", "put GEX",
                      "net GEX", "share of gross", "max pain"])  # fmt: skip


def _level_rows(label, df) -> list:
    rows = [(f"{label} #{i + 1}", k, v) for i, (k, v) in enumerate(df.itertuples(index=False))]
    sign = "positive" if "positive" in label else "negative"
    return rows or [(label, f"none: no strike with {sign} net GEX", "")]


@udf
def GEX_LEVELS(chain, spot=None, asof=None, n=None, anywhere=None, convention=None,
               gamma_source=None, expiries=None, iv_unit=None, rate=None, div_yield=None,
               iv_from_quotes=None):  # fmt: skip
    """Key strikes: call/put walls by GEX and by open interest, top +GEX and -GEX strikes."""
    from .levels import gex_levels

    c, s = _chain_and_settings(locals())
    lv = gex_levels(c, count(n, "n", 5, minimum=1, maximum=1000),
                    anywhere=flag(anywhere, "anywhere"), settings=s)  # fmt: skip
    rows = [("level", "strike", "value")]
    for key, label in (("call_wall_gex", "call wall (GEX)"), ("put_wall_gex", "put wall (GEX)"),
                       ("call_wall_oi", "call wall (open interest)"),
                       ("put_wall_oi", "put wall (open interest)")):  # fmt: skip
        w = lv[key]
        rows.append((label, w["reason"] or w["strike"], w["value"]))
    rows += _level_rows("top positive net GEX", lv["top_positive"])
    rows += _level_rows("top negative net GEX", lv["top_negative"])
    import pandas as pd

    return table(pd.DataFrame(rows[1:], dtype=object), rows[0])


@udf
def GEX_MOVE(chain, spot=None, asof=None, view=None, expiries=None, convention=None,
             iv_unit=None, rate=None, div_yield=None, iv_from_quotes=None):  # fmt: skip
    """ATM straddle, breakevens and one-sigma move per expiry, or the 0DTE panel."""
    from .views import atm_by_expiry, zero_dte_panel

    c, s = _chain_and_settings(locals())
    if text(view, "view", "expiries", ("expiries", "0dte")) == "0dte":
        p = zero_dte_panel(c, settings=s)
        if p["reason"]:
            return "xlgex: " + p["reason"]
        a = p["atm"]
        return pairs([
            ("0DTE net GEX ($ per 1%)", p["gex"]),
            ("0DTE gamma flip", p["flip"] if p["flip"] == p["flip"] else p["flip_reason"]),
            ("ATM strike", a["atm_strike"] if a["reason"] == "" else a["reason"]),
            ("straddle", a["straddle"]), ("breakeven low", a["breakeven_low"]),
            ("breakeven high", a["breakeven_high"]), ("one-sigma move", a["move"]),
        ])  # fmt: skip
    df = _blank_nan(atm_by_expiry(c, settings=s), _ATM_FIGURES)
    columns = ["expiry", "settlement", "days", "atm_strike", "atm_iv", "straddle", "breakeven_low",
               "breakeven_high", "move", "low_1sd", "high_1sd", "reason"]  # fmt: skip
    return table(df[columns], ["expiry", "settlement", "days", "ATM strike", "ATM IV", "straddle",
                               "breakeven low", "breakeven high", "one-sigma move", "1-sigma low",
                               "1-sigma high", "note"])  # fmt: skip


@udf
def GEX_SKEW(chain, spot=None, asof=None, details=None, expiries=None, iv_unit=None, rate=None,
             div_yield=None, iv_from_quotes=None):  # fmt: skip
    """25-delta risk reversal (put - call IV, vol pts) and ATM term structure from the chain."""
    from .views import skew_by_expiry, vol_summary

    c, s = _chain_and_settings(locals())
    if flag(details, "details"):
        df = _blank_nan(skew_by_expiry(c, settings=s), ["atm_iv", "call_iv_25d", "put_iv_25d",
                                                         "rr_25d_vol_pts"])  # fmt: skip
        columns = ["expiry", "settlement", "days", "atm_iv", "call_iv_25d", "put_iv_25d",
                   "rr_25d_vol_pts", "reason"]  # fmt: skip
        return table(df[columns], ["expiry", "settlement", "days", "ATM IV", "25d call IV",
                                   "25d put IV", "risk reversal (vol pts)", "note"])  # fmt: skip
    v = vol_summary(c, settings=s)
    rr, ts = v["rr_25d_vol_pts"], v["term_structure"]
    return pairs([
        ("25-delta risk reversal (vol pts)", rr if rr == rr else v["skew_reason"]),
        ("risk reversal expiry", v["rr_expiry"]),
        ("ATM term structure (front / back)", ts if ts == ts else v["term_reason"]),
        ("front expiry", v["front_expiry"]), ("front ATM IV", v["front_atm_iv"]),
        ("back expiry", v["back_expiry"]), ("back ATM IV", v["back_atm_iv"]),
    ])  # fmt: skip


@udf
def GEX_BOOK(*chains):
    """Combined dealer GEX of several chains in the first chain's points, and in ES points."""
    from .book import combined_book
    from .history.sources import underlying_in_rows

    given = [values for values in chains if values not in (None, "")]
    parsed = [_book_chain(i + 1, values) for i, values in enumerate(given)]
    b = combined_book(parsed, underlyings=[underlying_in_rows(v) if isinstance(v, (list, tuple))
                                           else None for v in given])  # fmt: skip
    es = b["es_price"] == b["es_price"]
    rows = [("combined net GEX ($ per 1%)", b["total_gex"]), ("spot", b["spot"]),
            ("gamma flip", b["flip"] if b["flip"] == b["flip"] else b["flip_reason"]),
            ("call wall", b["call_wall"]), ("put wall", b["put_wall"]),
            ("abs-gamma strike", b["abs_gamma_strike"]),
            ("ES price", b["es_price"] if es else b["es_source"])]  # fmt: skip
    if es:
        rows += [(f"{name.replace('_', ' ')} (ES/MES points)", value)
                 for name, value in b["levels_es"].items()]  # fmt: skip
        rows += [("ES contracts per 1%", b["es_contracts_per_1pct"]),
                 ("MES contracts per 1%", b["mes_contracts_per_1pct"])]  # fmt: skip
    rows += [(f"chain {i + 1} spot ratio", r) for i, r in enumerate(b["ratios"])]
    return pairs(rows)


def _book_chain(i: int, values):
    """Chain ``i`` of GEX_BOOK, read as every chain is (IV unit inferred): a reading error
    names the chain, and a missing spot says where a range can carry one."""
    from .errors import MESSAGES, XlgexError

    try:
        return _read(values, iv_unit="auto")
    except XlgexError as err:
        why = str(err).removeprefix("xlgex: ")
        if MESSAGES["no_spot"] in why:
            why = ("no spot price: put it in the range, as a 'Last: 4500' line above the header "
                   "(as in a CBOE download) or an Underlying Price column")  # fmt: skip
        raise XlgexError(f"xlgex: chain {i}: {why}") from None


@udf
def GEX_HISTORY(history_file, underlying=None, columns=None, last_n=None):
    """A history from xlgex history, one row per snapshot: time, spot, GEX, flip, walls, regime."""
    from .errors import XlgexError
    from .history.excel import history_table

    path = text(history_file, "history_file")
    if path is None:
        raise XlgexError("xlgex: give history_file, the path of a history written by xlgex history")
    n = count(last_n, "last_n", 0, minimum=0, maximum=1_048_575)
    return history_table(path, text(underlying, "underlying"), text(columns, "columns"), n or None)
