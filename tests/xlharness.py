"""Call classic xlwings UDFs on Linux the way Excel on Windows calls them.

On Windows a worksheet formula such as ``=GEX_FLIP(A2:H400, 4500)`` travels this way::

    Excel cell
      -> VBA wrapper written by xlwings.udfs.generate_vba_wrapper (Optional / ParamArray args)
      -> XLPy.CallUDF("module", "GEX_FLIP", Array(args...), ThisWorkbook, Application.Caller)
      -> pywin32 turns each VARIANT into Python (Range object, float, str, bool, int error code ...)
      -> xlwings.com_server.XLPython.CallUDF (FromVariant per argument)
      -> xlwings.udfs.call_udf: omitted Optional -> Python default; each argument through
         xlwings.conversion.read with the Windows engine (_xlwindows.Engine.clean_value_data)
      -> your function
      -> xlwings.conversion.write (Engine.prepare_xl_data_element: dates, None -> "", NaN -> "")
      -> CallUDF squeezes a 1x1 result to a scalar and a 1xN result to a flat row
      -> pywin32 turns the result into a VARIANT -> VBA -> the cell (or the spill range).

This module runs the *installed* xlwings code for every xlwings step above. Nothing in xlwings
is copied or edited:

* ``xlwings.udfs``: ``xlfunc``/``xlarg``/``xlret``/``xlsub`` (what ``xw.func``/``arg``/``ret``/
  ``script`` are on Windows; off Windows ``xlwings/__init__.py`` binds them to no-ops that record
  nothing), ``call_udf``, ``get_udf_module``, ``generate_vba_wrapper``, ``import_udfs``,
  ``ComRange`` and ``delayed_resize_dynamic_array_formula`` (legacy ``expand``);
* ``xlwings.com_server``: ``XLPython.CallUDF`` and ``FromVariant``;
* ``xlwings._xlwindows``: the ``excel`` engine (``clean_value_data``, ``prepare_xl_data_element``,
  ``cell_errors``) and the ``App``/``Book``/``Sheet``/``Range`` wrappers around COM objects;
* ``xlwings.conversion``: every pipeline and converter (numpy, pandas, dict, ...).

Stand-ins, written here:

* **pywin32.** ``pythoncom``, ``pywintypes``, ``win32api``, ``win32con``, ``win32event``,
  ``win32gui``, ``win32process``, ``win32timezone``, ``win32com``, ``win32com.client``,
  ``win32com.server`` (``util``, ``policy``, ``dispatcher``, ``exception``) are minimal fake
  modules.
  While ``xlwings._xlwindows`` is imported, ``ctypes`` also gets fake ``windll``, ``oledll`` and
  ``PyDLL``.  Any attribute that is not modelled raises ``AttributeError`` naming the stub.
* **Excel's COM object model.** ``Application``, ``Workbook``, ``Worksheet`` and ``Range`` are small
  in-memory fakes.  They support the members that the code paths above touch, and nothing more.
* **The COM boundary, as pywin32 converts it.**
  - Numbers arrive as ``float``.  Date cells arrive as a ``pywintypes.TimeType`` in UTC.
  - An Excel error arrives as its ``int`` HRESULT, for example ``#N/A`` -> -2146826246.
  - An omitted ``Optional`` argument arrives as ``MISSING``: the int -2147352572
    (DISP_E_PARAMNOTFOUND).  ``call_udf`` tests for exactly that int.
  - The result is checked the way ``PyCom_VariantFromPyObject`` checks it, and can raise
    ``TypeError: Objects of type 'X' can not be converted to a COM VARIANT``.
* **The text an erroring cell shows.**  pywin32's server gateway builds
  ``"Unexpected Python Error: " + traceback``.  xlwings' DLL (xlwingsdll/dispatch.cpp) then
  reverses the traceback lines, and the VBA wrapper does ``NAME = Err.Description``.  So the
  first line is the exception line, for example ``"ValueError: bad strike"``.

The harness touches the process only while it imports or calls.  The stubs and the Windows
flavoured ``xlwings.udfs``, ``_xlwindows`` and ``com_server`` are placed into ``sys.modules``, the
real decorators onto the ``xlwings`` package, and the ``excel`` engine into ``xlwings.engines``.
Afterwards everything is put back.  The target module is imported fresh under the patch, then the
previous ``sys.modules`` entry is restored, so other tests keep their no-op-decorated copy.

Limits (things Excel or VBA do that are not reproduced):

* The Excel calculation engine is not run.  Arguments are the values that Excel would pass
  (see ``UDFHarness.invoke``).  Also missing:
  - formats, apart from "a datetime input is a date-formatted cell";
  - Currency cells, which COM delivers as ``Decimal``;
  - how Excel displays what it receives: number formats, non-finite doubles, the
    32767-character text limit, an empty array.
* Argument ``expand`` options (``@xw.arg(..., expand="table")``) need more of the Range object
  than is faked, and raise ``AttributeError: FakeRange.<member> is not modelled``.
* ``async_mode="threading"``, ``async def`` UDFs and ``vba=`` arguments other than ``caller``
  raise ``NotImplementedError``.
* Legacy ``@xw.ret(expand=...)`` runs the real resize coroutine, then recalculates once with the
  resized caller range, as Excel would after xlwings writes the array formula.
* In the error text only the first lines (the exception lines) match Excel.  The frames below
  them are this harness's frames, not pywin32's.
* Modules that the target imports for the first time stay in ``sys.modules``.  A module
  that probes for pywin32 at import time would see the stubs.
* ``import_udfs`` and ``vba_wrapper`` run the real generator.  Excel's VBA import and
  ``MacroOptions`` are only recorded.
"""

# The fakes mirror pywin32 and Excel COM names (GetTypeInfo, Cells, Value, COMException, module
# __getattr__), so the naming rules do not apply to them.
# ruff: noqa: N802, N803, N807, N818

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import datetime as dt
import decimal
import functools
import importlib
import inspect
import io
import math
import numbers
import os
import re
import sys
import traceback
import types
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "ERROR_CODES",
    "MISSING",
    "UDFCall",
    "UDFHarness",
    "array",
    "as_grid",
    "cell",
    "excel_error",
    "table",
]

# ---------------------------------------------------------------------------------------------
# Values on the COM boundary
# ---------------------------------------------------------------------------------------------

#: What VBA passes for an omitted ``Optional`` Variant argument: a VT_ERROR VARIANT whose scode is
#: DISP_E_PARAMNOTFOUND (0x80020004).  pywin32 turns VT_ERROR into a plain ``int``, and
#: ``xlwings.udfs.call_udf`` checks ``isinstance(arg, int) and arg == -2147352572``.
MISSING = -2147352572

#: Excel error values as COM delivers them: VT_ERROR with scode 0x800A0000 + the xlErr constant
#: (xlErrNA = 2042 -> -2146826246).  Only the first seven are in
#: ``xlwings._xlwindows.cell_errors``.  xlwings maps those seven to None, or to the text when
#: ``err_to_str=True``.  The newer ones (#SPILL!, #CALC!, ...) reach the UDF as the raw int.
ERROR_CODES: dict[str, int] = {
    "#NULL!": -2146826288,  # xlErrNull 2000
    "#DIV/0!": -2146826281,  # xlErrDiv0 2007
    "#VALUE!": -2146826273,  # xlErrValue 2015
    "#REF!": -2146826265,  # xlErrRef 2023
    "#NAME?": -2146826259,  # xlErrName 2029
    "#NUM!": -2146826252,  # xlErrNum 2036
    "#N/A": -2146826246,  # xlErrNA 2042
    "#GETTING_DATA": -2146826245,  # xlErrGettingData 2043
    "#SPILL!": -2146826243,  # xlErrSpill 2045
    "#CONNECT!": -2146826242,  # xlErrConnect 2046
    "#BLOCKED!": -2146826241,  # xlErrBlocked 2047
    "#UNKNOWN!": -2146826240,  # xlErrUnknown 2048
    "#FIELD!": -2146826239,  # xlErrField 2049
    "#CALC!": -2146826238,  # xlErrCalc 2050
}
_VT_ERROR_INTS = frozenset(ERROR_CODES.values()) | {MISSING}

_RANGE_IID = "{00020846-0000-0000-C000-000000000046}"  # Excel Range dispinterface
_IDISPATCH_IID = "{00020400-0000-0000-C000-000000000046}"
_IENUMVARIANT_IID = "{00020404-0000-0000-C000-000000000046}"


def excel_error(name: str) -> int:
    """COM int of an Excel error value, e.g. ``excel_error("#N/A") == -2146826246``."""
    key = name.strip().upper()
    if not key.startswith("#"):
        key = "#" + key
    for candidate in (key, key + "!", key + "?"):
        if candidate in ERROR_CODES:
            return ERROR_CODES[candidate]
    raise KeyError(f"unknown Excel error {name!r}; known: {', '.join(ERROR_CODES)}")


@dataclasses.dataclass(frozen=True)
class _RangeArg:
    values: Any


@dataclasses.dataclass(frozen=True)
class _ArrayArg:
    values: Any


def cell(values: Any) -> _RangeArg:
    """Pass ``values`` as a worksheet reference (a Range object), whatever its shape.

    Use it for a single-cell reference such as ``=F(B2)``.  2D tuples are references already.
    """
    return _RangeArg(values)


def array(values: Any) -> _ArrayArg:
    """Pass ``values`` as an array value instead of a reference.

    This covers an array constant ``{1,2;3,4}`` and the array result of another formula, such
    as ``=F(A1:A3*2)``.  A 1D sequence is a one-row array.
    """
    return _ArrayArg(values)


def _is_missing_number(x: Any) -> bool:
    try:
        import pandas as pd

        if x is pd.NaT:
            return True
    except ImportError:  # pragma: no cover - pandas is a project dependency
        pass
    return isinstance(x, float) and math.isnan(x)


def _excel_cell(x: Any) -> Any:
    """Normalise one value the way an Excel cell can hold it (used by ``table``)."""
    if x is None or _is_missing_number(x):
        return None
    if isinstance(x, bool):
        return x
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):  # numpy scalars
        x = x.item()
        if isinstance(x, float) and math.isnan(x):
            return None
    if hasattr(x, "to_pydatetime"):  # pandas Timestamp
        x = x.to_pydatetime()
    if isinstance(x, bool | str | dt.datetime | dt.date):
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    raise TypeError(f"an Excel cell cannot hold {type(x).__name__}: {x!r}")


def table(data: Any, *, header: bool = True) -> tuple[tuple[Any, ...], ...]:
    """Excel-shaped 2D tuple of a DataFrame (header row + rows) or of a list of rows.

    Numbers become floats.  NaN, NaT and None become None (a blank cell).  Bools, strings and
    dates stay as they are.  The DataFrame index is dropped, so call ``reset_index()`` first if
    you need it.  With a list of rows, the first row is used as given, and it is the header
    when there is one.
    """
    if hasattr(data, "columns") and hasattr(data, "itertuples"):
        rows: list[Sequence[Any]] = []
        if header:
            rows.append([str(c) for c in data.columns])
        rows.extend(list(r) for r in data.itertuples(index=False, name=None))
    else:
        rows = [list(r) for r in data]
    if not rows:
        raise ValueError("an Excel range has at least one cell")
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError("all rows of a range must have the same length")
    return tuple(tuple(_excel_cell(x) for x in r) for r in rows)


def as_grid(value: Any) -> list[list[Any]]:
    """What the cells show for a value ``CallUDF`` returned.

    A scalar becomes 1x1, a flat sequence becomes one row, and a 2D sequence stays as it is.
    """
    if isinstance(value, list | tuple):
        if value and isinstance(value[0], list | tuple):
            return [list(r) for r in value]
        return [list(value)]
    return [[value]]


# ---------------------------------------------------------------------------------------------
# pywin32 stand-ins
# ---------------------------------------------------------------------------------------------


class _IID(str):
    """pywintypes.IID: compared by value, case-insensitive."""

    __slots__ = ()

    def __new__(cls, s: str, is_bytes: bool = False) -> _IID:
        return super().__new__(cls, str(s).upper())


class _ComError(Exception):
    """pywintypes.com_error(hresult, strerror, excepinfo, argerror)."""

    def __init__(self, hresult=0, strerror=None, excepinfo=None, argerror=None):
        super().__init__(hresult, strerror, excepinfo, argerror)
        self.hresult, self.strerror = hresult, strerror
        self.excepinfo, self.argerror = excepinfo, argerror


class _PyWinError(Exception):
    """pywintypes.error."""


class _TimeType(dt.datetime):
    """pywintypes.TimeType: what pywin32 returns for VT_DATE (a datetime subclass, in UTC)."""


_TimeType.__module__, _TimeType.__name__, _TimeType.__qualname__ = "pywintypes", "datetime", "datetime"


class _PyIDispatch:
    """A raw IDispatch as pywin32 hands it to a server method (before ``Dispatch``)."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def GetTypeInfo(self) -> _TypeInfo:
        return self._target._oleobj_.GetTypeInfo()


class _TypeInfo:
    def __init__(self, iid: str, name: str) -> None:
        self._iid, self._name = _IID(iid), name

    def GetTypeAttr(self) -> types.SimpleNamespace:
        return types.SimpleNamespace(iid=self._iid)

    def GetDocumentation(self, index: int) -> tuple[str, None, int, None]:
        return (self._name, None, 0, None)


class _OleObj:
    def __init__(self, iid: str, name: str) -> None:
        self._typeinfo = _TypeInfo(iid, name)

    def GetTypeInfo(self) -> _TypeInfo:
        return self._typeinfo


class _Stream:
    """What CoMarshalInterThreadInterfaceInStream returns: here just the object itself."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj


def _dispatch(obj: Any, userName: Any = None, resultCLSID: Any = None, **_: Any) -> Any:
    """win32com.client.Dispatch for objects already in the fake object model."""
    if isinstance(obj, _PyIDispatch):
        return obj._target
    if isinstance(obj, _FakeCom):
        return obj
    raise _ComError(-2147221005, "Invalid class string (COM automation is not modelled)")


def _unwrap(ob: Any) -> Any:
    # pythoncom.UnwrapObject raises for anything that is not a Python COM server object.
    raise ValueError("argument is not a COM object (xlharness stub)")


class _FakeDll:
    """ctypes.windll / oledll / PyDLL(...): libraries and functions that accept anything.

    ``oledll.ole32.CLSIDFromString(...)`` returns 0 and ``PyDLL(path).name.restype`` is settable.
    """

    restype = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _FakeDll()

    def __call__(self, *args: Any) -> int:
        return 0


def _stub_module(name: str, attrs: Mapping[str, Any], package: bool = False) -> types.ModuleType:
    mod = types.ModuleType(name, f"xlharness stand-in for pywin32's {name}")
    mod.__file__ = f"<xlharness stub {name}>"
    if package:
        mod.__path__ = []
    mod.__dict__.update(attrs)

    def __getattr__(attr: str) -> Any:
        raise AttributeError(f"{name}.{attr} is not modelled by tests/xlharness.py")

    mod.__getattr__ = __getattr__  # PEP 562: consulted for names missing from the module
    return mod


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _pywin32_stubs() -> dict[str, types.ModuleType]:
    class CDispatch:  # win32com.client.CDispatch
        pass

    class DispatchBaseClass:
        pass

    class CoClassBaseClass:
        pass

    class COMException(_ComError):  # win32com.server.exception.COMException
        def __init__(self, description=None, scode=None, source=None, **kwargs):
            super().__init__(scode, description)
            self.description, self.scode, self.source = description, scode, source

    class DefaultPolicy:
        pass

    class _Sentinel:
        def __init__(self, name: str) -> None:
            self._name = name

        def __repr__(self) -> str:
            return f"<pythoncom.{self._name} (xlharness stub)>"

    utc = dt.timezone.utc
    pywintypes = _stub_module(
        "pywintypes",
        {
            "com_error": _ComError,
            "error": _PyWinError,
            "IID": _IID,
            "TimeType": _TimeType,
            "Time": lambda t: _TimeType.fromtimestamp(t, utc),
        },
    )
    pythoncom = _stub_module(
        "pythoncom",
        {
            "com_error": _ComError,
            "ole_error": _ComError,
            "IID_IDispatch": _IID(_IDISPATCH_IID),
            "IID_IEnumVARIANT": _IID(_IENUMVARIANT_IID),
            "TypeIIDs": {_IID(_IDISPATCH_IID): _PyIDispatch},
            "CoInitialize": _noop,
            "CoInitializeEx": _noop,
            "CoUninitialize": _noop,
            "CoMarshalInterThreadInterfaceInStream": lambda iid, obj: _Stream(obj),
            "CoGetInterfaceAndReleaseStream": lambda stream, iid: _PyIDispatch(stream.obj),
            "PumpWaitingMessages": lambda: 0,
            "UnwrapObject": _unwrap,
            "Missing": _Sentinel("Missing"),
            "Empty": _Sentinel("Empty"),
            "ArgNotFound": _Sentinel("ArgNotFound"),
        },
    )
    client = _stub_module(
        "win32com.client",
        {
            "CDispatch": CDispatch,
            "CoClassBaseClass": CoClassBaseClass,
            "DispatchBaseClass": DispatchBaseClass,
            "Dispatch": _dispatch,
            "DispatchEx": _dispatch,
        },
    )
    server_util = _stub_module(
        "win32com.server.util", {"unwrap": _unwrap, "wrap": lambda ob, *a, **k: ob}
    )
    server_policy = _stub_module("win32com.server.policy", {"DefaultPolicy": DefaultPolicy})
    server_dispatcher = _stub_module("win32com.server.dispatcher", {})
    server_exception = _stub_module("win32com.server.exception", {"COMException": COMException})
    server = _stub_module(
        "win32com.server",
        {
            "util": server_util,
            "policy": server_policy,
            "dispatcher": server_dispatcher,
            "exception": server_exception,
        },
        package=True,
    )
    win32com = _stub_module("win32com", {"client": client, "server": server}, package=True)
    return {
        "pywintypes": pywintypes,
        "pythoncom": pythoncom,
        "win32api": _stub_module("win32api", {"GetCurrentThreadId": lambda: 1}),
        "win32con": _stub_module("win32con", {}),
        "win32event": _stub_module("win32event", {}),
        "win32gui": _stub_module("win32gui", {}),
        "win32process": _stub_module(
            "win32process", {"GetWindowThreadProcessId": lambda hwnd: (1, hwnd)}
        ),
        "win32timezone": _stub_module(
            "win32timezone",
            {"TimeZoneInfo": types.SimpleNamespace(utc=lambda: dt.timezone.utc)},
        ),
        "win32com": win32com,
        "win32com.client": client,
        "win32com.server": server,
        "win32com.server.util": server_util,
        "win32com.server.policy": server_policy,
        "win32com.server.dispatcher": server_dispatcher,
        "win32com.server.exception": server_exception,
    }


# ---------------------------------------------------------------------------------------------
# Excel's COM object model, in memory
# ---------------------------------------------------------------------------------------------


def _col_letters(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _parse_a1(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", ref.strip())
    if not m:
        raise ValueError(f"not an A1 cell reference: {ref!r}")
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


class _FakeCom:
    """Base of the fake COM objects: unknown members fail loudly."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"{type(self).__name__[1:]}.{name} is not modelled by tests/xlharness.py"
        )


class _Count(_FakeCom):
    def __init__(self, n: int) -> None:
        self.Count = n


class _FakeApplication(_FakeCom):
    Name = "Microsoft Excel"
    Version = "16.0"
    Hwnd = 4242

    def __init__(self) -> None:
        self.macro_options: list[dict[str, Any]] = []
        self.runs: list[tuple[Any, ...]] = []

    def MacroOptions(self, Macro: str, **kwargs: Any) -> None:
        self.macro_options.append({"Macro": Macro, **kwargs})

    def Run(self, *args: Any) -> None:
        self.runs.append(args)


class _FakeVBComponents(_FakeCom):
    def __init__(self) -> None:
        self.imported: list[str] = []

    def __call__(self, name: str) -> Any:
        raise _ComError(-2147352565, "Subscript out of range", None, None)

    def Remove(self, component: Any) -> None:
        pass

    def Import(self, path: str) -> None:
        with open(path, encoding="utf-8") as f:
            self.imported.append(f.read())


class _FakeWorksheets(_FakeCom):
    def __init__(self, book: _FakeWorkbook) -> None:
        self._book = book

    @property
    def Count(self) -> int:
        return len(self._book.sheets)

    def __iter__(self) -> Iterator[_FakeWorksheet]:
        return iter(list(self._book.sheets.values()))

    def __call__(self, key: int | str) -> _FakeWorksheet:
        if isinstance(key, int):
            return list(self._book.sheets.values())[key - 1]
        return self._book.sheets[key]


class _FakeWorkbook(_FakeCom):
    def __init__(self, name: str) -> None:
        self.Name = name
        self.Application = _FakeApplication()
        self.sheets: dict[str, _FakeWorksheet] = {}
        self.VBProject = types.SimpleNamespace(VBComponents=_FakeVBComponents())

    @property
    def Worksheets(self) -> _FakeWorksheets:
        return _FakeWorksheets(self)

    def sheet(self, name: str) -> _FakeWorksheet:
        if name not in self.sheets:
            self.sheets[name] = _FakeWorksheet(self, name)
        return self.sheets[name]


class _FakeWorksheet(_FakeCom):
    def __init__(self, book: _FakeWorkbook, name: str) -> None:
        self.Parent, self.Name = book, name
        self.values: dict[tuple[int, int], Any] = {}
        self.formulas: dict[tuple[int, int], str] = {}
        self.array_formulas: list[tuple[str, str]] = []

    @property
    def Application(self) -> _FakeApplication:
        return self.Parent.Application

    def Cells(self, row: int, col: int) -> _FakeRange:
        return _FakeRange(self, row, col, 1, 1)

    def Range(self, cell1: Any, cell2: Any = None) -> _FakeRange:
        if isinstance(cell1, str):
            first, _, last = cell1.partition(":")
            r1, c1 = _parse_a1(first)
            r2, c2 = _parse_a1(last) if last else (r1, c1)
        else:
            r1, c1 = cell1.Row, cell1.Column
            r2, c2 = r1 + cell1.Rows.Count - 1, c1 + cell1.Columns.Count - 1
        if cell2 is not None:
            if isinstance(cell2, str):
                r3, c3 = _parse_a1(cell2)
            else:
                r3, c3 = cell2.Row + cell2.Rows.Count - 1, cell2.Column + cell2.Columns.Count - 1
            r1, c1, r2, c2 = min(r1, r3), min(c1, c3), max(r2, r3), max(c2, c3)
        return _FakeRange(self, r1, c1, r2 - r1 + 1, c2 - c1 + 1)

    def put(self, row: int, col: int, grid: Sequence[Sequence[Any]]) -> _FakeRange:
        for i, values in enumerate(grid):
            for j, value in enumerate(values):
                self.values[(row + i, col + j)] = value
        return _FakeRange(self, row, col, len(grid), len(grid[0]))


class _FakeRange(_FakeCom):
    CLSID = _IID(_RANGE_IID)
    _oleobj_ = _OleObj(_RANGE_IID, "Range")

    def __init__(self, sheet: _FakeWorksheet, row: int, col: int, nrows: int, ncols: int) -> None:
        self.Worksheet, self.Row, self.Column = sheet, row, col
        self._nrows, self._ncols = nrows, ncols

    def __repr__(self) -> str:
        return f"<fake Range {self.Worksheet.Name}!{self.Address}>"

    Parent = property(lambda self: self.Worksheet)
    Application = property(lambda self: self.Worksheet.Application)
    Rows = property(lambda self: _Count(self._nrows))
    Columns = property(lambda self: _Count(self._ncols))
    Count = property(lambda self: self._nrows * self._ncols)

    def GetAddress(self, RowAbsolute=True, ColumnAbsolute=True, ReferenceStyle=1, External=False):
        def one(r: int, c: int) -> str:
            col = ("$" if ColumnAbsolute else "") + _col_letters(c)
            return col + ("$" if RowAbsolute else "") + str(r)

        top = one(self.Row, self.Column)
        if self._nrows == self._ncols == 1:
            return top
        return f"{top}:{one(self.Row + self._nrows - 1, self.Column + self._ncols - 1)}"

    Address = property(lambda self: self.GetAddress())

    def _cells(self) -> Iterator[tuple[int, int]]:
        for r in range(self.Row, self.Row + self._nrows):
            for c in range(self.Column, self.Column + self._ncols):
                yield r, c

    @property
    def Value(self) -> Any:
        # Range.Value over COM: a scalar for one cell, a tuple of row tuples otherwise.
        data = self.Worksheet.values
        if self._nrows == self._ncols == 1:
            return data.get((self.Row, self.Column))
        return tuple(
            tuple(data.get((r, c)) for c in range(self.Column, self.Column + self._ncols))
            for r in range(self.Row, self.Row + self._nrows)
        )

    @Value.setter
    def Value(self, value: Any) -> None:
        grid = value if isinstance(value, list | tuple) else [[value] * self._ncols] * self._nrows
        grid = [r if isinstance(r, list | tuple) else [r] for r in grid]
        self.Worksheet.put(self.Row, self.Column, grid)

    def _get_formula(self) -> str:
        return self.Worksheet.formulas.get((self.Row, self.Column), "")

    def _set_formula(self, value: str) -> None:
        self.Worksheet.formulas[(self.Row, self.Column)] = value

    Formula = property(_get_formula, _set_formula)
    Formula2 = property(_get_formula, _set_formula)

    @property
    def FormulaArray(self) -> str:
        return self._get_formula()

    @FormulaArray.setter
    def FormulaArray(self, value: str) -> None:
        self._set_formula(value)
        self.Worksheet.array_formulas.append((self.Address, value))

    def ClearContents(self) -> None:
        for key in self._cells():
            self.Worksheet.values.pop(key, None)
            self.Worksheet.formulas.pop(key, None)

    def Resize(self, RowSize: int | None = None, ColumnSize: int | None = None) -> _FakeRange:
        return _FakeRange(
            self.Worksheet, self.Row, self.Column, RowSize or self._nrows, ColumnSize or self._ncols
        )

    def Cells(self, row: int, col: int) -> _FakeRange:
        return _FakeRange(self.Worksheet, self.Row + row - 1, self.Column + col - 1, 1, 1)

    Item = Cells

    def __call__(self, row: int, col: int = 1) -> _FakeRange:
        return self.Cells(row, col)


# ---------------------------------------------------------------------------------------------
# pywin32's VARIANT conversions
# ---------------------------------------------------------------------------------------------


def _com_time(x: dt.date) -> _TimeType:
    if not isinstance(x, dt.datetime):
        x = dt.datetime(x.year, x.month, x.day)
    if x.tzinfo is not None:
        x = x.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return _TimeType(
        x.year, x.month, x.day, x.hour, x.minute, x.second, x.microsecond, tzinfo=dt.timezone.utc
    )


def _com_in(x: Any) -> Any:
    """One Excel value as pywin32 hands it to Python (cell of Range.Value or a literal)."""
    if x is None or isinstance(x, bool | str):
        return x
    if isinstance(x, int) and x in _VT_ERROR_INTS:
        return x  # VT_ERROR -> int
    if hasattr(x, "to_pydatetime"):
        x = x.to_pydatetime()
    if isinstance(x, dt.date):
        return _com_time(x)  # VT_DATE -> pywintypes datetime, tz UTC
    if hasattr(x, "item") and not isinstance(x, (list, tuple)):  # numpy scalar
        return _com_in(x.item())
    if isinstance(x, numbers.Real):
        value = float(x)  # Excel numbers are doubles: VT_R8 -> float
        if not math.isfinite(value):
            raise ValueError(
                f"an Excel value cannot be {value!r}; pass excel_error('#NUM!') or None instead"
            )
        return value
    raise TypeError(f"not an Excel value: {type(x).__name__} {x!r}")


def _grid_in(values: Any) -> tuple[tuple[Any, ...], ...]:
    if hasattr(values, "columns") and hasattr(values, "itertuples"):
        raise TypeError("pass a DataFrame through table(df) to get the Excel-shaped range")
    if not isinstance(values, list | tuple):
        return ((_com_in(values),),)
    if not values or not isinstance(values[0], list | tuple):
        raise ValueError(
            "a range is 2D: pass ((a, b, c),) for a row or ((a,), (b,)) for a column "
            "(array(...) takes a 1D array constant)"
        )
    width = len(values[0])
    if width == 0 or any(not isinstance(r, list | tuple) or len(r) != width for r in values):
        raise ValueError("a range is a non-empty rectangle: every row needs the same length")
    return tuple(tuple(_com_in(x) for x in r) for r in values)


def _array_in(values: Any) -> Any:
    """An array VARIANT (SAFEARRAY) as pywin32 returns it: nested tuples."""
    if isinstance(values, list | tuple):
        if values and isinstance(values[0], list | tuple):
            return _grid_in(values)
        return tuple(_com_in(x) for x in values)
    return _com_in(values)


def _variant_error(obj: Any) -> Exception | None:
    """The error pywin32's PyCom_VariantFromPyObject would raise for a result, else None.

    pywin32 raises it in C after the Python method returned, so it carries no traceback.
    """
    if obj is None or isinstance(obj, str | bytes | bool | float | dt.datetime | decimal.Decimal):
        return None
    if isinstance(obj, int):
        if not -(2**63) <= obj < 2**63:
            return OverflowError("Python int too large to convert to C long")
        return None
    if hasattr(obj, "_oleobj_"):
        return None
    if isinstance(obj, Sequence):
        lengths = {len(x) for x in obj if isinstance(x, list | tuple)}
        if len(lengths) > 1:
            return TypeError("All dimensions must be a sequence of the same size")
        for x in obj:
            if (error := _variant_error(x)) is not None:
                return error
        return None
    if isinstance(obj, numbers.Number) or hasattr(type(obj), "__float__"):
        return None  # tp_as_number -> VT_R8
    return TypeError(
        f"Objects of type '{type(obj).__name__}' can not be converted to a COM VARIANT"
    )


def _cell_error_text(exc: BaseException) -> str:
    """The cell text for a UDF that raised.

    pywin32's PyCom_ExcepInfoFromPyException builds the text from a traceback.  xlwingsdll's
    CDispatchWrapper::Invoke reverses its lines.  The VBA wrapper then writes Err.Description.
    """
    if exc.__traceback__ is None:
        body = "".join(traceback.format_exception_only(type(exc), exc))
    else:
        body = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    description = "Unexpected Python Error: " + body
    parts = description.split("\n")
    if parts[0] == "Unexpected Python Error: Traceback (most recent call last):":
        description = "\n".join(p for p in reversed(parts[1:]) if p)
    return description


# ---------------------------------------------------------------------------------------------
# The Windows flavour of xlwings, imported once under the stubs and kept out of sys.modules
# ---------------------------------------------------------------------------------------------

_XLWINGS_WINDOWS_MODULES = ("xlwings._win32patch", "xlwings._xlwindows", "xlwings.udfs",
                            "xlwings.com_server")
_DECORATORS = {"func": "xlfunc", "arg": "xlarg", "ret": "xlret", "script": "xlsub", "sub": "xlsub"}
_ABSENT = object()


class _WindowsXlwings:
    """The stubs plus Windows-only xlwings modules, and a context that activates them."""

    def __init__(self) -> None:
        import xlwings

        self.xlwings = xlwings
        self.stubs = _pywin32_stubs()
        self.modules: dict[str, types.ModuleType] = {}
        self.engine: Any = None
        with self._patched_sys_modules(), self._patched_ctypes():
            for name in _XLWINGS_WINDOWS_MODULES:
                sys.modules.pop(name, None)
                self.modules[name] = importlib.import_module(name)
        self.udfs = self.modules["xlwings.udfs"]
        self.xlwindows = self.modules["xlwings._xlwindows"]
        self.com_server = self.modules["xlwings.com_server"]
        # com_server creates an event loop at import; each call gets its own instead.
        self.com_server.loop.close()
        self.com_server.loop = None
        self.engine = xlwings.main.Engine(impl=self.xlwindows.engine)

    @contextlib.contextmanager
    def _patched_sys_modules(self) -> Iterator[None]:
        names = [*self.stubs, *_XLWINGS_WINDOWS_MODULES]
        saved = {name: sys.modules.get(name, _ABSENT) for name in names}
        saved_attrs = {
            name.rpartition(".")[2]: getattr(self.xlwings, name.rpartition(".")[2], _ABSENT)
            for name in _XLWINGS_WINDOWS_MODULES
        }
        sys.modules.update(self.stubs)
        sys.modules.update(self.modules)
        for name, module in self.modules.items():
            setattr(self.xlwings, name.rpartition(".")[2], module)
        try:
            yield
        finally:
            for name, old in saved.items():
                if old is _ABSENT:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = old
            for attr, old in saved_attrs.items():
                if old is _ABSENT:
                    self.xlwings.__dict__.pop(attr, None)
                else:
                    setattr(self.xlwings, attr, old)

    @staticmethod
    @contextlib.contextmanager
    def _patched_ctypes() -> Iterator[None]:
        # xlwings._xlwindows does `from ctypes import PyDLL, oledll, windll` and calls
        # oledll.ole32.CLSIDFromString / PyDLL(pythoncom.__file__) at import time.
        saved = {name: ctypes.__dict__.get(name, _ABSENT) for name in ("windll", "oledll", "PyDLL")}
        ctypes.windll = _FakeDll()
        ctypes.oledll = _FakeDll()
        ctypes.PyDLL = _FakeDll
        try:
            yield
        finally:
            for name, old in saved.items():
                if old is _ABSENT:
                    delattr(ctypes, name)
                else:
                    setattr(ctypes, name, old)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """What `import xlwings` gives on Windows with pywin32, for the duration of the block."""
        xw = self.xlwings
        saved = {name: xw.__dict__.get(name, _ABSENT) for name in _DECORATORS}
        engines = xw.engines
        saved_excel = engines.engines_by_name.get("excel", _ABSENT)
        with self._patched_sys_modules():
            for name, real in _DECORATORS.items():
                setattr(xw, name, getattr(self.udfs, real))
            if saved_excel is not _ABSENT:
                engines.engines.remove(saved_excel)
            engines.add(self.engine)
            try:
                yield
            finally:
                engines.engines.remove(self.engine)
                del engines.engines_by_name["excel"]
                if saved_excel is not _ABSENT:
                    engines.add(saved_excel)
                for name, old in saved.items():
                    if old is _ABSENT:
                        xw.__dict__.pop(name, None)
                    else:
                        setattr(xw, name, old)


@functools.lru_cache(maxsize=1)
def _windows_xlwings() -> _WindowsXlwings:
    return _WindowsXlwings()


# ---------------------------------------------------------------------------------------------
# The harness
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class UDFCall:
    """One simulated worksheet call.

    Attributes
    ----------
    value
        What Excel receives: the return value of ``XLPython.CallUDF``.  That is a scalar for a
        1x1 result, a flat list for a single row, and a list of rows otherwise.  If the UDF
        raised, it is the ``Err.Description`` text that the cell shows.
    args
        The Python arguments the function received, after xlwings' conversion.  Empty if the
        call failed before the function ran.
    result
        The function's own Python return value, before ``conversion.write``.
    error
        The exception, if the call raised; otherwise None.
    resized_to
        For legacy ``@xw.ret(expand=...)``: the address of the array formula that xlwings wrote
        before the recalculation; otherwise None.
    """

    value: Any
    args: tuple[Any, ...] = ()
    result: Any = None
    error: BaseException | None = None
    resized_to: str | None = None

    @property
    def grid(self) -> list[list[Any]]:
        """``value`` as the cells show it (always 2D)."""
        return as_grid(self.value)


@dataclasses.dataclass(frozen=True)
class VBAImport:
    """What ``xlwings.udfs.import_udfs`` would put into the workbook."""

    vba: str  # the whole xlwings_udfs.bas module, as imported into the VBA project
    macro_options: list[dict[str, Any]]  # one Application.MacroOptions call per function


class UDFHarness:
    """Classic xlwings UDFs of ``module_name`` called the way Excel on Windows calls them.

    Usage::

        from tests.xlharness import MISSING, UDFHarness, excel_error, table

        @pytest.fixture(scope="module")
        def xl():
            with UDFHarness("xlgex.udfs") as h:
                yield h

        def test_flip(xl):
            assert xl.call("GEX_FLIP", table(chain_df), 4500.0) == pytest.approx(4480.0)
            assert xl.call("GEX_FLIP", table(chain_df), MISSING) == ...  # omitted Optional
            call = xl.invoke("GEX_FLIP", ((1.0, excel_error("#N/A")),))
            call.args, call.value, call.error

    The target module is imported fresh when the harness is created, with ``xw.func``/``arg``/
    ``ret`` bound to ``xlwings.udfs``' real decorators.  Other importers keep their own copy.
    """

    def __init__(self, module_name: str, *, workbook_name: str = "Book1.xlsm") -> None:
        self.module_name = module_name
        self.workbook_name = workbook_name
        self._win = _windows_xlwings()
        self.udfs = self._win.udfs
        with self._win.active():
            self.module = self._import_fresh(module_name)
        self.functions: dict[str, dict[str, Any]] = {
            obj.__xlfunc__["name"]: obj.__xlfunc__
            for obj in vars(self.module).values()
            if hasattr(obj, "__xlfunc__") and not inspect.ismodule(obj)
        }

    # -- context management (nothing to release: the patch is only active inside calls) -------

    def __enter__(self) -> UDFHarness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Forget the module in xlwings' UDF module cache."""
        self.udfs.udf_modules.pop(self.module_name, None)

    @staticmethod
    def _import_fresh(module_name: str) -> types.ModuleType:
        parent_name, _, child = module_name.rpartition(".")
        parent = sys.modules.get(parent_name) if parent_name else None
        old_attr = getattr(parent, child, _ABSENT) if parent is not None else _ABSENT
        old = sys.modules.pop(module_name, _ABSENT)
        try:
            return importlib.import_module(module_name)
        finally:
            if old is _ABSENT:
                sys.modules.pop(module_name, None)
            else:
                sys.modules[module_name] = old
            parent = sys.modules.get(parent_name) if parent_name else None
            if parent is not None:
                if old_attr is _ABSENT:
                    parent.__dict__.pop(child, None)
                else:
                    setattr(parent, child, old_attr)

    @contextlib.contextmanager
    def _active(self) -> Iterator[None]:
        with self._win.active():
            path = getattr(self.module, "__file__", None)
            # filetime None: get_udf_module returns the cached module and never reloads it.
            self.udfs.udf_modules[self.module_name] = {
                "filename": os.path.normcase(path.lower()) if path else None,
                "filetime": None,
                "module": self.module,
            }
            yield

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def excel_error(name: str) -> int:
        """COM int of an Excel error value (see :func:`excel_error`)."""
        return excel_error(name)

    def _xlfunc(self, name: str) -> dict[str, Any]:
        try:
            return self.functions[name]
        except KeyError:
            raise KeyError(
                f"{name!r} is not an xlwings UDF in {self.module_name}; "
                f"known: {', '.join(sorted(self.functions))}"
            ) from None

    def _vba_args(self, name: str, user_args: tuple[Any, ...]) -> list[Any]:
        """The Array(...) the generated VBA wrapper hands to XLPy.CallUDF."""
        info = self._xlfunc(name)
        pending = list(user_args)
        out: list[Any] = []
        for arg in info["args"]:
            if arg["name"] == "caller":
                out.append(None)  # VBA passes Nothing; call_udf substitutes the caller range
            elif arg["vba"]:
                raise NotImplementedError(f"{name}: vba={arg['vba']!r} arguments are not modelled")
            elif arg["vararg"]:
                out.extend(pending)
                pending = []
            elif pending:
                out.append(pending.pop(0))
            elif "optional" in arg:
                out.append(MISSING)
            else:
                raise TypeError(f"{name}: required argument {arg['name']!r} not given")
        if pending:
            raise TypeError(f"{name}: {len(user_args)} arguments given, too many for Excel")
        return out

    def _com_args(self, book: _FakeWorkbook, vba_args: list[Any]) -> tuple[Any, ...]:
        """Each argument as it arrives in XLPython.CallUDF: a Range IDispatch or a VARIANT."""
        data = book.sheet("Data")
        next_col = 1
        out: list[Any] = []

        def reference(grid: tuple[tuple[Any, ...], ...]) -> _PyIDispatch:
            nonlocal next_col
            rng = data.put(1, next_col, grid)
            next_col += len(grid[0]) + 1
            return _PyIDispatch(rng)

        for value in vba_args:
            if isinstance(value, _ArrayArg):
                out.append(_array_in(value.values))
            elif isinstance(value, _RangeArg):
                out.append(reference(_grid_in(value.values)))
            elif value is None or isinstance(value, dt.date):
                # No literal is blank or a date: a blank cell / a date-formatted cell reference.
                out.append(reference(_grid_in(value)))
            elif isinstance(value, list | tuple) or hasattr(value, "itertuples"):
                out.append(reference(_grid_in(value)))
            else:
                out.append(_com_in(value))
        return tuple(out)

    # -- calls ---------------------------------------------------------------------------------

    def invoke(self, name: str, *args: Any) -> UDFCall:
        """Evaluate ``=name(args...)`` in a cell and return what happened.

        Arguments are given in the order of the Excel signature, which is the generated VBA
        signature: ``caller`` and ``vba=`` arguments are not in it.

        * ``MISSING`` is an omitted Optional argument.  Trailing omitted arguments can simply
          be left out.  A skipped one, as in ``=F(1,,3)``, is assumed to arrive as missing too.
        * ``None`` is a reference to a blank cell.
        * A 2D tuple or list is a reference to a range.  Build one with :func:`table`.
        * A ``datetime`` or ``date`` is a reference to a date-formatted cell.  A date typed in a
          formula, such as ``DATE(2024,1,19)``, is just its serial number: pass the float.
        * ``float``, ``int``, ``str`` and ``bool`` are literals.  An int is a number unless it is
          an Excel error code (:func:`excel_error`).
        * ``cell(x)`` makes a reference of any value.  ``array(x)`` makes an array constant or
          an array result.
        """
        info = self._xlfunc(name)
        if info.get("async_mode"):
            raise NotImplementedError(f"{name}: async_mode={info['async_mode']!r} is not modelled")
        func = getattr(self.module, name)
        if inspect.iscoroutinefunction(func):
            raise NotImplementedError(f"{name}: async def UDFs are not modelled")

        book = _FakeWorkbook(self.workbook_name)
        sheet = book.sheet("Sheet1")
        caller = _FakeRange(sheet, 1, 1, 1, 1)
        caller.Formula = f"={name}(...)"
        com_args = self._com_args(book, self._vba_args(name, args))

        record = UDFCall(value=None)

        @functools.wraps(func)
        def recorder(*call_args: Any) -> Any:
            record.args = call_args
            record.result = func(*call_args)
            return record.result

        recorder.__xlfunc__ = func.__xlfunc__
        server = self._win.com_server.XLPython()
        expand = bool(info["ret"]["options"].get("expand"))
        loop = asyncio.new_event_loop()
        try:
            with self._active():
                self._win.com_server.loop = loop
                setattr(self.module, name, recorder)
                try:
                    value = server.CallUDF(
                        self.module_name, name, com_args, None, _PyIDispatch(caller)
                    )
                    if expand:
                        value = self._after_resize(
                            loop, server, sheet, name, com_args, record, value
                        )
                except Exception as exc:  # the VBA wrapper: NAME = Err.Description
                    record.error, record.value = exc, _cell_error_text(exc)
                else:
                    marshal_error = _variant_error(value)
                    if marshal_error is None:
                        record.value = value
                    else:
                        record.error, record.value = marshal_error, _cell_error_text(marshal_error)
                finally:
                    setattr(self.module, name, func)
                    self._win.com_server.loop = None
                    self.udfs.cache.clear()
        finally:
            loop.close()
        return record

    def _after_resize(
        self,
        loop: asyncio.AbstractEventLoop,
        server: Any,
        sheet: _FakeWorksheet,
        name: str,
        com_args: tuple[Any, ...],
        record: UDFCall,
        first_value: Any,
    ) -> Any:
        """Legacy ``expand``: run xlwings' resize coroutine, then recalculate the array formula."""
        loop.run_until_complete(_drain())
        if not sheet.array_formulas:  # the result fitted the caller: nothing was resized
            return first_value
        address, _formula = sheet.array_formulas[-1]
        record.resized_to = address
        resized = _PyIDispatch(sheet.Range(address))
        return server.CallUDF(self.module_name, name, com_args, None, resized)

    def call(self, name: str, *args: Any) -> Any:
        """``invoke(name, *args).value``: what Excel receives (see :meth:`invoke`)."""
        return self.invoke(name, *args).value

    def call_udf(self, name: str, *args: Any) -> Any:
        """Like :meth:`invoke`, but re-raise the UDF's exception instead of returning text."""
        call = self.invoke(name, *args)
        if call.error is not None:
            raise call.error
        return call.value

    # -- VBA ------------------------------------------------------------------------------------

    def vba_wrapper(self, workbook_name: str | None = None) -> str:
        """VBA that ``xlwings.udfs.generate_vba_wrapper`` writes for the module."""
        book = _FakeWorkbook(workbook_name or self.workbook_name)
        out = io.StringIO()
        with self._active():
            self.udfs.generate_vba_wrapper(self.module_name, self.module, out, book)
        return out.getvalue()

    def import_udfs(self, workbook_name: str | None = None) -> VBAImport:
        """Run ``xlwings.udfs.import_udfs`` against a fake workbook and return what it did."""
        book = _FakeWorkbook(workbook_name or self.workbook_name)
        with self._active(), contextlib.redirect_stdout(io.StringIO()):
            self.udfs.import_udfs(self.module_name, book)
        (vba,) = book.VBProject.VBComponents.imported
        return VBAImport(vba=vba, macro_options=book.Application.macro_options)


async def _drain() -> None:
    await asyncio.sleep(0)  # let run_coroutine_threadsafe's callbacks create their tasks
    me = asyncio.current_task()
    while tasks := [t for t in asyncio.all_tasks() if t is not me]:
        await asyncio.gather(*tasks, return_exceptions=True)

