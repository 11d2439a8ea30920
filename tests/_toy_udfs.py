"""Toy UDFs written the way ``xlgex/udfs.py`` is written: the test subject of tests/xlharness.py.

Off Windows the ``xw`` decorators do nothing.  Under ``tests.xlharness.UDFHarness`` they are
``xlwings.udfs``' real ones.
"""

# xlwings uses the Python name as the Excel name, and Excel names are UPPER_SNAKE.
# ruff: noqa: N802

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import xlwings as xw


class ToyError(ValueError):
    """Stands in for XlgexError: an expected user error."""


@xw.func(category="xlgex-toy")
@xw.arg("spot", doc="Spot price, index points.")
@xw.arg("scale", doc="Multiplier; default 2.")
def TOY_SCALE(spot, scale=2.0):
    """Spot times scale."""
    if scale is None:  # a blank cell arrives as None, not as the default
        scale = 2.0
    return spot * scale


@xw.func
@xw.arg("value", doc="Anything.")
def TOY_ECHO(value):
    """Return the argument unchanged."""
    return value


@xw.func
@xw.arg("n", numbers=int, doc="A count.")
def TOY_INT(n):
    """Type name and value of n as received."""
    return f"{type(n).__name__}:{n}"


@xw.func
@xw.arg("cells", ndim=2, doc="A range or a single value.")
def TOY_SHAPE(cells):
    """Rows x columns of the 2D list received."""
    return f"{len(cells)}x{len(cells[0])}"


@xw.func
@xw.arg("cells", ndim=2, err_to_str=True, doc="Cells, errors as text.")
def TOY_CELLS_TEXT(cells):
    """Echo a range with Excel errors turned into their text."""
    return cells


@xw.func
@xw.arg("rows", numbers=int, doc="Number of rows.")
@xw.arg("cols", numbers=int, doc="Number of columns.")
def TOY_GRID(rows, cols=3):
    """A rows x cols block that spills; cell (0, 1) is None, (0, 2) NaN and (1, 0) a numpy int."""
    out = [[float(10 * r + c) for c in range(cols)] for r in range(rows)]
    if cols > 2:
        out[0][1], out[0][2] = None, math.nan
    if rows > 1:
        out[1][0] = np.int64(7)
    return out


@xw.func
@xw.arg("start", dates=dt.date, doc="First expiry (a date cell).")
@xw.arg("count", numbers=int, doc="How many weekly expiries.")
@xw.ret(expand="table")
def TOY_EXPIRIES(start, count=3):
    """Weekly expiries from start, with their index (legacy expand)."""
    return [[start + dt.timedelta(weeks=i), i] for i in range(count)]


@xw.func
@xw.ret(index=False)
def TOY_FRAME(n):
    """A DataFrame result: header row plus n rows."""
    n = int(n)
    return pd.DataFrame({"strike": [4500.0 + 5 * i for i in range(n)], "gex": [np.nan] * n})


@xw.func
@xw.arg("message", doc="Error text.")
def TOY_FAIL(message):
    """Always raises ToyError(message)."""
    raise ToyError(message)


@xw.func
def TOY_SET():
    """Returns a set: conversion.write passes it on, pywin32 cannot marshal it."""
    return {1, 2}


@xw.func
@xw.arg("values", doc="Numbers.")
def TOY_SUM(*values):
    """Sum of any number of numeric arguments (ParamArray)."""
    return float(sum(v for v in values if isinstance(v, float)))


@xw.func
def TOY_UNION_HINT(x: float | None = None):
    """A trap: xlwings makes the hint convert=types.UnionType, which fails for a given x."""
    return x
