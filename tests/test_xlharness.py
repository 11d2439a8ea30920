"""The Excel-on-Windows UDF harness (tests/xlharness.py), checked on a toy UDF module.

Expected values come from reading the installed xlwings (udfs.call_udf, com_server.CallUDF,
_xlwindows.clean_value_data / prepare_xl_data_element) and pywin32 (oleargs.cpp, ErrorUtils.cpp).
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import math
import sys

import numpy as np
import pandas as pd
import pytest
import xlwings as xw
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.xlharness import (
    ERROR_CODES,
    MISSING,
    UDFHarness,
    array,
    as_grid,
    cell,
    excel_error,
    table,
)

NA = -2146826246  # #N/A as COM delivers it (0x800A07FA)
UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def xl():
    with UDFHarness("tests._toy_udfs") as h:
        yield h


# -- the decorators are xlwings.udfs' real ones --------------------------------------------------


class TestMetadata:
    def test_every_udf_is_registered(self, xl):
        assert set(xl.functions) == {
            "TOY_SCALE", "TOY_ECHO", "TOY_INT", "TOY_SHAPE", "TOY_CELLS_TEXT", "TOY_GRID",
            "TOY_EXPIRIES", "TOY_FRAME", "TOY_FAIL", "TOY_SET", "TOY_SUM", "TOY_UNION_HINT",
        }

    def test_args_docs_defaults_category(self, xl):
        info = xl.functions["TOY_SCALE"]
        assert [a["name"] for a in info["args"]] == ["spot", "scale"]
        spot, scale = info["args"]
        assert "optional" not in spot and scale["optional"] == 2.0
        assert spot["doc"] == "Spot price, index points."
        assert info["ret"]["doc"] == "Spot times scale."
        assert info["category"] == "xlgex-toy"
        assert xl.functions["TOY_ECHO"]["category"] == "xlwings"  # xlwings' default
        assert info["volatile"] is False and info["call_in_wizard"] is True

    def test_arg_and_ret_options(self, xl):
        assert xl.functions["TOY_INT"]["argmap"]["n"]["options"] == {"numbers": int}
        assert xl.functions["TOY_SHAPE"]["argmap"]["cells"]["options"] == {"ndim": 2}
        assert xl.functions["TOY_EXPIRIES"]["ret"]["options"] == {"expand": "table"}
        assert xl.functions["TOY_SUM"]["args"][0]["vararg"] is True

    def test_runs_installed_xlwings_code(self, xl):
        assert xl.udfs.call_udf.__module__ == "xlwings.udfs"
        assert inspect.getsourcefile(xl.udfs.call_udf).startswith(
            inspect.getsourcefile(xw).rpartition("__init__")[0]
        )

    def test_process_left_as_found(self, xl):
        xl.call("TOY_SCALE", 1.0)
        for name in ("pythoncom", "pywintypes", "win32com", "xlwings.udfs", "xlwings._xlwindows"):
            assert name not in sys.modules
        assert "excel" not in [engine.name for engine in xw.engines]

        @xw.func
        def plain(x):
            return x

        assert not hasattr(plain, "__xlfunc__")  # xw.func is the no-op again
        toy = importlib.import_module("tests._toy_udfs")
        assert toy.TOY_SCALE is not xl.module.TOY_SCALE
        assert not hasattr(toy.TOY_SCALE, "__xlfunc__")


# -- arguments -----------------------------------------------------------------------------------


class TestMissingAndBlank:
    def test_marker_is_the_one_call_udf_checks(self, xl):
        assert MISSING == 0x80020004 - 2**32  # DISP_E_PARAMNOTFOUND, signed
        assert str(MISSING) in inspect.getsource(xl.udfs.call_udf)

    @pytest.mark.parametrize("args", [(3.0,), (3.0, MISSING)])
    def test_omitted_optional_gets_python_default(self, xl, args):
        call = xl.invoke("TOY_SCALE", *args)
        assert call.args == (3.0, 2.0)
        assert call.value == 6.0

    def test_blank_cell_arrives_as_none_not_default(self, xl):
        call = xl.invoke("TOY_SCALE", 3.0, None)
        assert call.args == (3.0, None)  # the UDF itself must map None to its default
        assert call.value == 6.0

    def test_empty_string_arrives_as_none(self, xl):
        assert xl.invoke("TOY_ECHO", "").args == (None,)

    def test_missing_in_the_middle(self, xl):
        assert xl.invoke("TOY_GRID", 1.0, MISSING).args == (1, 3)


class TestRanges:
    def test_2d_range_is_list_of_lists(self, xl):
        call = xl.invoke("TOY_ECHO", ((1.0, 2.0), (3.0, None)))
        assert call.args == ([[1.0, 2.0], [3.0, None]],)

    def test_default_ndim_squeezes_rows_and_columns(self, xl):
        assert xl.invoke("TOY_ECHO", ((1.0, 2.0, 3.0),)).args == ([1.0, 2.0, 3.0],)
        assert xl.invoke("TOY_ECHO", ((1.0,), (2.0,))).args == ([1.0, 2.0],)
        assert xl.invoke("TOY_ECHO", cell(5.0)).args == (5.0,)

    def test_ndim_2_keeps_2d(self, xl):
        assert xl.invoke("TOY_SHAPE", 5.0).args == ([[5.0]],)
        assert xl.call("TOY_SHAPE", ((1.0, 2.0, 3.0),)) == "1x3"
        assert xl.call("TOY_SHAPE", ((1.0,), (2.0,))) == "2x1"

    def test_ints_are_excel_numbers(self, xl):
        assert xl.invoke("TOY_ECHO", ((1, 2),)).args == ([1.0, 2.0],)
        assert all(type(x) is float for x in xl.invoke("TOY_ECHO", ((1, 2),)).args[0])

    def test_array_constant(self, xl):
        assert xl.invoke("TOY_ECHO", array([1, 2, 3])).args == ([1.0, 2.0, 3.0],)
        assert xl.invoke("TOY_SHAPE", array([[1, 2], [3, 4]])).args == ([[1.0, 2.0], [3.0, 4.0]],)

    def test_table_of_dataframe(self, xl):
        df = pd.DataFrame({"strike": [4500, 4510], "oi": [1.5, np.nan], "call": [True, False]})
        assert table(df) == (("strike", "oi", "call"), (4500.0, 1.5, True), (4510.0, None, False))
        received = xl.invoke("TOY_SHAPE", table(df)).args[0]
        assert received[2] == [4510.0, None, False]

    def test_table_of_rows(self):
        rows = [["k", "when"], [np.int64(1), pd.Timestamp("2024-01-19")], [None, pd.NaT]]
        assert table(rows) == (("k", "when"), (1.0, dt.datetime(2024, 1, 19)), (None, None))


class TestErrorValues:
    def test_helper_matches_xlwings_table(self, xl):
        for code, text in xl._win.xlwindows.cell_errors.items():
            assert excel_error(text) == code == ERROR_CODES[text]
        assert excel_error("n/a") == excel_error("#N/A") == xl.excel_error("#N/A") == NA
        assert excel_error("DIV/0") == -2146826281
        with pytest.raises(KeyError):
            excel_error("#OOPS!")

    def test_errors_become_none_by_default(self, xl):
        grid = ((1.0, NA), (excel_error("#DIV/0!"), "x"))
        assert xl.invoke("TOY_ECHO", grid).args == ([[1.0, None], [None, "x"]],)

    def test_err_to_str_gives_text(self, xl):
        grid = ((1.0, NA), (excel_error("#VALUE!"), None))
        assert xl.invoke("TOY_CELLS_TEXT", grid).args == ([[1.0, "#N/A"], ["#VALUE!", None]],)

    def test_newer_errors_pass_as_raw_int(self, xl):
        # #SPILL! / #CALC! are not in xlwings' cell_errors: the UDF sees the COM int.
        spill, calc = excel_error("#SPILL!"), excel_error("#CALC!")
        assert xl.invoke("TOY_ECHO", ((spill, calc),)).args == ([spill, calc],)
        assert xl.invoke("TOY_CELLS_TEXT", ((spill,),)).args == ([[spill]],)

    def test_error_as_direct_argument(self, xl):
        assert xl.invoke("TOY_ECHO", NA).args == (None,)


class TestDatesAndNumbers:
    def test_date_cell_arrives_as_naive_datetime(self, xl):
        call = xl.invoke("TOY_ECHO", dt.date(2024, 1, 19))
        assert call.args == (dt.datetime(2024, 1, 19),)
        assert type(call.args[0]) is dt.datetime and call.args[0].tzinfo is None

    def test_dates_option(self, xl):
        assert xl.invoke("TOY_EXPIRIES", dt.date(2024, 1, 19)).args == (dt.date(2024, 1, 19), 3)

    def test_serial_number_stays_a_number(self, xl):
        assert xl.invoke("TOY_ECHO", 45310.0).args == (45310.0,)

    def test_numbers_int_rounds(self, xl):
        assert xl.call("TOY_INT", 3.0) == "int:3"
        assert xl.call("TOY_INT", 2.6) == "int:3"

    def test_not_excel_values_are_refused(self, xl):
        with pytest.raises(ValueError, match="NUM"):
            xl.call("TOY_ECHO", math.nan)
        with pytest.raises(ValueError, match="2D"):
            xl.call("TOY_ECHO", (1.0, 2.0))
        with pytest.raises(TypeError, match="table"):
            xl.call("TOY_ECHO", pd.DataFrame({"a": [1.0]}))


# -- results ---------------------------------------------------------------------------------------


class TestResults:
    def test_scalar_result_is_squeezed(self, xl):
        assert xl.call("TOY_SCALE", 3.0, 4.0) == 12.0

    def test_2d_list_spills_with_cleaned_cells(self, xl):
        call = xl.invoke("TOY_GRID", 2.0)
        assert call.value == [[0.0, "", ""], [7.0, 11.0, 12.0]]  # None, NaN -> ""
        assert type(call.value[1][0]) is float  # numpy int -> float
        assert call.result[0][1] is None and math.isnan(call.result[0][2])

    def test_single_row_result_is_flat(self, xl):
        assert xl.call("TOY_GRID", 1.0, 2.0) == [0.0, 1.0]
        assert as_grid(xl.call("TOY_GRID", 1.0, 2.0)) == [[0.0, 1.0]]
        assert as_grid(6.0) == [[6.0]]

    def test_dataframe_result(self, xl):
        assert xl.invoke("TOY_FRAME", 2.0).grid == [["strike", "gex"], [4500.0, ""], [4505.0, ""]]

    def test_dates_go_back_as_utc_com_dates(self, xl):
        out = xl.call("TOY_ECHO", dt.date(2024, 1, 19))
        assert out == dt.datetime(2024, 1, 19, tzinfo=UTC)

    def test_legacy_expand_resizes_then_recalculates(self, xl):
        call = xl.invoke("TOY_EXPIRIES", dt.date(2024, 1, 19))
        assert call.error is None
        assert call.resized_to == "$A$1:$B$3"
        assert call.value == [
            [dt.datetime(2024, 1, 19, tzinfo=UTC), 0],
            [dt.datetime(2024, 1, 26, tzinfo=UTC), 1],
            [dt.datetime(2024, 2, 2, tzinfo=UTC), 2],
        ]

    def test_paramarray(self, xl):
        assert xl.call("TOY_SUM", 1.0, 2.0, 3.0) == 6.0
        assert xl.call("TOY_SUM") == 0.0


class TestErrors:
    def test_raising_udf_shows_exception_line_first(self, xl):
        call = xl.invoke("TOY_FAIL", "bad strike")
        assert call.value.splitlines()[0] == "tests._toy_udfs.ToyError: bad strike"
        assert "Traceback" not in call.value  # xlwings' DLL drops the header line
        assert type(call.error).__name__ == "ToyError"

    def test_call_udf_reraises(self, xl):
        with pytest.raises(ValueError, match="bad strike"):
            xl.call_udf("TOY_FAIL", "bad strike")

    def test_result_pywin32_cannot_marshal(self, xl):
        assert xl.call("TOY_SET") == (
            "Unexpected Python Error: TypeError: "
            "Objects of type 'set' can not be converted to a COM VARIANT\n"
        )

    def test_union_hint_breaks_conversion_on_windows(self, xl):
        assert xl.call("TOY_UNION_HINT") == ""  # omitted: call_udf skips conversion
        text = xl.call("TOY_UNION_HINT", 1.0)
        assert text.startswith("AttributeError:") and "reader" in text.splitlines()[0]

    def test_wrong_argument_counts(self, xl):
        with pytest.raises(TypeError, match="too many"):
            xl.call("TOY_ECHO", 1.0, 2.0)
        with pytest.raises(TypeError, match="required"):
            xl.call("TOY_ECHO")
        with pytest.raises(KeyError, match="TOY_NOPE"):
            xl.call("TOY_NOPE")


# -- VBA ---------------------------------------------------------------------------------------


class TestVBA:
    def test_wrapper_signatures(self, xl):
        vba = xl.vba_wrapper()
        assert "Function TOY_SCALE(spot, Optional scale)" in vba
        assert "Function TOY_GRID(rows, Optional cols)" in vba
        assert "Function TOY_ECHO(value)" in vba
        assert "Function TOY_SUM(ParamArray values())" in vba
        assert (
            'TOY_SCALE = XLPy.CallUDF("tests._toy_udfs", "TOY_SCALE", Array(spot, scale), '
            "ThisWorkbook, Application.Caller)"
        ) in vba
        assert "TOY_SCALE = Err.Description" in vba
        assert vba.count("End Function") == len(xl.functions)

    def test_addin_uses_active_workbook(self, xl):
        assert "ActiveWorkbook, Application.Caller" in xl.vba_wrapper("xlgex.xlam")

    def test_import_udfs(self, xl):
        result = xl.import_udfs()
        assert result.vba.startswith('Attribute VB_Name = "xlwings_udfs"\n')
        assert xl.vba_wrapper() in result.vba
        options = {o["Macro"]: o for o in result.macro_options}
        scale = options["'Book1.xlsm'!TOY_SCALE"]
        assert scale["Description"] == "Spot times scale."
        assert scale["Category"] == "xlgex-toy"
        assert scale["ArgumentDescriptions"] == [
            "Spot price, index points.",
            "Multiplier; default 2.",
        ]


# -- properties --------------------------------------------------------------------------------

_cells = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(min_size=1, max_size=5),
    st.booleans(),
)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 4).flatmap(lambda w: st.lists(st.lists(_cells, min_size=w, max_size=w),
                                                    min_size=1, max_size=4)))
def test_range_round_trip(xl, rows):
    # Cells read through clean_value_data, written back through prepare_xl_data_element:
    # blanks come back as "" and everything else unchanged.
    grid = xl.invoke("TOY_SHAPE", rows)
    assert grid.args == ([[x for x in r] for r in rows],)
    echoed = xl.invoke("TOY_CELLS_TEXT", rows).grid
    assert echoed == [["" if x is None else x for x in r] for r in rows]
