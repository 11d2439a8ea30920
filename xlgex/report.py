"""A values-only Excel report of a chain's dealer gamma exposure (``xlgex report``).

No formulas and no xlwings: every cell is a value computed by the Python API, so the file
reads the same in any spreadsheet application (Excel on a Mac, LibreOffice, a previewer).
Sheets: Summary (flip, regime, walls), By strike, By expiry, Profile, Info (assumptions and
diagnostics), with native charts.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np

from .conventions import CONVENTIONS, DEFAULT_CONVENTION, GEX_UNITS
from .errors import XlgexError
from .flip import gamma_flip, gex_profile
from .gex import gex_by_expiry, gex_by_strike, gex_settings, gex_walls, total_gex
from .regime import classify_regime
from .workbooks.kit import (
    DATE,
    DATETIME,
    FLIP_COLOUR,
    MONEY,
    MONEY_BN2,
    PROFILE_COLOUR,
    SPOT_COLOUR,
    _Book,
    _gex_bars,
    _money_axis,
    _profile_chart,
    info_formats,
)  # fmt: skip

__all__ = ["write_report", "CHART_RANGE_PCT"]

CHART_RANGE_PCT = 5.0
"""The by-strike chart shows strikes within this many percent of spot."""
EXPIRY_BARS = 20
"""The by-expiry chart shows the first this many expiries."""


def _naive(when: dt.datetime) -> dt.datetime:
    """New York wall-clock time, as a spreadsheet cell holds it."""
    return when.replace(tzinfo=None) if when.tzinfo is not None else when


def _number(x):
    """A float for a cell, or None (a blank cell) when it is NaN."""
    x = float(x)
    return x if math.isfinite(x) else None


def write_report(chain, path, *, convention: str = DEFAULT_CONVENTION, title: str = "",
                 force: bool = False, settings=None, price_unit: str = "spot units") -> Path:  # fmt: skip
    """Write a values-only ``.xlsx`` report of ``chain``'s dealer gamma exposure.

    Parameters
    ----------
    chain : Chain
        A chain from :func:`xlgex.read_chain` (anything ``read_chain`` reads is read first).
    path : str or os.PathLike
        The ``.xlsx`` file to write.
    convention : str, default ``"calls_long_puts_short"``
        Dealer sign convention, see :data:`xlgex.conventions.CONVENTIONS`.
    title : str
        Shown at the top of the Summary sheet: the chain's file name (of a path, the name
        alone is shown).
    force : bool, default False
        Replace ``path`` if it exists.
    settings : GexSettings, optional
        Every GEX setting (:func:`xlgex.gex.gex_settings`: gamma source, preset, expiries);
        when given, ``convention`` is ignored.
    price_unit : str, default ``"spot units"``
        The unit of the underlying's price in labels: ``"$"`` (a stock or ETF), ``"index
        points"`` (an index), or ``"spot units"`` when it is not known.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    XlgexError
        ``path`` exists and ``force`` is False, or bad settings.
    """
    from .chain import Chain

    path = Path(path)
    if path.exists() and not force:
        raise XlgexError(f"xlgex: {path} already exists; use --force (force=True) to replace it")
    if path.is_dir():
        raise XlgexError(f"xlgex: {path} is a folder, not an .xlsx file")
    if not isinstance(chain, Chain):
        from .readers import read_chain

        chain = read_chain(chain)
    s = settings or gex_settings(convention=convention)
    title = Path(title).name if title else ""
    data = {
        "total": total_gex(chain, settings=s),
        "by_strike": gex_by_strike(chain, settings=s),
        "by_expiry": gex_by_expiry(chain, settings=s),
        "profile": gex_profile(chain, settings=s),
        "flip": gamma_flip(chain, settings=s),
        "walls": gex_walls(chain, settings=s),
        "regime": classify_regime(chain, settings=s),
    }
    book = _Book(path, title or "xlgex report", "Dealer gamma exposure (values only)",
                 created=dt.datetime.now().replace(microsecond=0),
                 comments="Written by `xlgex report`: values only, no formulas.")  # fmt: skip
    _summary(book, chain, s, data, title, price_unit)
    _by_strike(book, chain, data["by_strike"], data["flip"])
    _by_expiry(book, data["by_expiry"])
    _profile(book, chain, data["profile"], data["flip"])
    _info(book, chain, s, data)
    book.close()
    return path


def _facts(sh, first_row: int, rows) -> int:
    """(label, value, number format, note) rows from ``first_row``; returns the next row."""
    f = sh.book.fmt
    for i, (label, value, num_format, note) in enumerate(rows):
        r = first_row + i
        sh.text(f"A{r}", label)
        sh.put(f"B{r}", value, f("output", num_format, align="right"))  # texts line up too
        if note:
            sh.text(f"C{r}", note, "note")
    return first_row + len(rows)


def _summary(book, chain, s, data, title, price_unit: str) -> None:
    sh = book.sheet("Summary")
    flip, walls, regime, total = data["flip"], data["walls"], data["regime"], data["total"]
    facts = regime.facts
    sh.top(title or "xlgex report", "Values only (no formulas): dealer gamma exposure computed "
           "by xlgex. Nothing to change; see the other sheets for the tables.",
           f"Convention {s.convention}: {CONVENTIONS[s.convention]}. GEX in $ of underlying "
           "dealers trade per 1% move.")  # fmt: skip
    sh.text("A5", "Summary", "section")
    flip_value = _number(flip)
    crossings = "; ".join(f"{x:,.2f}" for x in flip.crossings) or "none"
    row = _facts(sh, 6, [
        ("Spot", chain.spot, "#,##0.00", f"from the {chain.diagnostics.spot_source}"),
        ("As of (New York)", _naive(chain.asof), DATETIME,
         f"from the {chain.diagnostics.asof_source}"),
        ("Regime", regime.label, None, regime.description),
        ("Net GEX at spot ($ per 1% move)", float(total), MONEY_BN2,
         "> 0: dealers long gamma, their hedging dampens moves; < 0: amplifies"),
        (f"Gamma flip ({price_unit})", flip_value if flip_value is not None else flip.reason,
         "#,##0.00", flip.reason),
        ("All crossings", crossings, None, None),
        ("Distance to flip (% of spot)", _number(facts["distance_to_flip_pct"]), '0.00"%"',
         "positive: spot above the flip"),
        ("Call wall", _number(walls["call_wall"]), "#,##0", "largest |call GEX| at or above spot"),
        ("Put wall", _number(walls["put_wall"]), "#,##0", "largest |put GEX| at or below spot"),
        ("Absolute-gamma strike", _number(walls["abs_gamma_strike"]), "#,##0",
         "largest |call GEX| + |put GEX|"),
        ("0DTE share of gross GEX", total.share_0dte, "0.0%", None),
        ("Contracts used", float(total.contracts_priced), "#,##0", None),
    ])  # fmt: skip
    sh.text(f"A{row + 1}", "Sheets: By strike, By expiry, Profile (net GEX if spot moved, "
            "with the flip), Info (every assumption and diagnostic).", "note")  # fmt: skip
    sh.ws.set_column("A:A", 34)
    longest = max(len(str(v)) for v in (regime.label, crossings, flip_value) if v is not None)
    sh.ws.set_column("B:B", min(max(24, 1.15 * longest + 2), 100))  # the regime's label in full
    sh.ws.set_column("C:C", 70)
    sh.ws.activate()


def _table(sh, top: int, header, rows, fmts) -> tuple[int, int]:
    """A header row at ``top`` and the rows below it; returns (first, last) data rows."""
    f = sh.book.fmt
    sh.header_row(f"A{top}", header)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            sh._write_value(top + i, j, value, fmts[j] if fmts[j] is not None else f())
    return top + 1, top + len(rows)


def _strike_format(strikes) -> str:
    """``#,##0`` for whole strikes, else as many decimals (1 or 2) as the strikes need:
    432.5 shows as 432.5, never rounded to 433 or shown beside 429 as "429." ."""
    for decimals in (0, 1):
        if np.allclose(np.round(strikes, decimals), strikes, rtol=0.0, atol=1e-9):
            return "#,##0" + ("." + "0" * decimals if decimals else "")
    return "#,##0.00"


def _by_strike(book, chain, by_strike, flip) -> None:
    """Net GEX by strike within ±CHART_RANGE_PCT of spot: the table and the chart show the
    same strikes; the spot and flip markers sit at their nearest strikes."""
    sh, f = book.sheet("By strike"), book.fmt
    sh.top("Dealer GEX by strike", "Nothing to change: $ of underlying traded per 1% move, "
           "shown in $ millions (values only).")  # fmt: skip
    strikes = by_strike["strike"].to_numpy(dtype=float)
    net = by_strike["net_gex"].to_numpy(dtype=float)
    near = np.flatnonzero(np.abs(strikes / chain.spot - 1.0) * 100 <= CHART_RANGE_PCT)
    shown = by_strike.iloc[near]
    rows = [(float(k), float(c), float(p), float(n)) for k, c, p, n in
            shown[["strike", "call_gex", "put_gex", "net_gex"]].itertuples(index=False, name=None)]
    money = f("plain", MONEY)
    strike_format = _strike_format(strikes)
    first, last = _table(sh, 5, ["strike", "call GEX", "put GEX", "net GEX"], rows,
                         [f("plain", strike_format), money, money, money])  # fmt: skip
    sh.text("A4", f"{len(rows)} of {len(strikes)} strikes, those within ±{CHART_RANGE_PCT:g}% "
            f"of spot {chain.spot:,.2f}; net GEX of all strikes ${net.sum() / 1e9:,.2f}bn",
            "note")  # fmt: skip
    if not rows:
        return
    # Chart helpers in hidden columns F:I: the bars' two colours and the two markers.
    flip_x = _number(flip)
    nearest = {name: int(np.argmin(np.abs(np.array([r[0] for r in rows]) - x)))
               for name, x in (("spot", chain.spot), ("flip", flip_x)) if x is not None}
    sh.header_row("F5", ["net > 0", "net < 0", "spot", "flip"])
    for i, (_, _, _, n) in enumerate(rows):
        sh.put(f"F{first + i}", max(n, 0.0), money)
        sh.put(f"G{first + i}", min(n, 0.0), money)
        for col, name in (("H", "spot"), ("I", "flip")):
            if nearest.get(name) == i:
                sh.put(f"{col}{first + i}", 0.0, money)
    ref = "'By strike'!${}${}:${}${}".format
    chart = _gex_bars(book.wb, "=" + ref("A", first, "A", last), "=" + ref("F", first, "F", last),
                      "=" + ref("G", first, "G", last), 30)  # fmt: skip
    marks = book.wb.add_chart({"type": "line"})
    for col, name, colour, shape in (("H", f"spot {chain.spot:,.2f}", SPOT_COLOUR, "triangle"),
                                     ("I", "gamma flip" if flip_x is None else
                                      f"gamma flip {flip_x:,.2f}", FLIP_COLOUR, "diamond")):
        marks.add_series({
            "name": name, "categories": "=" + ref("A", first, "A", last),
            "values": "=" + ref(col, first, col, last), "line": {"none": True},
            "marker": {"type": shape, "size": 11, "fill": {"color": colour},
                       "border": {"color": colour}},
        })  # fmt: skip
    chart.combine(marks)
    chart.show_hidden_data()
    chart.set_title({"name": f"Net dealer GEX by strike (±{CHART_RANGE_PCT:g}% of spot "
                     f"{chain.spot:,.2f}); spot and flip at their nearest strikes",
                     "name_font": {"size": 12}})  # fmt: skip
    chart.set_x_axis({"name": "strike", "num_format": strike_format, "label_position": "low",
                      "num_font": {"rotation": -45}})  # fmt: skip
    chart.set_y_axis(_money_axis(MONEY))
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 900, "height": 420})
    sh.ws.insert_chart("F5", chart)
    sh.ws.set_column("A:A", 12)
    sh.ws.set_column("B:D", 15)
    sh.ws.set_column("F:I", 12, None, {"hidden": True})
    sh.ws.freeze_panes(5, 0)
    sh.ws.print_area(f"A1:Z{max(last, 30)}")


def _by_expiry(book, by_expiry) -> None:
    sh, f = book.sheet("By expiry"), book.fmt
    sh.top("Dealer GEX by expiry", "Nothing to change: $ of underlying traded per 1% move, "
           "shown in $ millions; share of gross |GEX| (values only).")  # fmt: skip
    rows = []
    for exp, is_0dte, c, p, n, share in by_expiry[
        ["expiry", "is_0dte", "call_gex", "put_gex", "net_gex", "share_abs"]
    ].itertuples(index=False, name=None):  # fmt: skip
        when = np.datetime64(exp, "D").astype("datetime64[us]").item()
        rows.append((when, bool(is_0dte), float(c), float(p), float(n), float(share)))
    money = f("plain", MONEY)
    first, last = _table(sh, 5, ["expiry", "0DTE", "call GEX", "put GEX", "net GEX",
                                 "share of gross |GEX|"],
                         rows, [f("plain", DATE), None, money, money, money,
                                f("plain", "0.0%")])  # fmt: skip
    if rows:
        hi = min(last, first + EXPIRY_BARS - 1)
        chart = book.wb.add_chart({"type": "column"})
        chart.add_series({
            "name": "net GEX", "categories": f"='By expiry'!$A${first}:$A${hi}",
            "values": f"='By expiry'!$E${first}:$E${hi}",
            "fill": {"color": PROFILE_COLOUR}, "invert_if_negative": False, "gap": 40,
        })  # fmt: skip
        chart.set_title({"name": f"Net dealer GEX by expiry (first {hi - first + 1})",
                         "name_font": {"size": 12}})  # fmt: skip
        chart.set_x_axis({"num_format": "yyyy-mm-dd", "label_position": "low",
                          "num_font": {"rotation": -45}, "text_axis": True})  # fmt: skip
        chart.set_y_axis(_money_axis(MONEY))
        chart.set_legend({"none": True})
        chart.set_size({"width": 900, "height": 380})
        sh.ws.insert_chart("H5", chart)
    sh.ws.set_column("A:A", 12)
    sh.ws.set_column("B:B", 7)
    sh.ws.set_column("C:F", 15)
    sh.ws.freeze_panes(5, 0)


def _profile(book, chain, profile, flip) -> None:
    sh, f = book.sheet("Profile"), book.fmt
    sh.top("Net dealer GEX if spot moved (every contract re-priced at each level)",
           "Nothing to change: $ of underlying traded per 1% move at each hypothetical spot, "
           "shown in $ billions, as on the chart (values only).")  # fmt: skip
    rows = [tuple(float(v) for v in r) for r in profile[["spot", "call_gex", "put_gex",
                                                          "net_gex"]].itertuples(index=False)]
    money = f("plain", MONEY_BN2)
    first, last = _table(sh, 5, ["spot", "call GEX", "put GEX", "net GEX"], rows,
                         [f("plain", "#,##0.00"), money, money, money])  # fmt: skip
    net = [r[3] for r in rows]
    lo, hi = min(net), max(net)
    flip_x = _number(flip)
    sh.text("G4", "chart: vertical lines at the flip and at spot", "note")
    sh.header_row("G5", ["x", "y"])
    markers = [(flip_x, lo), (flip_x, hi), (chain.spot, lo), (chain.spot, hi)]
    for i, (x, y) in enumerate(markers):
        sh.put(f"G{6 + i}", x, f("plain", "#,##0.00"))
        sh.put(f"H{6 + i}", y, money)
    lines = [("spot", 8, SPOT_COLOUR)]
    if flip_x is not None:
        lines.insert(0, (f"gamma flip {flip_x:,.2f}", 6, FLIP_COLOUR))
    marks = [(name, f"=Profile!$G${r}:$G${r + 1}", f"=Profile!$H${r}:$H${r + 1}", colour)
             for name, r, colour in lines]  # fmt: skip
    chart = _profile_chart(book.wb, f"=Profile!$A${first}:$A${last}",
                           f"=Profile!$D${first}:$D${last}", marks,
                           "Net dealer GEX profile with the gamma flip and spot",
                           (rows[0][0], rows[-1][0]), {"width": 900, "height": 420})  # fmt: skip
    sh.ws.insert_chart("J5", chart)
    sh.ws.set_column("A:A", 12)
    sh.ws.set_column("B:D", 15)
    sh.ws.set_column("G:H", 13)
    sh.ws.freeze_panes(5, 0)


def _info(book, chain, s, data) -> None:
    sh = book.sheet("Info")
    sh.top("Assumptions and diagnostics", "Nothing to change: what the numbers assume and what "
           "was read, dropped or excluded.")  # fmt: skip
    total, flip, profile = data["total"], data["flip"], data["profile"]
    d = chain.diagnostics
    rows = [
        ("convention", s.convention), ("meaning", CONVENTIONS[s.convention]),
        ("gamma source", s.gamma_source), ("time rule", total.time_rule),
        ("unit", GEX_UNITS[s.unit]), ("spot", chain.spot), ("spot source", d.spot_source),
        ("as of (New York)", _naive(chain.asof)), ("as-of source", d.asof_source),
        ("IV unit", d.iv_unit), ("IVs solved from bid/ask", float(d.iv_solved)),
        ("IVs from the other side", float(d.iv_other_side)), ("rows read", float(d.rows_read)),
        ("contracts used", float(total.contracts_priced)),
        ("rows without IV (excluded)", float(total.info.get("rows_excluded_no_iv", 0))),
        ("open interest without IV (excluded)", float(total.info.get("oi_excluded_no_iv", 0.0))),
        ("0DTE share of gross GEX", total.share_0dte),
        ("profile grid", f"{len(profile)} levels from {profile['spot'].iloc[0]:,.2f} to "
         f"{profile['spot'].iloc[-1]:,.2f}"),
        ("gamma flip", flip.reason),
    ]  # fmt: skip
    rows += [(f"dropped: {reason}", float(count)) for reason, count in d.dropped.items()]
    rows += [("note", note) for note in d.assumptions]
    f = book.fmt
    sh.header_row("A5", ["item", "value"])
    formats = info_formats(rows)
    for i, (label, value) in enumerate(rows):
        r = 6 + i
        sh.text(f"A{r}", label)
        sh.put(f"B{r}", value, f("plain", formats.get(i, "General")))
    sh.ws.set_column("A:A", 36)
    sh.ws.set_column("B:B", 100)
