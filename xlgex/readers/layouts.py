"""Where each contract's fields are: one row per contract (long), or calls and puts of a
strike side by side (CBOE's download, Fidelity's export, ``Call``/``Put``-prefixed columns)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ChainError, error
from . import occ
from .grid import _ALIASES, FIELDS, _Grid, _listed, _missing
from .values import _Where

__all__ = ["long_sides", "side_by_side"]


@dataclass
class _Side:
    """Where one group of contracts reads its fields: all rows (long) or one CBOE side."""

    cols: dict  # field -> column index
    is_call: bool | None  # None: from the Type column
    suffix: str = ""  # appended to column names in messages (" (puts)")


def _locate(keys, fields, lo=0, hi=None) -> dict:
    hi = len(keys) if hi is None else hi
    found = {}
    for field in fields:
        for alias in _ALIASES[field]:
            hits = [j for j in range(lo, hi) if keys[j] == alias]
            if hits:
                found[field] = hits[0]
                break
    return found


def _missing_error(grid: _Grid, field: str, suffix: str = "") -> ChainError:
    """Missing column ``field``, with the columns that were found (and the format's hint)."""
    base = str(error("missing_column", row=grid.header_row, **_missing(field)))
    hint = f"; {grid.hint}" if grid.hint else ""
    return ChainError(f"{base}{suffix}; columns found: {_listed(grid.header)}{hint}")


def _require(grid: _Grid, cols: dict, fields, suffix: str = "", gamma_or_iv: bool = True) -> None:
    for field in fields:
        if field not in cols:
            raise _missing_error(grid, field, suffix)
    quotes = "bid" in cols and "ask" in cols  # IVs can be solved from the quotes
    if gamma_or_iv and "iv" not in cols and "gamma" not in cols and not quotes:
        raise _missing_error(grid, "iv", suffix)


def long_sides(grid: _Grid) -> list:
    cols = _locate(grid.keys, FIELDS)
    if "root" in cols and not {"strike", "expiry", "type"} <= cols.keys():
        _from_symbols(grid, cols)
    _require(grid, cols, ("strike", "expiry", "type", "open_interest"))
    return [_Side(cols, None)]


def _from_symbols(grid: _Grid, cols: dict) -> None:
    """Expiry, type and strike decoded from an OCC symbol column where they have no column."""
    j = cols["root"]
    where = _Where(grid.rows)
    decoded = occ.decode_column(grid.column(j), grid.label(j), where)
    if decoded is None:  # not symbols (e.g. an underlying ticker): the columns are missing
        return
    label = grid.label(j)
    for field, name in (("expiry", "Expiration"), ("type", "Type"), ("strike", "Strike")):
        if field not in cols:
            cols[field] = grid.add(f"{name} (from '{label}')", decoded[field])
    grid.notes.append(f"expiry, type and strike decoded from the option symbols in '{label}'")


_SIDE_FIELDS = ("open_interest", "iv", "gamma", "bid", "ask", "root")


def side_by_side(grid: _Grid) -> list | None:
    """Calls and puts of a strike on one row: CBOE (calls between ``Calls`` and ``Strike``,
    puts after ``Puts``), a broker export repeating the same columns left and right of the
    strike (Fidelity), or columns named with a ``Call``/``Put`` prefix (``CallIV, PutOpenInt``).
    None for a long table."""
    keys = grid.keys
    shared = _locate(keys, ("strike", "expiry"))
    bare = [re.sub(r"^(calls?|puts?)(?=.)", "", k) for k in keys]  # "callopenint" -> "openint"
    if "calls" in keys and "puts" in keys:
        calls, puts = keys.index("calls"), keys.index("puts")
        _require(grid, shared, ("strike", "expiry"), gamma_or_iv=False)
        marks = sorted({calls, puts, shared["strike"], len(keys)})
        spans = [
            range(calls + 1, marks[marks.index(calls) + 1]),
            range(puts + 1, marks[marks.index(puts) + 1]),
        ]
        roots = {"root": calls}, {"root": puts}
    elif "strike" not in shared or "type" in _locate(keys, ("type",)):
        return None
    elif _prefixed(keys, bare, "call") and _prefixed(keys, bare, "put"):
        spans = [[j for j in range(len(keys)) if keys[j].startswith(side) and keys[j] != bare[j]]
                 for side in ("call", "put")]  # fmt: skip
        roots = {}, {}
    else:
        k = shared["strike"]
        if not (set(_locate(keys, _SIDE_FIELDS, 0, k)) & set(_locate(keys, _SIDE_FIELDS, k + 1))):
            return None
        spans, roots = [range(0, k), range(k + 1, len(keys))], ({}, {})
    _require(grid, shared, ("strike", "expiry"), gamma_or_iv=False)
    sides = []
    for span, root, is_call in zip(spans, roots, (True, False), strict=True):
        suffix = " (calls)" if is_call else " (puts)"
        inside = [b if j in span else "" for j, b in enumerate(bare)]
        cols = {**_locate(inside, _SIDE_FIELDS), **root}
        _require(grid, cols, ("open_interest",), suffix)
        sides.append(_Side({**shared, **cols}, is_call, suffix))
    return sides


def _prefixed(keys, bare, side: str) -> bool:
    """Whether some column is a side's open interest named with its prefix (``CallOpenInt``)."""
    return any(k.startswith(side) and b in _ALIASES["open_interest"] for k, b in zip(keys, bare, strict=True))
