"""Write a history: ``.xlsx`` (values and native charts), ``.csv`` or ``.parquet``.

The workbook holds values only (no formulas), so any spreadsheet app shows it as written:

* **History**: one row per snapshot (quote time as a New York date-time), plus
  ``short_gamma`` (1 when the regime is short gamma, else 0) for the shading;
* **Charts**: per underlying, spot and flip through time over shaded short-gamma snapshots,
  and total GEX as bars;
* **Study**: the move study (:mod:`xlgex.history.study`) with its verdict in words;
* **Moves**, **Skipped** (each bad file or snapshot and its message), **Settings**.

CSV and Parquet get the table; the settings, counts, skipped list and the study's verdict go
to ``<out name>.settings.json`` beside them (``history.csv.settings.json``). Every file
goes through :func:`xlgex.files.replace_atomically`. Blank cells stand for "no answer" (no
flip in the grid): never NaN.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..files import check_output, replace_atomically
from .study import MoveStudy, move_study

__all__ = ["write_history", "check_history_output", "sidecar_path", "check_sidecar", "OUTPUT_SUFFIXES",
           "MAX_CHARTED_UNDERLYINGS"]  # fmt: skip

OUTPUT_SUFFIXES = (".xlsx", ".csv", ".parquet")
MAX_CHARTED_UNDERLYINGS = 12
_ABOUT_KEYS = ("settings", "counts", "skipped", "study")
"""Keys of a settings file, in order: :func:`_about` writes them, :func:`_written_by_xlgex` checks them."""
_DATE_FORMAT = "yyyy-mm-dd hh:mm"
_DATE_WIDTH = 18
_WIDE = {"regime_label": 44, "flip_note": 60, "source": 40, "part": 30, "message": 90, "crossing_levels": 24}


def sidecar_path(out: Path) -> Path:
    """``history.csv`` -> ``history.csv.settings.json``."""
    return out.with_name(f"{out.name}.settings.json")


def check_history_output(out, *, force: bool = False, inputs=()) -> Path:
    """Check that a history may be written to ``out`` (and its settings file beside a .csv or
    .parquet), as :func:`xlgex.files.check_output` does; returns ``out`` as a Path."""
    out = check_output(out, force=force, suffixes=OUTPUT_SUFFIXES, inputs=inputs)
    if out.suffix.lower() != ".xlsx":
        check_sidecar(out, force=force, inputs=inputs)
    return out


def check_sidecar(out: Path, *, force: bool = False, inputs=()) -> None:
    """May the settings file beside ``out`` (a .csv or .parquet) be written?

    As for ``out`` itself (``--force`` to replace it), except that the settings file xlgex
    wrote for an output that has since been deleted is replaced without asking: it describes
    a file that is no longer there.
    """
    side = sidecar_path(out)
    check_output(side, force=force or (not out.exists() and _written_by_xlgex(side)),
                 suffixes=(".json",), inputs=inputs)  # fmt: skip


def _written_by_xlgex(side: Path) -> bool:
    """Is ``side`` a settings file in the shape :func:`write_history` writes?"""
    try:
        about = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(about, dict) or set(about) != set(_ABOUT_KEYS):
        return False
    return "xlgex_version" in (about["settings"] or {})


def _cell(value):
    """A value a cell can hold: NaN/None/NaT blank, timestamps naive New York wall-clock."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _table(ws, frame: pd.DataFrame, row0: int, formats: dict) -> int:
    """Header at ``row0``, values below; returns the next free row."""
    ws.write_row(row0, 0, list(frame.columns), formats["bold"])
    for i, record in enumerate(frame.itertuples(index=False), start=row0 + 1):
        for j, value in enumerate(record):
            value = _cell(value)
            if value is None:
                continue
            fmt = formats["date"] if hasattr(value, "hour") else None
            ws.write(i, j, value, fmt) if fmt else ws.write(i, j, value)
    for j, name in enumerate(frame.columns):
        dates = pd.api.types.is_datetime64_any_dtype(frame[name])
        ws.set_column(j, j, _DATE_WIDTH if dates else _WIDE.get(name, max(12, len(str(name)) + 2)))
    return row0 + len(frame) + 2


def _history_sheet(wb, df: pd.DataFrame, formats) -> pd.DataFrame:
    table = df.copy()
    table["short_gamma"] = (table["regime"] == "short gamma").astype(int)
    # charts label snapshots with text, so every app draws one category per snapshot in order
    # (a date axis would spread them over the calendar, weekends and gaps included)
    table["time_label"] = table["quote_time"].dt.strftime("%Y-%m-%d %H:%M")
    ws = wb.add_worksheet("History")
    _table(ws, table, 0, formats)
    ws.freeze_panes(1, 2)
    return table


def _step(span: float) -> float:
    return 10.0 ** math.floor(math.log10(span)) if span > 0 else 1.0


def _round_down(x: float) -> float:
    return math.floor(x / _step(abs(x) / 20)) * _step(abs(x) / 20)


def _round_up(x: float) -> float:
    return math.ceil(x / _step(abs(x) / 20)) * _step(abs(x) / 20)


def _money_format(values: pd.Series) -> str:
    """An axis format in bn, m or plain $ by the largest |value|."""
    top = float(values.abs().max()) if len(values) else 0.0
    if top >= 1e9:
        return '#,##0.0,,,"bn"'
    return '#,##0.0,,"m"' if top >= 1e6 else "#,##0"


def _spot_chart(wb, ref, rows: pd.DataFrame, name: str):
    """Spot and flip (right axis) over columns shading the short-gamma snapshots.

    The shading is the primary chart and the lines its secondary: the one way round that
    Excel and LibreOffice both draw.
    """
    levels = pd.concat([rows["spot"], rows["flip"]]).dropna()
    low, high = float(levels.min()), float(levels.max())
    pad = max((high - low) * 0.05, high * 0.005)
    shade = wb.add_chart({"type": "column"})
    shade.add_series({"name": "short gamma", "categories": ref("time_label"), "values": ref("short_gamma"),
                      "fill": {"color": "#F4CCCC"}, "border": {"none": True}, "gap": 0})
    lines = wb.add_chart({"type": "line"})
    lines.add_series({"name": "spot", "categories": ref("time_label"), "values": ref("spot"),
                      "line": {"color": "#1F4E79", "width": 1.75}, "y2_axis": True,
                      "marker": {"type": "circle", "size": 3, "fill": {"color": "#1F4E79"}}})
    lines.add_series({"name": "gamma flip", "categories": ref("time_label"), "values": ref("flip"),
                      "line": {"color": "#C00000", "width": 1.25, "dash_type": "dash"}, "y2_axis": True,
                      "marker": {"type": "diamond", "size": 4, "fill": {"color": "#C00000"}}})
    shade.combine(lines)
    shade.set_title({"name": f"{name}: spot and gamma flip (shaded: short gamma)"})
    shade.set_x_axis({"num_font": {"rotation": -45}, "label_position": "low"})
    shade.set_y_axis({"min": 0, "max": 1, "visible": False, "major_gridlines": {"visible": False}})
    lines.set_y2_axis({"name": "spot units", "min": _round_down(low - pad), "max": _round_up(high + pad)})
    shade.show_blanks_as("gap")
    shade.set_size({"width": 900, "height": 360})
    return shade


def _chart_pair(wb, table: pd.DataFrame, first: int, last: int, name: str):
    """(spot and flip over short-gamma shading, total GEX bars) for History rows first..last."""
    col = {c: table.columns.get_loc(c) for c in ("time_label", "spot", "flip", "total_gex", "short_gamma")}

    def ref(c):
        return ["History", first + 1, col[c], last + 1, col[c]]

    rows = table.iloc[first:last + 1]
    bars = wb.add_chart({"type": "column"})
    bars.add_series({"name": "total GEX", "categories": ref("time_label"), "values": ref("total_gex"),
                     "fill": {"color": "#2E75B6"}, "invert_if_negative": False, "gap": 50})
    bars.set_title({"name": f"{name}: total dealer GEX"})
    bars.set_x_axis({"num_font": {"rotation": -45}, "label_position": "low"})
    bars.set_y_axis({"name": "$ per 1% move", "num_format": _money_format(rows["total_gex"])})
    bars.set_legend({"none": True})
    bars.set_size({"width": 900, "height": 300})
    return _spot_chart(wb, ref, rows, name), bars


def _charts_sheet(wb, table: pd.DataFrame, formats) -> None:
    ws = wb.add_worksheet("Charts")
    if table.empty:
        ws.write(0, 0, "xlgex: no snapshot gave a row, so there is nothing to chart (see Skipped)")
        return
    row = 0
    groups = table.groupby("underlying", sort=True).indices
    for k, (name, idx) in enumerate(groups.items()):
        if k == MAX_CHARTED_UNDERLYINGS:
            ws.write(row, 0, f"Charts shown for the first {MAX_CHARTED_UNDERLYINGS} underlyings; "
                             "every row is on the History sheet.")  # fmt: skip
            break
        lines, bars = _chart_pair(wb, table, int(idx.min()), int(idx.max()), name)
        ws.write(row, 0, f"{name}: {len(idx)} snapshots", formats["bold"])
        ws.insert_chart(row + 1, 0, lines)
        ws.insert_chart(row + 20, 0, bars)
        row += 37


def _study_sheet(wb, study: MoveStudy, formats) -> None:
    ws = wb.add_worksheet("Study")
    lines = [
        ("Do moves after short-gamma snapshots run larger than after long-gamma ones?", formats["bold"]),
        ("Long gamma dampens (dealers sell rallies, buy dips); short gamma amplifies.", None),
        (f"Move: to the {study.horizon} of the same underlying. Absolute return % = |S_next / S - 1| x 100;"
         " range % = (max S - min S) / S x 100 when snapshots lie between.", None),
        (f"Intervals: {study.confidence:.0%} Student t for each mean; Welch for the difference.", None),
        (study.verdict, formats["bold"]),
    ]  # fmt: skip
    for i, (text, fmt) in enumerate(lines):
        ws.write(i, 0, text, fmt)
    row = len(lines) + 1
    ws.write(row, 0, "By regime at the start of the move", formats["bold"])
    row = _table(ws, study.by_regime, row + 1, formats) if len(study.by_regime) else row + 2
    ws.write(row, 0, "By distance to flip at the start: (spot - flip) / spot", formats["bold"])
    if len(study.by_distance):
        _table(ws, study.by_distance, row + 1, formats)
    ws.set_column(0, 0, 36)


def _key_values(ws, items, formats) -> None:
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 90)
    for i, (key, value) in enumerate(items):
        ws.write(i, 0, key, formats["bold"])
        ws.write(i, 1, _cell(value) if not isinstance(value, (list, tuple, dict)) else str(value))


def _write_xlsx(df: pd.DataFrame, study: MoveStudy, path: Path) -> None:
    import xlsxwriter

    with replace_atomically(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp))
        formats = {"bold": wb.add_format({"bold": True}), "date": wb.add_format({"num_format": _DATE_FORMAT})}
        table = _history_sheet(wb, df, formats)
        _charts_sheet(wb, table, formats)
        _study_sheet(wb, study, formats)
        _table(wb.add_worksheet("Moves"), study.moves, 0, formats)
        skipped = pd.DataFrame(df.attrs.get("skipped", []), columns=["source", "part", "message", "error"])
        ws = wb.add_worksheet("Skipped")
        if skipped.empty:
            ws.write(0, 0, "No file or snapshot was skipped.")
        else:
            _table(ws, skipped, 0, formats)
        _key_values(wb.add_worksheet("Settings"), [*df.attrs.get("settings", {}).items(),
                                                   *df.attrs.get("counts", {}).items()], formats)  # fmt: skip
        wb.close()


def _about(df: pd.DataFrame, study: MoveStudy) -> str:
    parts = (df.attrs.get("settings", {}), df.attrs.get("counts", {}), df.attrs.get("skipped", []),
             study.as_dict())  # fmt: skip
    about = dict(zip(_ABOUT_KEYS, parts, strict=True))
    return json.dumps(_json_safe(about), indent=1, default=str, allow_nan=False)


def _json_safe(value):
    """NaN (a group without an interval) as null: the file stays strict JSON."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return None
    return value


def write_history(df: pd.DataFrame, out, *, force: bool = False, horizon=None,
                  study: MoveStudy | None = None) -> Path:  # fmt: skip
    """Write ``df`` (from :func:`xlgex.history`) to ``out`` by its suffix; returns the path.

    An existing ``out`` (or its ``.settings.json``) is replaced only with ``force=True``.
    ``study``: the move study of ``df`` when the caller has it already; else it is computed
    with ``horizon``.
    """
    out = check_history_output(out, force=force)
    if study is None:
        study = move_study(df, horizon=horizon)
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(df, study, out)
        return out
    plain = df.copy()
    plain.attrs = {}  # the settings go to the settings file, once
    with replace_atomically(out) as tmp:
        if suffix == ".csv":
            plain.to_csv(tmp, index=False, date_format="%Y-%m-%dT%H:%M%z")
        else:
            plain.to_parquet(tmp, index=False)
    with replace_atomically(sidecar_path(out)) as tmp:
        tmp.write_text(_about(df, study), encoding="utf-8")
    return out
