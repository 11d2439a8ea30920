"""The worksheet functions through xlwings Lite's Office.js call path (Excel on Mac and the web).

xlwings' own Office.js code (``xlwings/pro/udfs_officejs.py`` and the ``officejs`` engine in
``xlwings/pro/_xlofficejs.py``) is licence-gated, so it is mirrored here step for step, and
everything it calls that is not gated runs for real (``xlwings.conversion.read``/``write``):

* ``custom_functions_call``: varargs are flattened, every argument goes through
  ``to_scalar`` (a 1x1 matrix becomes its value; Pyodide's ``JsNull`` becomes None), None
  takes the Python default, anything else goes through ``conversion.read`` with the
  argument's options and the ``officejs`` engine; the result goes through
  ``conversion.write`` (always a matrix);
* the engine's ``clean_value_data`` (``JsNull`` and ``""`` are empty, error dicts become
  their ``basicValue`` text with ``err_to_str``) and ``prepare_xl_data_element`` (dates as
  serials, NaN as #NUM!).

What Office.js hands over is modelled as Pyodide >= 0.28 delivers it: every argument a
matrix (list of lists), blank cells inside arrays as ``JsNull`` (a stand-in class with that
name: pyodide does not exist in CPython), omitted arguments as ``JsNull``, error cells as
dicts, dates as Excel serial numbers and whole numbers as ``int``. Each call is compared
with the same call through the Windows path (tests/xlharness.py).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlwings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from xlwings import conversion, utils
from xlwings.main import Engine

from tests.conftest import subprocess_env
from xlgex import cells, lite

from .xlharness import ERROR_CODES, MISSING, UDFHarness, excel_error, table

ASOF = dt.datetime(2026, 11, 20, 10, 30)


class JsNull:
    """Stands in for ``pyodide.ffi.JsNull``: how Pyodide >= 0.28 shows a JS ``null``."""

    js_type = "null"

    def __repr__(self) -> str:
        return "JsNull"


_ERROR_TYPES = {"#DIV/0!": "Div0", "#N/A": "NotAvailable", "#NAME?": "Name", "#NULL!": "Null",
                "#NUM!": "Num", "#REF!": "Ref", "#VALUE!": "Value", "#SPILL!": "Spill",
                "#CALC!": "Calc", "#CONNECT!": "Connect", "#BLOCKED!": "Blocked",
                "#FIELD!": "Field", "#GETTING_DATA": "GettingData", "#UNKNOWN!": "Unknown"}  # fmt: skip
_RETURNED_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!")
_CODE_TO_TEXT = {code: text for text, code in ERROR_CODES.items()}


def officejs_error(text: str) -> dict:
    """An error cell as Office.js delivers it (``allowErrorForDataTypeAny``)."""
    return {"type": "Error", "basicType": "Error", "basicValue": text,
            "errorType": _ERROR_TYPES[text]}  # fmt: skip


class _OfficeJsEngine:
    """Mirror of the ``officejs`` engine of xlwings/pro/_xlofficejs.py (UDF reads and writes)."""

    name, type = "officejs", "remote"

    @staticmethod
    def clean_value_data(data, datetime_builder, empty_as, number_builder, err_to_str):
        def clean(value):
            if type(value).__name__ == "JsNull" or value == "":
                return empty_as
            if isinstance(value, dict):
                if value["type"] == "Error":
                    return value["basicValue"] if err_to_str else None
                return value["basicValue"]
            return number_builder(value) if number_builder and isinstance(value, float) else value

        return [[clean(c) for c in row] for row in data]

    @staticmethod
    def prepare_xl_data_element(x, options):
        """Runtime >= 1.4: NaN and "#..." texts become error entities, dates formatted numbers."""
        if x is None:
            return ""
        if pd.isna(x):
            return {"type": "Error", "errorType": "Num"}
        if isinstance(x, np.number):
            return float(x)
        if isinstance(x, np.datetime64):
            x = pd.Timestamp(x)
        if isinstance(x, (dt.date, dt.datetime)):
            serial = utils.datetime_to_xlserial(x)
            return {"type": "FormattedNumber", "basicValue": serial, "numberFormat": options["date_format"]}
        if isinstance(x, str) and x in _RETURNED_ERRORS:  # the seven classic errors only
            return {"type": "Error", "errorType": _ERROR_TYPES[x]}
        return x


@pytest.fixture(scope="module")
def officejs():
    """Register the mirrored engine for the module's calls, then take it away again."""
    engines = xlwings.engines
    had = engines.engines_by_name.get("officejs")
    engine = Engine(impl=_OfficeJsEngine())
    if had is None:
        engines.add(engine)
    yield
    if had is None:
        engines.engines.remove(engine)
        del engines.engines_by_name["officejs"]


def _to_scalar(arg):
    """xlwings' ``to_scalar`` + ``js_to_none``."""
    if isinstance(arg, (list, tuple)) and len(arg) == 1:
        arg = arg[0][0] if isinstance(arg[0], (list, tuple)) and len(arg[0]) == 1 else arg[0]
    return None if type(arg).__name__ == "JsNull" else arg


def officejs_call(xl, name: str, *args):
    """Mirror of ``custom_functions_call``: what Excel on Mac or the web shows (a matrix)."""
    func = getattr(xl.module, name)
    info = func.__xlfunc__
    args_info = info["args"]
    args = list(args) + [JsNull()] * max(0, len(args_info) - len(args))  # omitted: null
    flat, flat_info = [], []
    for i, arg in enumerate(args):
        arg_info = args_info[min(i, len(args_info) - 1)]
        if arg_info["vararg"]:
            flat.extend(arg)
            flat_info.extend([arg_info] * len(arg))
        else:
            flat.append(arg)
            flat_info.append(arg_info)
    values = []
    for arg, arg_info in zip(flat, flat_info, strict=True):
        arg = _to_scalar(arg)
        if arg is None:
            values.append(arg_info.get("optional", None))
        else:
            values.append(conversion.read(None, arg, arg_info["options"], engine_name="officejs"))
    result = func(*values)
    options = {**info["ret"]["options"], "date_format": "m/d/yyyy", "runtime": "1.4"}  # Excel's short date
    return conversion.write(result, None, options, engine_name="officejs")


def _js_cell(value):
    """One cell as Office.js delivers it."""
    if value is None or value == MISSING:
        return JsNull()
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in _CODE_TO_TEXT:
        return officejs_error(_CODE_TO_TEXT[value])
    if isinstance(value, dt.datetime):
        value = utils.datetime_to_xlserial(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # Pyodide turns whole JS numbers into int
    return value


def to_officejs(value):
    """An argument as Office.js delivers it: always a matrix (an omitted one is null)."""
    if value is MISSING:
        return JsNull()
    if isinstance(value, (list, tuple)):
        rows = value if value and isinstance(value[0], (list, tuple)) else [value]
        return [[_js_cell(c) for c in row] for row in rows]
    return [[_js_cell(value)]]


def _comparable(grid):
    out = []
    for row in grid:
        cells_ = []
        for c in row:
            if isinstance(c, dt.datetime):
                c = utils.datetime_to_xlserial(c.replace(tzinfo=None))
            elif isinstance(c, dict) and c.get("type") == "FormattedNumber":  # a date from Office.js
                c = c["basicValue"]
            cells_.append(c)
        out.append(cells_)
    return out


def windows_grid(xl, name, *args):
    call = xl.invoke(name, *args)
    assert call.error is None, repr(call.error)
    return _comparable(call.grid)


def same_answer(xl, name, *args):
    """The call through Office.js equals the call through Windows; returns the grid."""
    win = windows_grid(xl, name, *args)
    web_args = [to_officejs(a) for a in args]
    if xl.functions[name]["args"][0]["vararg"]:  # a repeating parameter: one list of values
        web_args = [web_args]
    web = _comparable(officejs_call(xl, name, *web_args))
    assert len(web) == len(win) and all(len(a) == len(b) for a, b in zip(web, win, strict=True))
    for row_web, row_win in zip(web, win, strict=True):
        for a, b in zip(row_web, row_win, strict=True):
            if isinstance(b, float) and isinstance(a, (int, float)):
                assert a == pytest.approx(b, rel=1e-12, abs=1e-9), (name, a, b)
            else:
                assert a == b, (name, a, b)
    return win


# -- the chains --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chain_range():
    from .test_udfs import long_frame

    return table(long_frame())


def _with(rng, row, column, value):
    rows = [list(r) for r in rng]
    rows[row][list(rng[0]).index(column)] = value
    return tuple(map(tuple, rows))


CALLS = [
    ("GEX_TOTAL", (5000.0, ASOF)), ("GEX_TOTAL", (MISSING, ASOF, "all_short")),
    ("GEX_STRIKE", (5000.0, ASOF)), ("GEX_FLIP", (5000.0, ASOF)),
    ("GEX_FLIP", (5000.0, ASOF, MISSING, "cumulative")), ("GEX_REGIME", (5000.0, ASOF, MISSING, 9.0, 1.1)),
    ("GEX_REGIME", (5000.0, ASOF, MISSING, MISSING, MISSING, True)),
    ("GEX_PROFILE", (5000.0, ASOF, MISSING, 21.0)), ("GEX_WALLS", (5000.0, ASOF)),
    ("GEX_EXPOSURE", ("vanna", 5000.0, ASOF)), ("GEX_INFO", (5000.0, ASOF)),
    ("GEX_TOTAL", ("4,500.53", ASOF)), ("GEX_TOTAL", ("4.500,53", ASOF)),
    ("GEX_TOTAL", (True, ASOF)), ("GEX_TOTAL", (excel_error("#N/A"), ASOF)),
    ("GEX_TOTAL", (5000.0, (ASOF - dt.datetime(1899, 12, 30)).total_seconds() / 86400)),
    ("GEX_TOTAL", (((1.0, 2.0), (3.0, 4.0), (5.0, 6.0)), ASOF)),
]  # fmt: skip


@pytest.mark.parametrize("name, args", CALLS)
def test_chain_functions_same_on_officejs(xl, officejs, chain_range, name, args):
    same_answer(xl, name, chain_range, *args)


def test_dates_as_serials(xl, officejs, chain_range):
    """Office.js passes date cells as serial numbers: as-of and expiries read as on Windows."""
    expiry = chain_range[1][list(chain_range[0]).index("Expiration")]
    grid = same_answer(xl, "GEX_STRIKE", chain_range, 5000.0, ASOF, MISSING, MISSING, expiry)
    assert len(grid) > 1 and isinstance(grid[1][3], float)
    two = ((expiry,), (dt.datetime(2026, 12, 1),), (None,))
    same_answer(xl, "GEX_TOTAL", chain_range, 5000.0, ASOF, MISSING, MISSING, two)


@pytest.mark.parametrize("column, value", [("IV", None), ("Open Interest", None),
                                           ("IV", excel_error("#N/A")), ("Strike", excel_error("#DIV/0!")),
                                           ("Type", "X"), ("Strike", "abc")])  # fmt: skip
def test_blank_and_error_cells_inside_the_chain(xl, officejs, chain_range, column, value):
    grid = same_answer(xl, "GEX_STRIKE", _with(chain_range, 5, column, value), 5000.0, ASOF)
    if value is not None:
        message = grid[0][0]
        assert message.startswith("xlgex: row 6") and column in message, message


def test_error_dict_shapes(xl, officejs, chain_range):
    """``basicType`` naming the error, or only an ``errorType``: the same message as Windows."""
    win = windows_grid(xl, "GEX_STRIKE", _with(chain_range, 5, "IV", excel_error("#N/A")), 5000.0, ASOF)
    shapes = ({"type": "Error", "basicType": "NotAvailable"},
              {"type": "Error", "errorType": "NotAvailable"}, officejs_error("#N/A"))
    for cell in shapes:
        rows = to_officejs(chain_range)
        rows[5][list(chain_range[0]).index("IV")] = cell
        web = officejs_call(xl, "GEX_STRIKE", rows, [[5000]], to_officejs(ASOF))
        assert web == win


def test_blank_cells_as_empty_text(xl, officejs, chain_range):
    rows = [[("" if type(c).__name__ == "JsNull" else c) for c in row] for row in to_officejs(chain_range)]
    rows += [[""] * len(rows[0])] * 3  # the trader selected extra rows
    web = officejs_call(xl, "GEX_TOTAL", rows, [[5000]], to_officejs(ASOF))
    assert web == [[pytest.approx(xl.call("GEX_TOTAL", chain_range, 5000.0, ASOF), rel=1e-12)]]


HEDGE_CALLS = [
    ("BS_GREEKS", (49.0, 50.0, 0.3846, 0.2, 0.05)), ("BS_GREEKS", (49.0, 50.0, 0.3846, 20.0)),
    ("BS_GREEKS", (49.0, 50.0, 0.3846, 0.2, MISSING, MISSING, "P")),
    ("HEDGE_TRADE", (-200.0, -0.25, MISSING, "ES")), ("HEDGE_TRADE", (-1.0, 0.40)),
    ("HEDGE_TRADE", (50.0, 0.40, 100.0, "ES", MISSING, MISSING, MISSING, MISSING, MISSING, True)),
    ("HEDGE_TRADE", ("1,5", 0.4)), ("HEDGE_TRADE", (True, 0.4)), ("HEDGE_TRADE", (None, 0.4)),
    ("HEDGE_LADDER", (-200.0, ((5700.0,), (5699.0,), (None,), (5701.0,)), -0.25, 0.01, MISSING,
                      MISSING, MISSING, MISSING, MISSING, "ES")),
    ("HEDGE_LADDER", (-200.0, ((5700.0, 5699.0), (5701.0, 5702.0)), -0.25, 0.01)),
]  # fmt: skip


@pytest.mark.parametrize("name, args", HEDGE_CALLS)
def test_scalar_functions_same_on_officejs(xl, officejs, name, args):
    same_answer(xl, name, *args)


def test_every_function_is_called_through_officejs(xl):
    called = {name for name, _ in CALLS + HEDGE_CALLS}
    core = {"GEX_STRIKE", "GEX_TOTAL", "GEX_FLIP", "GEX_REGIME", "GEX_PROFILE", "GEX_WALLS",
            "GEX_EXPOSURE", "GEX_INFO", "BS_GREEKS", "HEDGE_TRADE", "HEDGE_LADDER"}  # fmt: skip
    assert core <= called


@pytest.mark.parametrize("name", sorted(UDFHarness("xlgex.udfs").functions))
def test_any_function_with_blank_arguments(xl, officejs, chain_range, name):
    """Every registered function, blank and omitted arguments alike, answers as on Windows."""
    info = xl.functions[name]
    if info["args"][0]["vararg"]:
        args = (chain_range, chain_range)
    else:
        required = sum("optional" not in a for a in info["args"])
        args = (chain_range, None, ASOF, None)[: max(required, 1)] if info["args"][0]["name"] == "chain" \
            else tuple([1.0] * required)  # fmt: skip
    same_answer(xl, name, *args)


# -- the metadata Office.js registers -----------------------------------------------------------


def custom_functions_meta(xl) -> dict:
    """Mirror of ``custom_functions_meta``: the JSON Excel registers the functions with."""
    funcs = []
    for name, info in sorted(xl.functions.items()):
        params = []
        for arg in info["args"]:
            param = {"description": arg["doc"], "name": arg["name"], "dimensionality": "matrix",
                     "type": "any"}  # fmt: skip
            if "optional" in arg:
                param["optional"] = True
            elif arg["vararg"]:
                param["repeating"] = True
            params.append(param)
        funcs.append({"id": name.upper(), "name": name.upper(), "description": info["ret"]["doc"],
                      "parameters": params})  # fmt: skip
    return {"functions": funcs}


def test_metadata_names_help_and_optional_arguments(xl):
    import inspect

    meta = custom_functions_meta(xl)
    assert {f["name"] for f in meta["functions"]} >= {"GEX_TOTAL", "GEX_FLIP", "HEDGE_LADDER"}
    for func in meta["functions"]:
        python = inspect.signature(getattr(xl.module, func["name"]).__wrapped__)
        assert [p["name"] for p in func["parameters"]] == list(python.parameters), func["name"]
        assert func["description"] and "\n" not in func["description"].strip()
        for param in func["parameters"]:
            spec = python.parameters[param["name"]]
            assert param["description"] and not param["description"].startswith("Positional")
            assert len(param["description"]) <= 255
            assert param.get("optional", False) == (spec.default is None), (func["name"], param)
    json.dumps(meta)  # what the add-in receives is plain JSON


# -- cold start, payload limit and the lite command --------------------------------------------


def test_import_loads_only_what_a_first_call_needs():
    code = ("import sys, xlgex.udfs; print(sorted(m for m in sys.modules if m.startswith('xlgex'))); "
            "print('scipy' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, scipy = out.stdout.splitlines()
    assert loaded == str(["xlgex", "xlgex.cells", "xlgex.conventions", "xlgex.errors", "xlgex.udfs"])
    assert scipy == "False"


def test_no_call_path_loads_process_pools(tmp_path):
    """Pyodide has no processes: calling every function, GEX_HISTORY included (it reads through
    the history package, whose engine runs worker processes), loads no process machinery."""
    history = tmp_path / "h.csv"
    history.write_text("quote_time,underlying,spot\n2026-11-20T10:30-0500,SPX,5900\n", encoding="utf-8")
    code = (
        "import sys, xlgex.udfs as u\n"
        f"print(u.GEX_HISTORY({str(history)!r}, None, 'underlying,spot'))\n"
        "from xlgex.history import excel, run, engine\n"
        "print(sorted(m for m in ('multiprocessing', 'concurrent.futures.process', '_multiprocessing', "
        "'dask') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=subprocess_env())  # fmt: skip
    table_line, loaded = out.stdout.splitlines()[-2:]
    assert "SPX" in table_line and "5900" in table_line
    assert loaded == "[]"


def test_chain_above_the_payload_limit_is_a_message(xl, officejs, chain_range):
    header = list(chain_range[0]) + [f"extra {k}" for k in range(20)]
    row = list(chain_range[1]) + ["some long text in a column nobody needs"] * 20
    rows = [header] + [row] * 20_000
    out = officejs_call(xl, "GEX_TOTAL", to_officejs(rows), [[5000]], to_officejs(ASOF))
    message = out[0][0]
    assert message.startswith("xlgex: chain ~18.") and "5 MB Office.js limit" in message, message
    assert "select only expiry, strike, type, OI and IV columns" in message
    assert len(message) <= cells.MAX_MESSAGE


def test_payload_estimate_is_the_json_size():
    rows = [["Expiration", "Strike", "Type", "Open Interest", "IV"]] + \
        [[46346, 5000 + k, "C", 1000 + k, 0.2] for k in range(5000)]  # fmt: skip
    size = len(json.dumps(rows))
    limit = cells.OFFICEJS_PAYLOAD_BYTES
    try:
        cells.OFFICEJS_PAYLOAD_BYTES = int(size * 1.1)
        cells._payload_check(rows)  # fits
        cells.OFFICEJS_PAYLOAD_BYTES = int(size * 0.9)
        with pytest.raises(cells.XlgexError):
            cells._payload_check(rows)
    finally:
        cells.OFFICEJS_PAYLOAD_BYTES = limit


def test_jsnull_recognised_by_name_only():
    assert cells.officejs_value(JsNull()) is None
    assert cells.officejs_value({"type": "Error", "basicType": "NotAvailable"}) == "#N/A"
    assert cells.officejs_value({"type": "FormattedNumber", "basicValue": 46346.5}) == 46346.5
    assert cells.officejs_value("") == "" and cells.officejs_value(0) == 0


def test_lite_texts():
    main = lite.MAIN_PY
    assert main.count("import") == 1 and "from xlgex.udfs import *" in main
    compile(main, "main.py", "exec")
    assert lite.requirements_txt() == f"https://YOUR-HOST/{lite.wheel_name()}\n"
    assert lite.requirements_txt("https://h.example/x/") == f"https://h.example/x/{lite.wheel_name()}\n"


def test_lite_command_prints_both_texts(capsys):
    from xlgex.cli import main

    assert main(["lite", "--no-build", "--url", "https://h.example/w"]) == 0
    out = capsys.readouterr().out
    assert "--- requirements.txt ---" in out and "--- main.py ---" in out
    assert f"https://h.example/w/{lite.wheel_name()}" in out and "from xlgex.udfs import *" in out


# -- property: any arguments, the same answer on both paths -----------------------------------

_CELLS = st.one_of(
    st.none(), st.booleans(), st.sampled_from(list(ERROR_CODES.values())),
    st.sampled_from(["", "abc", "4,500.53", "4.500,53", "1,5", "C", "P", "ES", "0dte", "all_short",
                     "cumulative", "vanna", "2026-12-18"]),
    st.floats(allow_nan=False, allow_infinity=False, width=32), st.integers(-5, 5).map(float),
)  # fmt: skip


@st.composite
def _ranges(draw):
    rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return tuple(tuple(draw(_CELLS) for _ in range(cols)) for _ in range(rows))


_ARG = st.one_of(st.just(MISSING), st.just(MISSING), _CELLS, _ranges())
_NAMES = sorted(UDFHarness("xlgex.udfs").functions)


@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.sampled_from(_NAMES), data=st.data())
def test_property_same_answer_on_both_paths(xl, officejs, chain_range, name, data):
    """Dates go only where a date is expected: Office.js cannot tell a date cell from a number."""
    info = xl.functions[name]
    if info["args"][0]["vararg"]:
        args = [chain_range, data.draw(st.one_of(st.just(chain_range), _ranges()))]
    else:
        width = len(info["args"])
        args = data.draw(st.lists(_ARG, min_size=width, max_size=width))
        if info["args"][0]["name"] == "chain":
            args[0] = data.draw(st.one_of(st.just(chain_range), _ranges()))
        names = [a["name"] for a in info["args"]]
        if "asof" in names:
            args[names.index("asof")] = data.draw(st.one_of(st.just(ASOF), st.just(MISSING), _CELLS))
        required = sum("optional" not in a for a in info["args"])
        args = args[: data.draw(st.integers(required, width))]
    same_answer(xl, name, *args)


@pytest.mark.parametrize("value", [1000000.0, 123456.789, -0.0, 1e20])
def test_a_number_where_a_date_belongs_reads_alike_on_both_paths(xl, officejs, chain_range, value):
    """Office.js passes a whole number as int, Windows as float: the message shows it once."""
    same_answer(xl, "GEX_FLIP", chain_range, MISSING, value)


def test_lite_builds_into_a_folder_that_does_not_exist_yet(tmp_path, monkeypatch, capsys):
    """A fresh checkout has no dist/: the command makes it; a failing pip is one line."""
    from xlgex.cli import main

    def fake_pip(command, **_):
        Path(command[command.index("-w") + 1], lite.wheel_name()).write_bytes(b"PK wheel")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(lite.subprocess, "run", fake_pip)
    out_dir = tmp_path / "fresh" / "dist"
    assert main(["lite", "--out", str(out_dir)]) == 0
    assert (out_dir / lite.wheel_name()).read_bytes() == b"PK wheel"
    assert f"Built {out_dir / lite.wheel_name()}" in capsys.readouterr().out

    def failing_pip(command, **_):
        return subprocess.CompletedProcess(command, 1, "", "ERROR: a\nERROR: no network\n")

    monkeypatch.setattr(lite.subprocess, "run", failing_pip)
    assert main(["lite", "--out", str(tmp_path / "other")]) != 0
    err = capsys.readouterr().err.strip()
    assert err == "xlgex: pip wheel failed: ERROR: no network"
