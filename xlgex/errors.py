"""Errors a user can cause, and their messages, kept in one place.

Every expected user error is an :class:`XlgexError` (a ``ValueError``). The Excel layer
turns it into a one-line cell message; anything else is a bug and still raises.
"""

from __future__ import annotations

__all__ = [
    "XlgexError", "ChainError", "HedgeError", "NothingPricedError", "OverflowXlgexError",
    "MESSAGES", "at", "error", "EXCEL_ERROR_CODES", "EXCEL_ERROR_TEXTS", "EXCLUSION_TEXTS",
]  # fmt: skip


class XlgexError(ValueError):
    """A problem with the user's input. ``str(err)`` is short enough for a cell."""


class ChainError(XlgexError):
    """An option chain that cannot be read or validated."""


class HedgeError(XlgexError):
    """Hedge inputs that make no sense."""


EXCLUSION_TEXTS = {
    "expired": "{n:,} expired",
    "no_iv": "{n:,} without IV",
    "no_gamma": "{n:,} without chain gamma",
    "filtered": "{n:,} filtered out by expiries={expiries}",
}
"""How each reason a contract is not priced reads in a message (see ``xlgex.gex.coverage``)."""


_NO_QUOTE_TIME = ("no quote time in the file: as-of = now was used; give an as-of "
                 "(--asof, or asof in a cell)")
"""Said when nothing is priced and the as-of was "now" (blank, and the file carries none)."""


class NothingPricedError(XlgexError):
    """No contract could be priced, so there is no figure: the message gives the counts.

    ``coverage`` is the dict of :func:`xlgex.gex.coverage` the message was built from.
    """

    def __init__(self, coverage: dict):
        self.coverage = coverage
        excluded = coverage["excluded"]
        parts = [text.format(n=excluded[reason], expiries=coverage.get("expiries_text", ""))
                 for reason, text in EXCLUSION_TEXTS.items() if excluded.get(reason)]  # fmt: skip
        why = ", ".join(parts) if parts else "the chain has no contracts"
        if coverage.get("asof_source") == "now":
            why += f"; {_NO_QUOTE_TIME}"
        super().__init__(f"xlgex: no contract priced at {coverage['asof_text']}: {why}")


class OverflowXlgexError(XlgexError):
    """A result too large for a float (inf or NaN): reported, never returned."""


_XL_ERROR_BASE = -2146828288  # 0x800A0000: Excel error n arrives through COM as base + n
EXCEL_ERROR_CODES = {
    _XL_ERROR_BASE + n: name
    for n, name in (
        (2000, "#NULL!"), (2007, "#DIV/0!"), (2015, "#VALUE!"), (2023, "#REF!"),
        (2029, "#NAME?"), (2036, "#NUM!"), (2042, "#N/A"), (2043, "#GETTING_DATA"),
        (2045, "#SPILL!"), (2046, "#CONNECT!"), (2047, "#BLOCKED!"), (2048, "#UNKNOWN!"),
        (2049, "#FIELD!"), (2050, "#CALC!"),
    )
}  # fmt: skip
"""Excel error values as the COM integers a cell or argument can arrive as."""
EXCEL_ERROR_TEXTS = frozenset(EXCEL_ERROR_CODES.values()) | {"#BUSY!", "#PYTHON!"}
"""Excel error values as text (xlwings' ``err_to_str``, or a pasted download)."""

MESSAGES = {
    "empty": "the chain has no data rows",
    "missing_column": "missing column '{name}' (looked for: {aliases})",
    "unknown_type": "option type '{value}' is not call/put (C/P)",
    "not_number": "'{value}' is not a number",
    "excel_error": "the cell holds Excel error {value}",
    "negative": "{what} {value:g} must be >= 0",
    "not_positive": "{what} {value:g} must be > 0",
    "iv_percent": "IV median {median:.3g} looks like percent; set iv_unit='percent' or divide by 100",
    "iv_decimal": "IV median {median:.3g} looks like decimals; set iv_unit='decimal'",
    "no_spot": "no spot price: give spot= (the file does not carry one)",
    "no_asof": "no as-of time: give asof= (the file does not carry one)",
    "bad_date": "'{value}' is not a date",
    "boolean": "{value} is a boolean, not a number",
    "ambiguous_number": "'{value}' is ambiguous: decimal comma or thousands separator? "
    "Type it as plain digits with a decimal point (1.5, 4500.53)",
    "not_symbol": "'{value}' is not an option symbol (like SPXW240112C04700000)",
    "cut_row": "{what}: the file ends in the middle of this row (download cut short?)",
    "blank": "{what} is missing (blank cell)",
    "bad_argument": "{what}='{value}' is not {expected}",
    "no_file": "cannot read '{path}': {reason}",
    "unknown_choice": "{what} '{value}' is not one of: {choices}",
    "no_rows_left": "no contracts left after filtering ({why})",
    "no_dealer_position": "convention 'signed' needs a Dealer Position column",
    "duplicate_contract": "rows {first} and {repeat} are the same contract (expiry, settlement, "
                          "strike, type): each contract must appear once (convention 'signed' "
                          "adds positions up)",
    "overflow": "overflow: {what} is too large for a number (open interest up to {oi:.3g}, spot {spot:.3g})",
    "not_finite": "{what} {value} is not a finite number",
    "too_many_levels": "{n:,} spot levels is too many: at most {most:,} "
                       "(a finer grid over a narrower range_pct)",
    # hedging (xlgex.hedging)
    "hedge_zero_contracts": "contracts must be nonzero (signed: -200 means the dealer sold 200)",
    "hedge_not_finite": "{what} {value} must be a finite number",
    "hedge_delta_range": "{what} {value:g} must be between -1 and 1",
    "hedge_no_delta": "give delta, or the option terms (spot, strike, t_years, vol, is_call)",
    "hedge_no_reprice": "spot_move {value:g} needs gamma, new_delta or the option terms",
    "hedge_partial_terms": "option terms incomplete: give {missing} too (or none of them)",
    "hedge_not_call_put": "is_call {value!r} must be True/False or 'C'/'P'",
    "hedge_delta_and_terms": "give delta and gamma, or the option terms, not both",
    "hedge_no_gamma": "a ladder without option terms needs delta and gamma",
    "hedge_path": "give path, or spot0 and moves ({why})",
    "hedge_overflow": "overflow: {what} is too large for a number",
    "hedge_notional": "{hedge} is sized by notional: give spot (the underlying's price, e.g. SPY 445) "
                      "and index_level (the S&P 500 level, e.g. 4450); on SPX both are the index level",
}


def at(row: int | None = None, column: str | None = None, strike: float | None = None) -> str:
    """Location prefix for a message: ``"row 7 (strike 4500), column 'IV': "``."""
    parts = []
    if row is not None:
        parts.append(f"row {row}" + (f" (strike {strike:g})" if strike is not None else ""))
    if column is not None:
        parts.append(f"column '{column}'")
    return ", ".join(parts) + ": " if parts else ""


def error(key: str, *, row=None, column=None, strike=None, cls=ChainError, **fields) -> XlgexError:
    """Build the error for message ``key`` located at ``row``/``column``."""
    return cls("xlgex: " + at(row, column, strike) + MESSAGES[key].format(**fields))
