"""A grid's contracts, validated column by column, into a :class:`~xlgex.chain.Chain`.

Every column is converted as a whole (numpy/pandas), and dates and labels are parsed once
per distinct value, so a 30,000-row range reads in a few tens of milliseconds. A row is blank
(and dropped, counted) when its strike and every field that defines a contract are blank; a
line holding only a date separates expiries (Fidelity). IVs that are blank, 0 or a
placeholder are solved from bid/ask quotes where the row has them (:mod:`.quotes`).
"""

from __future__ import annotations

import numpy as np

from ..chain import Chain, Diagnostics
from ..conventions import AM_SETTLEMENT, CONTRACT_MULTIPLIER, PM_SETTLEMENT
from ..errors import error
from .dates import _dates, _parse_when
from .grid import _Grid
from .layouts import _Side, long_sides, side_by_side
from .preamble import column_asof, column_spot, from_preamble, resolve
from .quotes import IV_PLACEHOLDER, solve_missing_iv
from .values import (
    _ROOT_PREFIX,
    _numbers,
    _parse_type,
    _per_value,
    _root_is_am,
    _settlement_is_am,
    _Where,
    percent_cells,
)

__all__ = ["chain_from_grid"]

_IV_PERCENT_MEDIAN = 2.0  # a median IV above 200% only makes sense in percent


_IV_DECIMAL_MEDIAN = 1.0  # a median IV below 1% only makes sense in decimals


def chain_from_grid(grid: _Grid, *, spot, asof, unit: str, multiplier, iv_from_quotes: bool) -> Chain:
    """The chain in ``grid`` with arguments already validated (see :func:`xlgex.readers.read_chain`)."""
    diag = Diagnostics(iv_unit=unit)
    cboe = side_by_side(grid)
    sides = cboe if cboe is not None else long_sides(grid)
    for text in grid.notes:
        diag.note(text)
    c, found_spot, found_asof = _read_contracts(grid, sides, multiplier, diag)
    bid, ask = c.pop("bid"), c.pop("ask")
    c["iv"] = _without_placeholders(c["iv"], diag)  # in either unit, before judging the unit
    c["iv"] = _iv_in_decimals(c["iv"], unit, diag, grid.label(sides[0].cols.get("iv")))
    if all("iv" not in side.cols for side in sides):
        diag.note("no IV column: IVs only from bid/ask quotes, or the Gamma column")
    if grid.preamble:
        title_spot, title_asof = from_preamble(grid, cboe is not None and "calls" in grid.keys)
        found_spot = found_spot or title_spot
        found_asof = found_asof or title_asof
    found_spot = grid.found.get("spot") or found_spot
    found_asof = grid.found.get("asof") or found_asof
    spot_value = resolve(spot, found_spot, "spot", diag)
    asof_value = resolve(asof, found_asof, "asof", diag)
    if iv_from_quotes:
        c["iv"] = solve_missing_iv(c, bid, ask, spot_value, asof_value, diag)

    chain = Chain.from_arrays(spot=spot_value, asof=asof_value, diagnostics=diag, **c)
    missing = ~chain.has_iv
    if missing.any():
        diag.note(
            f"{int(missing.sum())} of {len(chain)} live contracts have no IV (blank or <= 0), "
            f"carrying {chain.open_interest[missing].sum():g} open interest: no model gamma"
        )
    return chain


def _without_placeholders(iv: np.ndarray, diag: Diagnostics) -> np.ndarray:
    """IVs below :data:`IV_PLACEHOLDER` (yfinance's 1e-05 on unquoted rows) mean "no IV"."""
    fake = (iv > 0) & (iv < IV_PLACEHOLDER)
    if fake.any():
        diag.note(f"{int(fake.sum())} IVs below {IV_PLACEHOLDER:g} taken as placeholders (no IV)")
        iv = np.where(fake, np.nan, iv)
    return iv


_STANDARD_SIZE = ("REGULAR", "Regular", "regular", "STANDARD", "Standard")
"""Contract-size words meaning the standard multiplier (yfinance writes ``REGULAR``)."""


def _read_contracts(grid: _Grid, sides: list, mult_arg, diag: Diagnostics):
    """Arrays for :meth:`Chain.from_arrays` with blank rows dropped and every cell validated,
    plus the spot and as-of found in columns (``(value, note, source)`` or None)."""
    first = sides[0].cols
    where = _Where(grid.rows)
    strike_label = grid.label(first["strike"])
    strike, strike_blank = _numbers(grid.column(first["strike"]), strike_label, where)
    where.strike = strike
    expiry_label = grid.label(first["expiry"])
    expiry, expiry_blank = _dates(grid.column(first["expiry"]), expiry_label, where)

    found = {}
    shared_blank = strike_blank  # a line holding only a date separates expiries (Fidelity)
    parts = [_read_side(grid, side, where, mult_arg, shared_blank, found, diag) for side in sides]
    n_sides = len(parts)
    c = {name: None if parts[0][name] is None else np.concatenate([p[name] for p in parts])
         for name in parts[0]}  # fmt: skip
    blank = c.pop("blank")
    rows = np.tile(grid.rows, n_sides)
    strike, expiry = np.tile(strike, n_sides), np.tile(expiry, n_sides)
    where = _Where(rows, strike)

    diag.rows_read = int(blank.size)
    diag.drop("blank", int(blank.sum()))
    keep = ~blank
    if not keep.any():
        raise error("empty", row=grid.header_row)
    for hole, label, what in ((np.isnan(strike), strike_label, "strike"),
                              (np.isnat(expiry), expiry_label, "expiry")):  # fmt: skip
        hole &= keep
        if hole.any():
            raise where.fail("blank", int(np.argmax(hole)), label, what=what)
    low = keep & (strike <= 0)
    if low.any():
        i = int(np.argmax(low))
        raise _Where(rows).fail("not_positive", i, strike_label, what="strike",
                                value=float(strike[i]))  # fmt: skip

    out = {name: None if v is None else v[keep] for name, v in c.items()}
    out.update(strike=strike[keep], expiry=expiry[keep], source_row=rows[keep])
    _note_settlement(out["am_settled"], first, diag)
    return out, found.get("spot"), found.get("asof")


def _read_side(grid, side: _Side, where: _Where, mult_arg, shared_blank, found, diag) -> dict:
    """One side's contract arrays and its blank mask; column spot/as-of go into ``found``."""
    cols, suffix = side.cols, side.suffix
    n = len(grid.rows)
    absent = np.ones(n, dtype=bool)

    def label(field):
        return grid.label(cols.get(field), suffix)

    def numbers(field):
        if field not in cols:
            return None, absent
        column = grid.column(cols[field])
        if field == "multiplier" and column.dtype == object:  # yfinance's contractSize
            column = np.where(np.isin(column, _STANDARD_SIZE), None, column)
        if field == "iv":
            column = percent_cells(column)
        return _numbers(column, label(field), where)

    def per_value(field, parse, dtype, fill, prefix=None):
        if field not in cols:
            return None, absent
        column = grid.column(cols[field])
        return _per_value(column, label(field), where, parse, dtype, fill, prefix)

    oi, oi_blank = numbers("open_interest")
    iv, iv_blank = numbers("iv")
    gamma, gamma_blank = numbers("gamma")
    dealer, dealer_blank = numbers("dealer_position")
    mult, mult_blank = numbers("multiplier")
    spot, _ = numbers("spot")
    bid, _ = numbers("bid")
    ask, _ = numbers("ask")
    if side.is_call is None:
        is_call, type_blank = per_value("type", _parse_type, bool, False)
    else:
        is_call, type_blank = np.full(n, side.is_call), absent
    am_root, _ = per_value("root", _root_is_am, bool, False, _ROOT_PREFIX)
    am_said, said_blank = per_value("settlement", _settlement_is_am, bool, False)
    asof, asof_blank = per_value("asof", _parse_when, object, None)
    # a row is blank when every field that defines a contract is (descriptive columns such as
    # Root or Multiplier filled down past the data do not make a contract)
    blank = shared_blank & type_blank & oi_blank & iv_blank & gamma_blank & dealer_blank
    keep = ~blank

    _check_side(where, label, keep & type_blank & (side.is_call is None), keep, oi, mult)
    default_mult = CONTRACT_MULTIPLIER if mult_arg is None else mult_arg
    mult = np.full(n, default_mult) if mult is None else np.where(mult_blank, default_mult, mult)

    am = np.zeros(n, dtype=bool) if am_root is None else am_root
    if am_said is not None:
        am = np.where(said_blank, am, am_said)
    if dealer is not None and (keep & dealer_blank).any():
        diag.note(f"{int((keep & dealer_blank).sum())} blank Dealer Position cells taken as 0")
    if side.is_call is None:
        found["spot"] = column_spot(spot, keep, label("spot"), where)
        found["asof"] = column_asof(asof, keep & ~asof_blank, label("asof"))
    return {
        "is_call": is_call,
        "open_interest": np.where(oi_blank, 0.0, oi),
        "iv": np.full(n, np.nan) if iv is None else iv,
        "chain_gamma": np.full(n, np.nan) if gamma is None else gamma,
        "dealer_position": None if dealer is None else np.where(dealer_blank, 0.0, dealer),
        "multiplier": mult,
        "am_settled": am,
        "bid": np.full(n, np.nan) if bid is None else bid,
        "ask": np.full(n, np.nan) if ask is None else ask,
        "blank": blank,
    }


def _check_side(where: _Where, label, no_type, keep, oi, mult) -> None:
    """Kept rows need a type, open interest >= 0 and a multiplier > 0."""
    if no_type.any():
        raise where.fail("blank", int(np.argmax(no_type)), label("type"), what="option type")
    if oi is not None and (keep & (oi < 0)).any():
        i = int(np.argmax(keep & (oi < 0)))
        raise where.fail("negative", i, label("open_interest"), what="open interest", value=float(oi[i]))
    if mult is not None and (keep & (mult <= 0)).any():
        i = int(np.argmax(keep & (mult <= 0)))
        raise where.fail("not_positive", i, label("multiplier"), what="multiplier", value=float(mult[i]))


def _note_settlement(am: np.ndarray, cols: dict, diag: Diagnostics) -> None:
    if "root" not in cols and "settlement" not in cols:
        diag.note("no Root or Settlement column: all contracts taken as PM-settled")
        return
    diag.note(
        f"{int(am.sum())} of {am.size} contracts AM-settled ({AM_SETTLEMENT:%H:%M} NY), "
        f"the rest PM ({PM_SETTLEMENT:%H:%M} NY)"
    )


def _iv_in_decimals(iv: np.ndarray, unit: str, diag: Diagnostics, column) -> np.ndarray:
    positive = iv[np.isfinite(iv) & (iv > 0)]
    if positive.size == 0:
        diag.iv_unit = "decimal" if unit == "auto" else unit
        return iv
    median = float(np.median(positive))
    if unit == "auto":
        unit = "percent" if median > _IV_PERCENT_MEDIAN else "decimal"
        diag.note(f"IV unit inferred: {unit} (median of positive IVs {median:.3g})")
    elif unit == "decimal" and median > _IV_PERCENT_MEDIAN:
        raise error("iv_percent", column=column, median=median)
    elif unit == "percent" and median < _IV_DECIMAL_MEDIAN:
        raise error("iv_decimal", column=column, median=median)
    diag.iv_unit = unit
    return iv / 100.0 if unit == "percent" else iv
