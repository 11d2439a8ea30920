"""The template workbooks in ``workbooks/``: rebuilt equal, well formed, and recalculated.

* **Rebuild.** ``build_all`` into a temporary folder gives the committed templates again: every
  cell's formula and stored value (numbers to 1e-7 relative), every array range, and every
  other part of the file (charts, styles, names, validations) after rounding numbers.
* **LibreOffice.** LibreOffice recalculates every array formula when it opens a file, keeps the
  stored value of a single-cell formula only when it is a number or text, and cannot call
  xlwings functions. The hedging workbook therefore has no array formulas and no stored
  TRUE/FALSE formula results: its HEDGE_TRADE details and HEDGE_LADDER table are one
  ``=INDEX(UDF(...),r,c)`` per cell, with the labels and headers as plain text. The dashboard
  and what-if keep their spills (live in Excel) on one sheet (``Live``, ``Workings``) with a
  note at its top, show them elsewhere with single-cell mirrors ``=IF(Live!J7="","",Live!J7)``
  (plus blank margin rows for the chain-dependent tables; a blank inside a result shows "–",
  as LibreOffice recalculates a stored empty text), and plot only the mirrors.
* **Recalculation.** Each committed template is loaded into the ``formulas`` engine
  (``formulas.ExcelModel().loads(path).finish().calculate()``) with every xlgex function
  registered as a ``formulas`` function that calls ``xlgex.udfs`` through xlwings' Windows
  call path (``tests/xlharness.py``; the bridge is ``tests/formula_engine.py``). Every formula
  cell and every spilled cell must recompute to the value the file stores; the hedging
  sheets must show the numbers of the source documents; an edited input must flow through.

Limits of the ``formulas`` engine (1.3.x), and how the templates live with them:

* A skipped argument (``=F(a,,b)``) reaches a function as ``0`` instead of "missing", so no
  template skips an argument (checked below); ``""`` stands for a blank.
* Structured references (``Chain[#All]``) do not parse, so the chain argument is the defined
  name ``ChainData`` (a plain A1 range on the Chain sheet).
* ``INDEX(array, 0, n)`` and ``TEXT`` with sectioned formats are wrong in the engine; the
  templates use plain references and number formats instead. ``INDEX(array, r, c)`` with
  positive ``r`` and ``c`` is right, and the hedging workbook reads its UDF tables that way.
* ``N(TRUE)`` and ``--TRUE`` stay TRUE in the engine (Excel: 1); a TRUE/FALSE read as a number
  is written ``INDEX(...)*1``, which the engine gets right.
* A dynamic array keeps the size stored in the file; a result of another size would be cut
  or padded with ``#N/A``, which the value comparison reports.
* The engine sees dates as serial numbers; the bridge turns date-formatted cells back into
  datetimes (as Excel's COM interface does) by reading the cell formats with openpyxl.
* Number constants are rounded to 15 decimal places on load, so a chain's tiny Gamma column
  values lose digits in the engine; the templates use model gamma (from IV), which is exact.
* Loading a template with the 3,830-row sample chain takes the engine about 10-20 s; each
  template is recalculated once per test session.
"""

from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import pytest

from tests.formula_engine import Recalc, _letters, stored_cells
from tests.formula_engine import _col_number as _col
from xlgex.sample import SAMPLE_SPOT
from xlgex.workbooks import BUILD_DATE, CHAIN_NAME, TEMPLATES, build_all

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "workbooks"
UDF_NAMES = ("GEX_STRIKE", "GEX_TOTAL", "GEX_FLIP", "GEX_REGIME", "GEX_PROFILE", "GEX_WALLS",
             "GEX_EXPOSURE", "GEX_INFO", "BS_GREEKS", "HEDGE_TRADE", "HEDGE_LADDER")  # fmt: skip
REL, ABS = 1e-7, 1e-6


def _same(expected, actual) -> bool:
    """Stored and recomputed cell values agree (numbers within REL/ABS, blanks alike)."""
    blank = (None, "")
    if expected in blank or actual in blank:
        return expected in blank and actual in blank
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual or expected == actual
    if isinstance(expected, float) and isinstance(actual, (int, float)):
        return math.isclose(expected, float(actual), rel_tol=REL, abs_tol=ABS)
    return str(expected) == str(actual)


def _formula_cells(cells: dict) -> set:
    """Every cell holding a formula or lying in an array formula's range."""
    out = set()
    for ref, c in cells.items():
        if c.formula is None:
            continue
        out.add(ref)
        if c.array_ref:
            first, _, last = c.array_ref.partition(":")
            last = last or first
            (c0, r0), (c1, r1) = _split(first), _split(last)
            for col in range(_col(c0), _col(c1) + 1):
                for row in range(r0, r1 + 1):
                    out.add(f"{_letters(col)}{row}")
    return out


def _split(ref: str):
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    return m[1], int(m[2])






@pytest.fixture(scope="module")
def committed() -> dict:
    paths = {name: TEMPLATE_DIR / name for name in TEMPLATES}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    assert not missing, f"run `xlgex workbooks` to build {missing}"
    return paths


@pytest.fixture(scope="module")
def stored(committed) -> dict:
    return {name: stored_cells(path) for name, path in committed.items()}


# -- rebuild -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("templates")
    paths = build_all(out)
    return {p.name: p for p in paths}


_NUMBER = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+")


def _rounded(text: str) -> str:
    """An XML part with every decimal number rounded to 7 significant digits."""
    return _NUMBER.sub(lambda m: f"{float(m[0]):.7g}", text)


def test_build_all_writes_the_templates(rebuilt):
    assert sorted(rebuilt) == sorted(TEMPLATES)


@pytest.mark.parametrize("name", TEMPLATES)
def test_rebuild_matches_the_committed_template(name, rebuilt, stored):
    new = stored_cells(rebuilt[name])
    old = stored[name]
    assert list(new) == list(old), "sheets differ"
    problems = []
    for sheet in old:
        for ref in sorted(set(old[sheet]) | set(new[sheet])):
            a, b = old[sheet].get(ref), new[sheet].get(ref)
            if a is None or b is None:
                problems.append(f"{sheet}!{ref}: only in {'rebuilt' if a is None else 'committed'}")
            elif (a.formula, a.array_ref, a.dynamic) != (b.formula, b.array_ref, b.dynamic):
                problems.append(f"{sheet}!{ref}: formula {a.formula!r} -> {b.formula!r}")
            elif not _same(a.value, b.value):
                problems.append(f"{sheet}!{ref}: value {a.value!r} -> {b.value!r}")
    assert not problems, f"{len(problems)} cells differ, e.g. {problems[:10]}"
    with zipfile.ZipFile(TEMPLATE_DIR / name) as za, zipfile.ZipFile(rebuilt[name]) as zb:
        assert za.namelist() == zb.namelist()
        for part in za.namelist():
            if part.startswith("xl/worksheets/sheet"):
                continue  # compared cell by cell above
            a, b = za.read(part), zb.read(part)
            if a != b:
                assert _rounded(a.decode()) == _rounded(b.decode()), f"{part} differs"


def test_rebuilds_are_deterministic(rebuilt, tmp_path):
    again = build_all(tmp_path)
    hedging = next(p for p in again if p.name == TEMPLATES[0])
    assert hedging.read_bytes() == rebuilt[TEMPLATES[0]].read_bytes()
    with zipfile.ZipFile(hedging) as z:
        core = z.read("docProps/core.xml").decode()
    assert f"<dcterms:created xsi:type=\"dcterms:W3CDTF\">{BUILD_DATE:%Y-%m-%dT%H:%M:%SZ}" in core


# -- well formed ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_is_set_up_for_xlwings(name, stored):
    sheets = stored[name]
    conf = sheets["xlwings.conf"]
    assert (conf["A1"].value, conf["B1"].value) == ("UDF Modules", "xlgex.udfs")
    assert "A2" not in conf  # xlwings reads A1:B1 downwards: nothing else in A:B
    for sheet, cells in sheets.items():
        if sheet != "xlwings.conf":
            top = cells.get("A2") if sheet != "Chain" else cells.get("A1")
            assert top is not None and isinstance(top.value, str) and len(top.value) > 20, sheet


@pytest.mark.parametrize("name", TEMPLATES)
def test_udfs_are_plain_names_and_spills_are_dynamic_arrays(name, committed, stored):
    with zipfile.ZipFile(committed[name]) as z:
        xml = "".join(z.read(p).decode() for p in z.namelist() if p.startswith("xl/"))
    assert "_xlfn." not in xml and "_xlws." not in xml
    udf_cells = 0
    for sheet, cells in stored[name].items():
        for ref, c in cells.items():
            if c.formula is None:
                continue
            assert ",," not in c.formula and "(," not in c.formula, f"{sheet}!{ref} skips an arg"
            names = set(re.findall(r"\b([A-Z][A-Z_]+)\(", c.formula)) & set(UDF_NAMES)
            if names:
                udf_cells += 1
                assert c.array_ref is None or c.dynamic, f"{sheet}!{ref}: legacy array formula"
            assert not (isinstance(c.value, str) and c.value.startswith(("xlgex:", "#NAME"))), (
                f"{sheet}!{ref} stores {c.value!r}"
            )
    assert udf_cells > 5


def test_dashboard_reads_the_chain_table_through_the_name(committed, stored):
    with zipfile.ZipFile(committed["xlgex_dashboard.xlsx"]) as z:
        book = z.read("xl/workbook.xml").decode()
        table = z.read("xl/tables/table1.xml").decode()
    assert f'<definedName name="{CHAIN_NAME}">Chain!$A$3:$I$3833</definedName>' in book
    assert 'name="Chain"' in table and 'ref="A3:I3833"' in table
    sheets = stored["xlgex_dashboard.xlsx"]
    dash = {**sheets["Dashboard"], **{f"Live!{ref}": c for ref, c in sheets["Live"].items()}}
    formulas = {name for c in dash.values() if c.formula
                for name in re.findall(r"\b(GEX_[A-Z]+)\(", c.formula)}
    assert {"GEX_STRIKE", "GEX_FLIP", "GEX_REGIME", "GEX_WALLS", "GEX_INFO", "GEX_PROFILE",
            "GEX_TOTAL"} <= formulas  # fmt: skip
    assert all(f"{CHAIN_NAME}," in c.formula for c in dash.values()
               if c.formula and re.search(r"\bGEX_[A-Z]+\(", c.formula))  # fmt: skip


# -- the hedging workbook in LibreOffice ----------------------------------------------------

HEDGING = "xlgex_hedging.xlsx"
_INDEX = re.compile(r'^IFERROR\(INDEX\((?P<call>(?P<name>[A-Z_]+)\(.*\)),(?P<r>\d+),(?P<c>\d+)\)'
                    r'(?P<num>\*1)?,""\)$')
_GUARD = re.compile(r'^IF\(\$B(?P<row>\d+)="","",(?P<inner>.*)\)$')


def _index_cells(cells: dict, name: str) -> dict:
    """``{"B23": (call text, r, c)}`` of the cells reading ``name``'s result with INDEX."""
    out = {}
    for ref, c in cells.items():
        if c.formula is None or f"{name}(" not in c.formula:
            continue
        formula = c.formula
        guard = _GUARD.match(formula)
        if guard:
            assert int(guard["row"]) == _split(ref)[1], f"{ref}: guard on another row"
            formula = guard["inner"]
        m = _INDEX.match(formula)
        if m and m["name"] == name:
            out[ref] = (m["call"], int(m["r"]), int(m["c"]), bool(m["num"]))
    return out


def test_hedging_has_no_array_formulas_or_stored_booleans(committed, stored):
    """What LibreOffice would recalculate on open (and show as #NAME?) is absent."""
    with zipfile.ZipFile(committed[HEDGING]) as z:
        sheets = [z.read(p).decode() for p in z.namelist() if p.startswith("xl/worksheets/")]
        assert "xl/metadata.xml" not in z.namelist()  # no dynamic arrays
    for xml in sheets:
        assert 't="array"' not in xml
        assert not re.search(r'<c [^>]*t="b"[^>]*><f>', xml), "a formula stores TRUE/FALSE"
    for sheet, cells in stored[HEDGING].items():
        for ref, c in cells.items():
            if c.formula is not None:
                assert c.array_ref is None and not c.dynamic, f"{sheet}!{ref}"
                assert isinstance(c.value, (float, str)), f"{sheet}!{ref}: {c.value!r}"


WALKTHROUGHS = ("SPY 450C shares", "SPX 5700P short gamma", "SPX 6050C long gamma")


@pytest.mark.parametrize("sheet", WALKTHROUGHS)
def test_hedge_trade_details_are_one_index_per_line(sheet, stored):
    from xlgex import udfs

    cells = stored[HEDGING][sheet]
    reads = _index_cells(cells, "HEDGE_TRADE")
    trades = {ref: c.formula[len("IFERROR("):-len(',"")')] for ref, c in cells.items()
              if c.formula and c.formula.startswith("IFERROR(HEDGE_TRADE(")}  # fmt: skip
    calls = {call for call, *_ in reads.values()}
    assert len(calls) == len(trades) >= 2  # one details block per step
    labels = [label for label, _ in udfs.HEDGE_TRADE(-100.0, 0.35, details=True)]
    for call in calls:
        assert ",TRUE" in call
        block = sorted((_split(ref)[1], ref, r, c, num) for ref, (k, r, c, num) in reads.items()
                       if k == call)  # fmt: skip
        assert [r for _, _, r, _, _ in block] == list(range(1, len(labels) + 1))
        assert all(c == 2 for _, _, _, c, _ in block)
        assert [num for *_, num in block] == [label == "band triggered" for label in labels]
        for (row, ref, *_), label in zip(block, labels, strict=True):
            col, _ = _split(ref)
            left = cells[f"{_letters(_col(col) - 1)}{row}"]
            assert left.formula is None and left.value == label, f"{sheet}!{ref}"
        # The details call is a step's own HEDGE_TRADE call, details TRUE (added, or in place
        # of FALSE when the call goes on with the notional sizing arguments).
        assert any(call.startswith(t[:-1] + ",") or call == t.replace(",FALSE,", ",TRUE,")
                   for t in trades.values()), call  # fmt: skip


def test_ladder_is_one_index_per_cell_under_a_text_header(stored):
    from xlgex import udfs

    cells = stored[HEDGING]["Rehedge ladder"]
    reads = _index_cells(cells, "HEDGE_LADDER")
    assert len({call for call, *_ in reads.values()}) == 1
    header = udfs.HEDGE_LADDER(-100.0, [445.0, 446.0], 0.35, 0.05)[0]
    assert [cells[f"{_letters(3 + j)}15"].value for j in range(len(header))] == header
    assert all(cells[f"{_letters(3 + j)}15"].formula is None for j in range(len(header)))
    expected = {f"{_letters(3 + c)}{15 + r}": (r + 1, c + 1) for r in range(1, 15)
                for c in range(len(header))}  # fmt: skip
    assert {ref: (r, c) for ref, (_, r, c, _) in reads.items()} == expected
    assert all(cells[ref].formula.startswith(f'IF($B{_split(ref)[1]}="",') for ref in reads)
    assert {ref[0] for ref, (*_, num) in reads.items() if num} == {"I"}  # band triggered


def test_about_sheets_say_where_libreoffice_shows_na(stored):
    def about(name):
        return " ".join(str(c.value) for c in stored[name]["About"].values())

    assert "no array formulas" in about(HEDGING) and "#NAME? there" not in about(HEDGING)
    for name, sheet in SPILL_SHEETS.items():
        assert f"with its stored values, except the hidden {sheet} sheet" in about(name)
        assert f"spilled tables on {sheet} show #NAME? there" in about(name)


# -- the dashboard and what-if in LibreOffice -----------------------------------------------

SPILL_SHEETS = {"xlgex_dashboard.xlsx": "Live", "xlgex_whatif.xlsx": "Workings"}
VISIBLE = {"xlgex_dashboard.xlsx": "Dashboard", "xlgex_whatif.xlsx": "WhatIf"}
LIVE_NOTE = ("Excel's live results (spilled). LibreOffice cannot run xlwings functions, so this "
             "sheet shows #NAME? there; the other sheets show the stored values.")
_MIRROR = re.compile(r'^IF\(State!\$B\$\d+=1,"",IFERROR\(IF\((?P<src>(?P<sheet>\w+)!\$?[A-Z]+\$?\d+)="",'
                     r'(?P<blank>""|"–"),(?P=src)(?P<num>\*1)?\),""\)\)$')


def _dynamic_ranges(cells: dict) -> dict:
    """``{anchor: (first row, last row, first col, last col)}`` of a sheet's spills."""
    out = {}
    for ref, c in cells.items():
        if c.array_ref:
            first, _, last = c.array_ref.partition(":")
            (c0, r0), (c1, r1) = _split(first), _split(last or first)
            out[ref] = (r0, r1, _col(c0), _col(c1))
    return out


def _spill_cells(spills: dict) -> set:
    return {f"{_letters(col)}{row}" for r0, r1, c0, c1 in spills.values()
            for row in range(r0, r1 + 1) for col in range(c0, c1 + 1)}  # fmt: skip


@pytest.mark.parametrize("name", list(SPILL_SHEETS))
def test_spills_are_only_on_the_live_sheet_with_its_note(name, stored):
    """LibreOffice recalculates array formulas (to #NAME?): they are all on one sheet."""
    spill_sheet = SPILL_SHEETS[name]
    assert stored[name][spill_sheet]["A2"].value == LIVE_NOTE
    spills_of = {sheet: _dynamic_ranges(cells) for sheet, cells in stored[name].items()}
    for sheet, cells in stored[name].items():
        spills = _dynamic_ranges(cells)
        if sheet == spill_sheet:
            assert len(spills) >= 3 and all(cells[ref].dynamic for ref in spills)
            continue
        assert not spills, f"{sheet} has array formulas {list(spills)}"
        for ref, c in cells.items():
            if c.formula is None:
                continue
            # LibreOffice keeps a stored number or text, not TRUE/FALSE (nor an empty text:
            # only a mirror's margin stores one, and recalculates to it without xlgex).
            if c.value in (None, "") and ref != "A4":  # A4: the banner, blank while xlgex runs
                m = _MIRROR.match(c.formula)
                assert m and m["src"].split("!")[1] not in _spill_cells(spills_of[spill_sheet]), \
                    f"{sheet}!{ref} stores an empty text"  # fmt: skip
            assert not isinstance(c.value, bool), f"{sheet}!{ref}: {c.value!r}"


@pytest.mark.parametrize("name", list(SPILL_SHEETS))
def test_mirrors_read_every_spilled_table_plus_a_margin(name, stored):
    """Each spill shown on the visible sheet: one ``=IF(src="","",src)`` per spilled cell."""
    spill_sheet, sheets = SPILL_SHEETS[name], stored[name]
    spills = _dynamic_ranges(sheets[spill_sheet])
    mirrored: dict = {}  # spill cell -> mirror cell
    blank_rows: dict = {}  # anchor -> mirror rows past the spill
    for sheet, cells in sheets.items():
        for ref, c in cells.items():
            m = _MIRROR.match(c.formula or "")
            if not m:
                continue
            assert sheet != spill_sheet and m["sheet"] == spill_sheet, f"{sheet}!{ref}"
            col, row = _split(m["src"].split("!")[1].replace("$", ""))
            src = f"{col}{row}"
            spill = next((a for a, (r0, r1, c0, c1) in spills.items()
                          if c0 <= _col(col) <= c1 and r0 <= row), None)  # fmt: skip
            assert spill is not None, f"{sheet}!{ref} reads {src}, outside every spill"
            inside = row <= spills[spill][1]
            if inside:
                src_value = sheets[spill_sheet][src].value if src in sheets[spill_sheet] else None
                blank = src_value in (None, "")
                assert m["blank"] == ('"–"' if blank else '""'), f"{sheet}!{ref}"
                assert _same("–" if blank else src_value, c.value), f"{sheet}!{ref}"
                mirrored[src] = f"{sheet}!{ref}"
            else:
                assert m["blank"] == '""' and c.value in (None, ""), f"{sheet}!{ref}"
                blank_rows.setdefault(spill, set()).add(row)
    # Every spilled cell of the tables the visible sheet shows has exactly one mirror.
    shown = {a for a, (r0, r1, c0, c1) in spills.items()
             if any(f"{_letters(c0)}{r0}" == src for src in mirrored)}  # fmt: skip
    assert len(shown) >= 3
    for anchor in shown:
        r0, r1, c0, c1 = spills[anchor]
        for row in range(r0, r1 + 1):
            for col in range(c0, c1 + 1):
                assert f"{_letters(col)}{row}" in mirrored, f"{anchor}: {_letters(col)}{row}"
    if name == "xlgex_dashboard.xlsx":  # GEX_STRIKE and GEX_INFO vary with the chain
        strike = next(a for a in shown if sheets[spill_sheet][a].formula.startswith("GEX_STRIKE"))
        info = next(a for a in shown if sheets[spill_sheet][a].formula.startswith("GEX_INFO"))
        for anchor in (strike, info):
            r0, r1, *_ = spills[anchor]
            assert len(blank_rows[anchor]) >= 0.2 * (r1 - r0), anchor


_SERIES_REF = re.compile(r"<c:f>(.*?)</c:f>")


def _charts(path) -> list[str]:
    """The chart XML parts of a workbook."""
    with zipfile.ZipFile(path) as z:
        return [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]


@pytest.mark.parametrize("name", list(SPILL_SHEETS))
def test_charts_plot_cells_that_keep_their_values(name, committed, stored):
    """No chart reads the spill sheet (LibreOffice shows #NAME? there)."""
    refs = [r for chart in _charts(committed[name]) for r in _SERIES_REF.findall(chart)]
    assert len(refs) >= 6
    visible = VISIBLE[name]
    cells = stored[name][visible]
    for ref in refs:
        sheet, _, area = ref.lstrip("=").partition("!")
        assert sheet.strip("'") == visible, ref
        first, _, last = area.replace("$", "").partition(":")
        (c0, r0), (c1, r1) = _split(first), _split(last or first)
        for row in range(r0, r1 + 1):
            for col in range(_col(c0), _col(c1) + 1):
                c = cells.get(f"{_letters(col)}{row}")
                assert c is not None and c.array_ref is None, f"{ref}: {_letters(col)}{row}"
                assert c.value not in (None, ""), f"{ref}: {_letters(col)}{row} is blank"


# -- the formulas engine -------------------------------------------------------------------


@pytest.fixture(scope="session")
def engine():
    """One engine per test session: each template is loaded into it once, and each set of
    inputs calculated once, whichever tests read the result."""
    return {"recalc": Recalc("xlgex.udfs")}


def _recalculated(engine, committed, name, inputs=None):
    key = (name, tuple(sorted((inputs or {}).items())))
    if key not in engine:
        recalc = engine["recalc"]
        start = len(recalc.calls)
        values = recalc.calculate(committed[name], inputs=inputs)
        engine[key] = (values, recalc.calls[start:])
    return engine[key]


EXPECTED_CALLS = {
    "xlgex_hedging.xlsx": {"HEDGE_TRADE", "HEDGE_LADDER"},
    "xlgex_dashboard.xlsx": {"GEX_STRIKE", "GEX_FLIP", "GEX_REGIME", "GEX_WALLS", "GEX_INFO",
                             "GEX_PROFILE", "GEX_TOTAL", "HEDGE_TRADE", "GEX_LEVELS", "GEX_MOVE",
                             "GEX_EXPOSURE"},
    "xlgex_whatif.xlsx": {"GEX_PROFILE", "GEX_FLIP", "GEX_INFO", "HEDGE_TRADE"},
}  # fmt: skip


@pytest.mark.parametrize("name", TEMPLATES)
def test_engine_recomputes_every_stored_value(name, engine, committed, stored):
    values, calls = _recalculated(engine, committed, name)
    assert set(calls) == EXPECTED_CALLS[name]
    problems, checked = [], 0
    for sheet, cells in stored[name].items():
        for ref in sorted(_formula_cells(cells)):
            expected = cells[ref].value if ref in cells else None
            actual = values.get((sheet.upper(), ref), "<not computed>")
            actual = actual.item() if hasattr(actual, "item") else actual
            if type(actual).__name__ == "XlError":
                actual = str(actual)
            elif actual is not None and type(actual).__name__ == "Token":  # formulas' EMPTY
                actual = None
            checked += 1
            if not _same(expected, actual):
                problems.append(f"{sheet}!{ref}: stored {expected!r}, engine {actual!r}")
    assert checked > 100
    assert not problems, f"{len(problems)} of {checked} cells differ, e.g. {problems[:10]}"


def _step_cells(cells: dict, values: dict, sheet: str) -> dict:
    """``{step label: {column header: recomputed value}}`` of a walkthrough's step table."""
    head = next(int(ref[1:]) for ref, c in cells.items() if ref.startswith("A") and c.value ==
                "Step" and ref[1:].isdigit())  # fmt: skip
    headers = {}
    for ref, c in cells.items():
        col, row = _split(ref)
        if row == head and isinstance(c.value, str):
            headers[col] = c.value
    out, row = {}, head + 1
    while f"A{row}" in cells and str(cells[f"A{row}"].value)[:1].isdigit():
        label = cells[f"A{row}"].value
        out[label] = {h: values.get((sheet.upper(), f"{col}{row}")) for col, h in headers.items()}
        row += 1
    return out


def _column(step: dict, prefix: str):
    return next(v for header, v in step.items() if header.startswith(prefix))


# The seed walkthroughs, trade in hedge units (+ buy, - sell):
SEED_TRADES = {
    # "Inside the Machine", Part 1: sold 100 SPY 450C at 0.35 -> buy 3,500 shares; delta 0.50
    # after the rally, net -1,500 -> buy 1,500.
    "SPY 450C shares": {"1": 3500.0, "2": 1500.0},
    # "How To Interpret Periscope Net Gamma Exposure", negative gamma: short 200 SPX 5700P,
    # delta -0.25, gamma 0.01 -> dealer delta +5,000, sell 100 ES; SPX -1 -> sell 4; +1 -> buy 4.
    "SPX 5700P short gamma": {"1": -100.0, "2a": -4.0, "2b": 4.0},
    # Same document, positive gamma: long 50 SPX 6050C, delta 0.40, gamma 0.02 -> sell 40 ES;
    # SPX -1 -> buy 2; SPX +1 -> sell 2.
    "SPX 6050C long gamma": {"1": -40.0, "2a": 2.0, "2b": -2.0},
}
SEED_DEALER_DELTA = {
    "SPY 450C shares": {"1": -3500.0, "2": -5000.0},
    "SPX 5700P short gamma": {"1": 5000.0, "2a": 5200.0, "2b": 4800.0},
    "SPX 6050C long gamma": {"1": 2000.0, "2a": 1900.0, "2b": 2100.0},
}


@pytest.mark.parametrize("sheet", list(SEED_TRADES))
def test_hedging_sheets_show_the_seed_numbers(sheet, engine, committed, stored):
    name = "xlgex_hedging.xlsx"
    values, _ = _recalculated(engine, committed, name)
    cells = stored[name][sheet]
    steps = _step_cells(cells, values, sheet)
    assert list(steps) == list(SEED_TRADES[sheet])
    for label, trade in SEED_TRADES[sheet].items():
        step = steps[label]
        assert _column(step, "Trade, plain Excel") == trade, (sheet, label)
        assert _column(step, "Trade, xlgex") == trade, (sheet, label)
        assert _column(step, "Dealer delta") == pytest.approx(SEED_DEALER_DELTA[sheet][label])
        assert _column(step, "Check") == "OK"
    if sheet == "SPY 450C shares":  # the document's "Net Delta: -1,500" before the second trade
        assert _column(steps["2"], "Net delta before") == -1500.0


def test_edited_inputs_flow_through_both_columns(engine, committed, stored):
    """Double the short put position: every trade doubles and the checks stay OK."""
    name, sheet = "xlgex_hedging.xlsx", "SPX 5700P short gamma"
    cells = stored[name][sheet]
    contracts = next(ref for ref, c in cells.items()
                     if ref.startswith("B") and c.value == -200.0 and c.formula is None)
    values, _ = _recalculated(engine, committed, name, {(sheet, contracts): -400.0})
    steps = _step_cells(cells, values, sheet)
    for label, trade in SEED_TRADES[sheet].items():
        assert _column(steps[label], "Trade, plain Excel") == 2 * trade
        assert _column(steps[label], "Trade, xlgex") == 2 * trade
        assert _column(steps[label], "Check") == "OK"


def test_ladder_agrees_with_its_plain_excel_twin(engine, committed, stored):
    name, sheet = "xlgex_hedging.xlsx", "Rehedge ladder"
    values, _ = _recalculated(engine, committed, name)
    checks = [v for (s, ref), v in values.items()
              if s == sheet.upper() and ref.startswith("R") and v in ("OK", "MISMATCH")]
    assert len(checks) >= 10 and set(checks) == {"OK"}
    trades = [values[(sheet.upper(), f"G{r}")] for r in range(16, 30)]
    # Part 1's position with a 1,000-share band: hedge from flat, then only past the band.
    assert trades[0] == 3500.0 and sum(t != 0 for t in trades) < len(trades) // 2


def test_ladder_rows_past_the_end_of_the_path_are_blank(engine, committed, stored):
    """A blank last spot: HEDGE_LADDER skips it and that row shows "", the rest stays OK."""
    name, sheet = HEDGING, "Rehedge ladder"
    values, _ = _recalculated(engine, committed, name, {(sheet, "B29"): ""})
    row = {ref: values.get((sheet.upper(), f"{ref}29")) for ref in "CDEFGHIJKR"}
    assert set(row.values()) == {""}, row
    checks = [values[(sheet.upper(), f"R{r}")] for r in range(16, 29)]
    assert set(checks) == {"OK"}
    assert [values[(sheet.upper(), f"G{r}")] for r in range(16, 29)] == [
        stored[name][sheet][f"G{r}"].value for r in range(16, 29)]


def test_dashboard_mirrors_follow_an_edited_input(engine, committed, stored):
    """A new spot flows from the Live spills into the Dashboard's mirrors and chart helpers."""
    name = "xlgex_dashboard.xlsx"
    cells = stored[name]["Dashboard"]
    assert cells["A6"].value.startswith("Spot") and cells["B15"].formula.startswith("$B$")
    values, _ = _recalculated(engine, committed, name, {("Dashboard", "B6"): 6000.0})
    assert values[("DASHBOARD", "B15")] == 6000.0  # spot used, via the GEX_REGIME mirror
    assert values[("LIVE", "H11")] == 6000.0  # GEX_INFO's spot on the Live sheet
    changed = [ref for ref, c in cells.items() if c.formula and "(Live!M" in c.formula
               and isinstance(c.value, float)
               and not _same(c.value, values[("DASHBOARD", ref)])]  # fmt: skip
    assert len(changed) > 50  # net GEX by strike, re-priced at the new spot


@pytest.mark.parametrize("name", TEMPLATES)
def test_empty_results_are_stored_as_typed_empty_texts(name, committed):
    """An empty formula result is stored ``t="str"`` with an empty value, never untyped: what
    an application shows for an untyped empty value before recalculating is its own guess."""
    with zipfile.ZipFile(committed[name]) as z:
        sheets = [z.read(p).decode() for p in z.namelist() if p.startswith("xl/worksheets/sheet")]
    typed = 0
    for xml in sheets:
        for cell in re.findall(r"<c [^>]*>(?:(?!</c>).)*<f>(?:(?!</c>).)*</c>", xml):
            empty = re.search(r"<v\s*/>|<v></v>", cell) or "<v>" not in cell
            if empty:
                assert 't="str"' in cell, cell[:200]
                typed += 1
    assert typed > 0  # the banners at least, blank while xlgex runs


# -- how the sheets read -------------------------------------------------------------------

READING_TABLES = {"xlgex_dashboard.xlsx": ("Dashboard", "Live"), "xlgex_whatif.xlsx": ("Workings",)}
"""Sheets that show GEX_INFO's numbers (the mirror and the spills)."""


@pytest.fixture(scope="module")
def formatted(committed) -> dict:
    """The committed templates with their cell formats and stored values (openpyxl)."""
    import openpyxl

    return {name: openpyxl.load_workbook(path, data_only=True) for name, path in committed.items()}


def _labelled_cells(ws) -> dict:
    """``{label: the cell right of it}``; fails on a fractional number in General format (a
    15-digit float such as 5.32971231859304 or 4.54747350886464E-13 on the page)."""
    labels = {}
    for row in ws.iter_rows():
        for left, cell in zip(row, row[1:], strict=False):
            if isinstance(left.value, str):
                labels[left.value] = cell
            if (isinstance(cell.value, float) and not cell.value.is_integer()
                    and cell.number_format == "General"):  # fmt: skip
                pytest.fail(f"{ws.title}!{cell.coordinate} = {cell.value} has no number format")
    return labels


@pytest.mark.parametrize("sheet", ["SPY 450C shares", "SPX 5700P short gamma",
                                   "SPX 6050C long gamma", "Rehedge ladder"])  # fmt: skip
def test_hedging_numbers_have_number_formats(sheet, formatted):
    """HEDGE_TRADE's detail lines included: a residual delta of 4.5E-13 shows 0."""
    labels = _labelled_cells(formatted["xlgex_hedging.xlsx"][sheet])
    if "residual delta" in labels:
        assert labels["residual delta"].number_format == "#,##0"
        assert labels["option delta"].number_format == "0.00##"


@pytest.mark.parametrize(("name", "sheet"), [(n, s) for n, sheets in READING_TABLES.items()
                                              for s in sheets])  # fmt: skip
def test_info_numbers_have_number_formats(name, sheet, formatted):
    """GEX_INFO's numbers are formatted: no 15-digit float such as 5.32971231859304, counts
    with thousands separators, the risk reversal and term structure with two decimals."""
    labels = _labelled_cells(formatted[name][sheet])
    assert labels["25-delta risk reversal (put - call, vol pts)"].number_format == "#,##0.00"
    assert labels["ATM term structure (30d / 90d IV)"].number_format == "#,##0.00"
    assert labels["rows read"].number_format == "#,##0"
    assert labels["front expiry"].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize(("sheet", "column"), [
    ("SPY 450C shares", "J"), ("SPX 5700P short gamma", "J"), ("SPX 6050C long gamma", "J"),
    ("Rehedge ladder", "R"),
])  # fmt: skip
def test_check_columns_show_xlgex_not_running_in_full(sheet, column, formatted):
    ws = formatted["xlgex_hedging.xlsx"][sheet]
    assert ws.column_dimensions[column].width >= len("xlgex not running") + 1


def test_ladder_chart_counts_steps_from_zero_as_the_table_does(committed, formatted):
    """The bars are labelled by the plain step numbers in column A (0, 1, ...), not 1, 2, ..."""
    ws = formatted["xlgex_hedging.xlsx"]["Rehedge ladder"]
    steps = [ws[f"A{r}"].value for r in range(16, 16 + 14)]
    assert steps == [float(i) for i in range(14)]
    assert ws["A16"].number_format == '"step "0'
    charts = _charts(committed["xlgex_hedging.xlsx"])
    assert any("<c:cat><c:numRef><c:f>'Rehedge ladder'!$A$16:$A$29</c:f>" in c for c in charts)


@pytest.mark.parametrize("name", TEMPLATES)
def test_about_sheets_say_only_true_things_and_wrap(name, formatted):
    """xlgex is on no package index and xlwings comes with it; a long line wraps in its
    column, on a row tall enough, instead of running off the page."""
    ws = formatted[name]["About"]
    lines = [c for row in ws.iter_rows(max_col=1) for c in row if isinstance(c.value, str)]
    text = " ".join(c.value for c in lines)
    assert "pip install xlgex" not in text and "No xlwings" not in text
    assert "virtual environment" in text and "xlwings Lite" in text
    width = ws.column_dimensions["A"].width
    for cell in lines:
        if len(cell.value) > width:
            assert cell.alignment.wrap_text, cell.value[:40]
            assert ws.row_dimensions[cell.row].height >= 15 * (len(cell.value) // width), cell.row


def test_melt_chart_marks_the_flip_and_spot(committed, formatted):
    """The what-if melt chart draws vertical lines at the flip now and at spot, from plain
    cells holding the sheet's own flip and the profile's middle level (spot)."""
    ws = formatted["xlgex_whatif.xlsx"]["WhatIf"]
    labels = _labelled_cells(ws)
    charts = _charts(committed["xlgex_whatif.xlsx"])
    melt = next(c for c in charts if "Expiration melt" in c)
    refs = {}
    for name in ("gamma flip now", "spot"):
        ser = melt.split(f"<c:v>{name}</c:v>")[1].split("</c:ser>")[0]
        x_ref = _SERIES_REF.findall(ser)[0].split("!")[1].replace("$", "")
        refs[name] = ws[x_ref.split(":")[0]].value, ws[x_ref.split(":")[1]].value
    flip = labels["Gamma flip now"].value
    assert refs["gamma flip now"] == (flip, flip)
    # The sample chain's spot, the middle of the 81 levels of the profile now (column Y).
    assert refs["spot"] == (SAMPLE_SPOT, SAMPLE_SPOT) and ws["Y56"].value == pytest.approx(SAMPLE_SPOT)
