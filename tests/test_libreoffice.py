"""Every template and a report in a second spreadsheet application: LibreOffice Calc, headless.

LibreOffice cannot call xlwings functions, so it is the user without the live functions:
each workbook is opened as saved, with a full recalculation, and with inputs edited after
opening (as a user types them), then saved and read back cell by cell. On every sheet meant
for reading:

* no cell is an error (#NAME?, #VALUE! ...);
* every number is current or visibly marked: each formula cell equals the value the
  template stores for those inputs, or is blank, and a blank where a number belongs comes
  with the red banner at the top of the sheet. The values "for those inputs" of an edited
  workbook come from building the template with the edited inputs (xlgex computes every
  stored value at build time), an independent path from LibreOffice's recalculation;
* printed to PDF, the sheet runs to a few pages.

All workbooks go through one LibreOffice process (a session fixture); skipped only where
``soffice`` is not installed (CI installs it).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import pytest

from tests.formula_engine import stored_cells as _read_cells
from tests.libreoffice import SOFFICE, Job, LibreOffice, pdf_pages
from xlgex.workbooks import TEMPLATES, build_dashboard, build_hedging, build_whatif

pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "workbooks"
HEDGING, DASHBOARD, WHATIF = TEMPLATES
WALKTHROUGHS = ("SPY 450C shares", "SPX 5700P short gamma", "SPX 6050C long gamma")
READING = {
    HEDGING: (*WALKTHROUGHS, "Rehedge ladder"),
    DASHBOARD: ("Dashboard",),
    WHATIF: ("WhatIf",),
}
"""Sheets with numbers a user reads (the About sheets hold text only)."""
MAX_PAGES = {"Dashboard": 8, "WhatIf": 3, "Rehedge ladder": 2, **dict.fromkeys(WALKTHROUGHS, 2)}
REPORT_PAGES = {"Summary": 1, "By strike": 4, "By expiry": 3, "Profile": 5, "Info": 2}
BANNER = "xlgex functions not running"

# Edits a user makes after opening, and the builder that gives the true values for them.
EDITS = {
    "hedging-short-double": (HEDGING, {("SPX 5700P short gamma", "B6"): -400.0,
                                       ("Rehedge ladder", "B12"): 1500.0}),
    "hedging-spy-es": (HEDGING, {("SPY 450C shares", "B10"): "ES"}),
    "dashboard-spot": (DASHBOARD, {("Dashboard", "B6"): 6000.0}),
    "dashboard-bucket": (DASHBOARD, {("Dashboard", "B9"): 50.0}),
    "whatif-step": (WHATIF, {("WhatIf", "B9"): 2.0}),
    "whatif-roll": (WHATIF, {("WhatIf", "C11"): 3.0}),
    "dashboard-asof": (DASHBOARD, {("Dashboard", "B7"): 46339.5}),  # 2026-11-13 12:00
}  # fmt: skip
CHAIN_EDIT = (("Chain", "E10"), 0.5)
"""An IV typed over one row of the Chain table: every xlgex number then depends on an edit."""
BUILDERS = {HEDGING: build_hedging, DASHBOARD: build_dashboard, WHATIF: build_whatif}


@functools.cache
def stored_cells(path: Path) -> dict:
    """The cells of a workbook, read once per session (several tests read each file)."""
    return _read_cells(path)


@pytest.fixture(scope="session")
def office(tmp_path_factory) -> dict:
    """Run every job in one LibreOffice process; ``{job name: (Job, truth path)}``."""
    from xlgex.readers import read_chain
    from xlgex.report import write_report
    from xlgex.sample import SAMPLE_PATH

    folder = tmp_path_factory.mktemp("libreoffice")
    report = write_report(read_chain(SAMPLE_PATH), folder / "sample_report.xlsx", title="sample")
    jobs = {}
    for name in TEMPLATES:
        src = TEMPLATE_DIR / name
        stem = name.removesuffix(".xlsx")
        jobs[f"{stem}-saved"] = (Job(src, folder / f"{stem}-saved.xlsx",
                                     pdf_sheets=(*READING[name], "*")), src)  # fmt: skip
        jobs[f"{stem}-recalc"] = (Job(src, folder / f"{stem}-recalc.xlsx", recalc=True), src)
    for key, (name, edits) in EDITS.items():
        truth = BUILDERS[name](folder / f"truth-{key}.xlsx", inputs=edits)
        jobs[key] = (Job(TEMPLATE_DIR / name, folder / f"{key}.xlsx",
                         edits=tuple(edits.items())), truth)  # fmt: skip
    jobs["dashboard-chain"] = (Job(TEMPLATE_DIR / DASHBOARD, folder / "dashboard-chain.xlsx",
                                   edits=(CHAIN_EDIT,)), None)  # fmt: skip
    jobs["report-saved"] = (Job(report, folder / "report-saved.xlsx",
                                pdf_sheets=tuple(REPORT_PAGES)), report)  # fmt: skip
    jobs["report-recalc"] = (Job(report, folder / "report-recalc.xlsx", recalc=True), report)
    LibreOffice(folder).run(job for job, _ in jobs.values())
    return jobs


def _is_error(value) -> bool:
    return isinstance(value, str) and value.startswith("#") and value.rstrip("!?0/").isupper()


def _compare(job: Job, truth: Path, sheets) -> tuple[list, dict]:
    """(problems, {sheet: number of blanked numbers}) of LibreOffice's values against truth."""
    shown, true = stored_cells(job.out), stored_cells(truth)
    problems, hidden = [], {}
    for sheet in sheets:
        for ref, c in true[sheet].items():
            got = shown[sheet].get(ref)
            value = None if got is None else got.value
            if _is_error(value):
                problems.append(f"{sheet}!{ref}: {value}")
            elif c.formula is None or c.value in (None, "") or value == c.value:
                continue
            elif value in (None, "", "xlgex not running"):  # blanked, or a Check saying why
                hidden[sheet] = hidden.get(sheet, 0) + 1
            elif isinstance(c.value, float) and isinstance(value, float) and \
                    math.isclose(value, c.value, rel_tol=1e-9, abs_tol=1e-9):  # fmt: skip
                continue
            else:
                problems.append(f"{sheet}!{ref}: shows {value!r}, true value {c.value!r}")
        for ref, got in shown[sheet].items():
            if _is_error(got.value):
                problems.append(f"{sheet}!{ref}: {got.value}")
    return sorted(set(problems)), hidden


JOBS = [f"{t.removesuffix('.xlsx')}-{kind}" for t in TEMPLATES for kind in ("saved", "recalc")]


@pytest.mark.parametrize("key", JOBS + list(EDITS))
def test_every_number_is_current_or_marked(key, office):
    job, truth = office[key]
    name = EDITS[key][0] if key in EDITS else next(
        t for t in TEMPLATES if key.startswith(t.removesuffix(".xlsx")))
    problems, hidden = _compare(job, truth, READING[name])
    assert not problems, f"{len(problems)} cells wrong, e.g. {problems[:8]}"
    shown = stored_cells(job.out)
    for sheet in READING[name]:
        banner = shown[sheet]["A4"].value or ""
        # LibreOffice never runs xlgex: every reading sheet says so, whatever it shows.
        assert banner.startswith(BANNER), f"{sheet}: no banner"
        if hidden.get(sheet):
            assert "hidden" in banner or key.endswith("recalc"), (sheet, hidden[sheet], banner)


def test_saved_workbooks_show_their_stored_numbers(office):
    """Opened as saved, nothing is blanked: every stored number is shown."""
    for name in TEMPLATES:
        job, truth = office[f"{name.removesuffix('.xlsx')}-saved"]
        problems, hidden = _compare(job, truth, READING[name])
        assert not problems and not hidden, (name, problems[:5], hidden)


def test_edits_flow_through_the_plain_twins(office):
    """Plain Excel keeps working without xlgex: doubled position, doubled trades; ES by notional."""
    shown = stored_cells(office["hedging-short-double"][0].out)["SPX 5700P short gamma"]
    rows = _step_rows(shown)
    assert [shown[f"H{r}"].value for r in rows] == [-200.0, -8.0, 8.0]  # twice -100, -4, +4
    assert [shown[f"J{r}"].value for r in rows] == ["xlgex not running"] * 3
    spy = stored_cells(office["hedging-spy-es"][0].out)["SPY 450C shares"]
    # 3,500 SPY shares x $445 / ($50 x 4,450) = 7 ES ("Inside the Machine" Part 1, by notional)
    assert spy[f"H{_step_rows(spy)[0]}"].value == 7.0


def _step_rows(cells: dict) -> list:
    """Rows of a walkthrough's step table (labels 1, 2, 2a, 2b under the "Step" header)."""
    head = next(int(ref[1:]) for ref, c in cells.items() if ref[0] == "A" and ref[1:].isdigit()
                and c.value == "Step")  # fmt: skip
    rows = []
    while f"A{head + 1 + len(rows)}" in cells and str(cells[f"A{head + 1 + len(rows)}"].value
                                                     )[:1].isdigit():  # fmt: skip
        rows.append(head + 1 + len(rows))
    return rows


def test_an_edited_chain_hides_every_xlgex_number(office):
    """The chain is watched too (its sum and count): no number on the Dashboard survives."""
    shown = stored_cells(office["dashboard-chain"][0].out)["Dashboard"]
    numbers = [ref for ref, c in shown.items() if c.formula and isinstance(c.value, float)]
    assert not numbers, numbers[:10]
    assert "hidden" in shown["A4"].value
    assert not [ref for ref, c in shown.items() if _is_error(c.value)]


def test_bucket_width_alone_redraws_the_bars(office):
    job, truth = office["dashboard-bucket"]
    shown, true = stored_cells(job.out)["Dashboard"], stored_cells(truth)["Dashboard"]
    bars = [shown[f"AC{r}"].value for r in range(6, 31)]
    assert all(isinstance(v, float) for v in bars) and any(bars)
    assert bars == pytest.approx([true[f"AC{r}"].value for r in range(6, 31)], rel=1e-9)


def test_report_has_no_error_and_keeps_its_values(office):
    for key in ("report-saved", "report-recalc"):
        job, truth = office[key]
        problems, hidden = _compare(job, truth, tuple(REPORT_PAGES))
        assert not problems and not hidden, (key, problems[:5], hidden)


@pytest.mark.parametrize("name", TEMPLATES)
def test_reading_sheets_print_to_a_few_pages(name, office):
    job, _ = office[f"{name.removesuffix('.xlsx')}-saved"]
    for sheet in READING[name]:
        pages = pdf_pages(job.pdf(sheet))
        assert 1 <= pages <= MAX_PAGES[sheet], (sheet, pages)
    # The whole workbook, as a plain export: no sheet of spills, a page of the chain at most.
    assert pdf_pages(job.pdf("*")) <= 10


def test_report_sheets_print_to_a_few_pages(office):
    job, _ = office["report-saved"]
    for sheet, most in REPORT_PAGES.items():
        assert 1 <= pdf_pages(job.pdf(sheet)) <= most, sheet
