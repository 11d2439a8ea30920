"""``xlgex_dashboard.xlsx``: the chain as a Table and a GEX dashboard with charts."""

from __future__ import annotations

import math
from pathlib import Path

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .chainsheet import (
    _chain_book,
    _gex_args,
    _gex_inputs,
)
from .kit import (
    CHAIN_NAME,
    FLIP_COLOUR,
    MONEY,
    MONEY_BN2,
    SPOT_COLOUR,
    _about,
    _gex_bars,
    _libreoffice_spills,
    _money_axis,
    _profile_chart,
    _xl_round,
    info_formats,
)

# --------------------------------------------------------------------------- dashboard

EXPOSURE_PANELS = {"delta": "Dealer delta exposure (DEX)", "vanna": "Dealer vanna exposure (VEX)",
                   "charm": "Dealer charm exposure (CEX)"}
"""The GEX_EXPOSURE tables the dashboard shows, by greek."""

BUCKETS = 25
"""Bars in the dashboard's strike chart: spot's bucket and 12 on each side."""

LIVE_NOTE = ("Excel's live results (spilled). LibreOffice cannot run xlwings functions, so this "
             "sheet shows #NAME? there; the other sheets show the stored values.")
"""The note at the top of the sheet that holds a workbook's spills."""

MARGIN = 0.2
"""Blank mirror rows after a chain-dependent table, as a share of its build-time rows."""


def _margin(rows) -> int:
    """Blank rows to mirror after ``rows``: room for a longer result in Excel."""
    return math.ceil(MARGIN * len(rows))


def build_dashboard(path, frame=None, label: str | None = None, *, inputs=None) -> Path:
    """``xlgex_dashboard.xlsx``: the chain as a Table and a GEX dashboard with charts."""
    book, (sh,), chain, label = _chain_book(
        path, frame, label, "xlgex: dealer GEX dashboard",
        "GEX by strike, flip, regime, walls, profile of an option chain", inputs, ("Dashboard",))
    f = book.fmt
    n_rows = len(chain.value) - 1
    sh.top("xlgex dashboard: dealer gamma exposure of the chain on the Chain sheet",
           "Change the yellow cells (blank spot/as-of = the chain's own), or replace the Chain "
           "table's rows; every number below recalculates.",
           f"Chain: {label}, {n_rows:,} contracts in the Chain table (name {CHAIN_NAME}). "
           "GEX in $ of underlying dealers trade per 1% move ($bn; by strike in $m).")
    sh.text("A5", "Inputs", "section")
    a = _gex_inputs(sh, 6, extra=[
        ("bucket", "Bar chart: strike bucket width (points)", 25.0, "0", "bars sum the strikes "
         "in each bucket"),
    ])  # fmt: skip
    base = _gex_args(sh, a, chain)
    gex_keys = ("spot", "asof", "convention", "chain")
    stale = book.state.stale(gex_keys)

    sh.text("A11", "Results", "section")
    sh.text("A12", "Regime (GEX_REGIME)")
    (regime,), = sh.udf("B12", "GEX_REGIME", *base, fmt=f("output"))
    sh.text("A13", "Gamma flip (GEX_FLIP, in spot's units)")
    (flip,), = sh.udf("B13", "GEX_FLIP", *base, fmt=f("output", "#,##0.00"))
    sh.text("A14", "Net GEX at spot (GEX_TOTAL, $ per 1% move)")
    sh.udf("B14", "GEX_TOTAL", *base, fmt=f("output", MONEY_BN2))

    # The spills live on the Live sheet; the Dashboard shows them with single-cell mirrors.
    live = book.sheet("Live")
    live.top("Live: the xlgex tables the Dashboard shows, as Excel spills them",
             LIVE_NOTE, "Nothing to change here: edit the yellow cells on the Dashboard sheet.")
    ext = _gex_args(sh, a, chain, external=True)
    pair_fmts = [f("label"), f("output", "#,##0.00")]
    live.text("A5", "=GEX_WALLS", "section")
    walls = live.udf("A6", "GEX_WALLS", *ext, fmts=[f("label"), f("output", "#,##0")])
    live.text("D5", "=GEX_REGIME(..., details TRUE)", "section")
    details = live.udf("D6", "GEX_REGIME", *ext, "", "", True, fmts=pair_fmts)
    live.text("G5", "=GEX_INFO", "section")
    info = live.udf("G6", "GEX_INFO", *ext, fmts=[f("label"), f("plain", "General")])
    live.text("J5", "=GEX_STRIKE", "section")
    strikes = live.udf("J6", "GEX_STRIKE", *ext, header=f("header"),
                       fmts=[f("calc", "#,##0")] + [f("plain", MONEY)] * 3)  # fmt: skip
    live.text("O5", "=GEX_PROFILE", "section")
    profile = live.udf("O6", "GEX_PROFILE", *ext, header=f("header"),
                       fmts=[f("calc", "#,##0.00")] + [f("plain", MONEY)] * 3)  # fmt: skip
    live.text("T5", "=GEX_LEVELS", "section")
    levels = live.udf("T6", "GEX_LEVELS", *ext[:3], 5.0, False, ext[3], header=f("header"),
                      fmts=[f("label"), f("output", "#,##0"), f("plain", MONEY)])  # fmt: skip
    live.text("X5", "=GEX_MOVE(..., \"0dte\")", "section")
    move = live.udf("X6", "GEX_MOVE", *ext[:3], "0dte", "", ext[3], fmts=pair_fmts)
    exposures = {}
    for k, greek in enumerate(EXPOSURE_PANELS):
        col = xl_col_to_name(26 + 5 * k)  # AA, AF, AK
        live.text(f"{col}5", f'=GEX_EXPOSURE(..., "{greek}")', "section")
        exposures[greek] = (f"{col}6", live.udf(
            f"{col}6", "GEX_EXPOSURE", ext[0], greek, *ext[1:], header=f("header"),
            fmts=[f("calc", "#,##0")] + [f("plain", MONEY)] * 3))  # fmt: skip
        live.ws.set_column(26 + 5 * k, 29 + 5 * k, 13)
    row_formats = {"net GEX at spot ($ per 1%)": MONEY_BN2, "0DTE share of gross GEX": "0.0%",
                   "distance to flip %": '0.00"%"'}  # fmt: skip
    detail_fmts = {(i, 1): f("output", row_formats[key]) for i, (key, value) in
                   enumerate(details) if key in row_formats and isinstance(value, float)}
    live.restyle("D6", details, detail_fmts)  # per-row number formats inside the spill
    info_fmts = {(i, 1): f("plain", fmt) for i, fmt in info_formats(info).items()}
    live.restyle("G6", info, info_fmts)
    live.ws.set_column("A:A", 18)
    live.ws.set_column("B:B", 12)
    live.ws.set_column("D:D", 26)
    live.ws.set_column("E:E", 14)
    live.ws.set_column("G:G", 26)
    live.ws.set_column("H:H", 18)
    live.ws.set_column("J:M", 13)
    live.ws.set_column("O:R", 13)
    live.ws.set_column("C:C", 2)
    live.ws.set_column("F:F", 2)
    live.ws.set_column("I:I", 2)
    live.ws.set_column("N:N", 2)
    live.ws.set_column("T:T", 26)
    live.ws.set_column("U:V", 14)
    live.ws.set_column("X:X", 26)
    live.ws.set_column("Y:Y", 14)

    # Mirrors: =IF(Live!X="","",Live!X), with blank rows after the chain-dependent tables.
    sh.text("A17", "Walls: =GEX_WALLS (read from the Live sheet)", "section")
    sh.mirror("A18", live, "A6", walls, [f("label"), f("output", "#,##0")], stale=stale)
    sh.text("A22", "Regime details: =GEX_REGIME(..., details TRUE)", "section")
    sh.mirror("A23", live, "D6", details, pair_fmts, cell_fmts=detail_fmts, stale=stale)
    spot_row = next(i for i, r in enumerate(details) if r[0] == "spot")
    spot_cell = f"$B${23 + spot_row}"
    spot_used = details[spot_row][1]
    sh.text("A15", "Spot used (from the regime details)")
    sh.formula("B15", f"={spot_cell}", spot_used, f("output", "#,##0.00"))

    info_top = 23 + len(details) + 1  # below the regime details, however many rows
    sh.text(f"A{info_top}", "Assumptions and diagnostics: =GEX_INFO", "section")
    info_margin = _margin(info)
    sh.mirror(f"A{info_top + 1}", live, "G6", info, [f("label"), f("plain", "General")],
              margin=info_margin, cell_fmts=info_fmts, stale=stale)  # fmt: skip

    # Key levels and today's expected move, below the diagnostics.
    top = info_top + 1 + len(info) + info_margin + 1
    sh.text(f"A{top}", "Key levels: =GEX_LEVELS (walls by GEX and by open interest, largest "
            "net GEX strikes)", "section")  # fmt: skip
    oi_rows = {i: f("output", "#,##0") for i, r in enumerate(levels) if "open interest" in str(r[0])}
    sh.mirror(f"A{top + 1}", live, "T6", levels, [f("label"), f("output", "#,##0"),
              f("plain", MONEY)], header=f("header"), stale=stale,
              cell_fmts={(i, 2): fmt for i, fmt in oi_rows.items()})  # fmt: skip
    top += len(levels) + 2
    sh.text(f"A{top}", "Today's expected move: =GEX_MOVE(..., \"0dte\") (ATM straddle of the "
            "0DTE expiry)", "section")  # fmt: skip
    money_row = {i: f("output", MONEY_BN2) for i, r in enumerate(move)
                 if str(r[0]).startswith("0DTE net GEX")}  # fmt: skip
    sh.mirror(f"A{top + 1}", live, "X6", move, pair_fmts, stale=stale,
              cell_fmts={(i, 1): fmt for i, fmt in money_row.items()})  # fmt: skip
    panels_end = top + len(move)

    # Dealer delta, vanna and charm exposure by strike, right of the chart helpers.
    for k, (greek, (src, grid)) in enumerate(exposures.items()):
        col = 32 + 5 * k  # AG, AL, AQ
        sh.text(xl_rowcol_to_cell(2, col), f"{EXPOSURE_PANELS[greek]}: =GEX_EXPOSURE(..., "
                f'"{greek}")', "section")  # fmt: skip
        sh.text(xl_rowcol_to_cell(3, col), "$ shown in millions, per strike", "note")
        sh.mirror(xl_rowcol_to_cell(4, col), live, src, grid,
                  [f("calc", "#,##0")] + [f("plain", MONEY)] * 3, header=f("header"),
                  margin=_margin(grid[1:]), stale=stale)  # fmt: skip
        sh.ws.set_column(col, col + 3, 13)
        sh.ws.set_column(col + 4, col + 4, 2)

    # Long tables to the right of the charts.
    sh.text("R3", "GEX by strike: =GEX_STRIKE", "section")
    strike_margin = _margin(strikes[1:])
    sh.text("R4", f"$ per 1% move, shown in $ millions; {strike_margin} blank rows after "
            "the last strike take a longer chain (all of it is on the Live sheet)", "note")
    sh.mirror("R5", live, "J6", strikes, [f("calc", "#,##0")] + [f("plain", MONEY)] * 3,
              header=f("header"), margin=strike_margin, stale=stale)  # fmt: skip
    sh.text("W3", "Profile if spot moved: =GEX_PROFILE", "section")
    sh.text("W4", "every contract re-priced at each level (161 levels, ±20%)", "note")
    sh.mirror("W5", live, "O6", profile, [f("calc", "#,##0.00")] + [f("plain", MONEY)] * 3,
              header=f("header"), stale=stale)  # fmt: skip

    # Chart helpers: strike buckets near spot (SUMIFS over the GEX_STRIKE columns).
    cap = 1000  # rows of GEX_STRIKE the helpers read: plenty for any listed chain
    s_col, n_col = f"Live!$J$7:$J${cap}", f"Live!$M$7:$M${cap}"
    # Where the Live spills are errors (xlgex not running), sum the Dashboard's own copies,
    # so a new bucket width still redraws the bars from the stored strikes.
    mirror_end = 5 + len(strikes) + strike_margin
    s_mir, n_mir = f"$R$6:$R${mirror_end}", f"$U$6:$U${mirror_end}"
    sh.text("AB3", "Chart helpers (nothing to change)", "section")
    sh.text("AB4", "net GEX summed over strike buckets centred near spot", "note")
    sh.header_row("AB5", ["bucket centre", "net GEX", "> 0", "< 0"])
    width = sh.at(a["bucket"])
    centre0 = _xl_round(spot_used / width) * width
    pairs = [(float(r[0]), float(r[3])) for r in strikes[1:]]
    half = BUCKETS // 2
    first = 6
    for k in range(BUCKETS):
        r = first + k
        offset = k - half
        centre = centre0 + offset * width
        sh.formula(f"AB{r}", f"=IFERROR(ROUND({spot_cell}/{a['bucket']},0)*{a['bucket']}"
                   f'{offset:+d}*{a["bucket"]},"")', centre, f("calc", "#,##0"))  # fmt: skip
        lo, hi = centre - width / 2, centre + width / 2
        total = sum(n for s, n in pairs if lo <= s < hi)
        lo_hi = [f'">="&(AB{r}-{a["bucket"]}/2)', f'"<"&(AB{r}+{a["bucket"]}/2)']
        live_sum = f"SUMIFS({n_col},{s_col},{lo_hi[0]},{s_col},{lo_hi[1]})"
        own_sum = f"SUMIFS({n_mir},{s_mir},{lo_hi[0]},{s_mir},{lo_hi[1]})"
        sh.formula(f"AC{r}", f'=IF(OR(AB{r}="",{stale}=1),"",IF(ISERROR(Live!$J$7),{own_sum},'
                   f"{live_sum}))", total, f("calc", MONEY))
        sh.formula(f"AD{r}", f'=IF(AC{r}="","",MAX(AC{r},0))', max(total, 0.0), f("calc", MONEY))
        sh.formula(f"AE{r}", f'=IF(AC{r}="","",MIN(AC{r},0))', min(total, 0.0), f("calc", MONEY))
    last = first + BUCKETS - 1

    n_profile = len(profile) - 1
    p_x, p_y = f"$W$6:$W${5 + n_profile}", f"$Z$6:$Z${5 + n_profile}"
    nets = [float(r[3]) for r in profile[1:]]
    flip_x = flip if isinstance(flip, float) else ""
    flip_refs, spot_refs = sh.vlines("AB33", "vertical lines at the flip and at spot",
                                     [("$B$13", flip_x), (spot_cell, spot_used)], p_y,
                                     (min(nets), max(nets)))  # fmt: skip

    bars = _gex_bars(book.wb, f"=Dashboard!$AB${first}:$AB${last}",
                     f"=Dashboard!$AD${first}:$AD${last}", f"=Dashboard!$AE${first}:$AE${last}", 40)
    bars.set_title({"name": "Net dealer GEX near spot, by strike bucket ($ per 1% move)",
                    "name_font": {"size": 12}})  # fmt: skip
    bars.set_x_axis({"name": "strike (bucket centre)", "num_font": {"rotation": -45},
                     "num_format": "#,##0", "label_position": "low"})  # fmt: skip
    bars.set_y_axis(_money_axis())
    bars.set_legend({"position": "bottom"})
    bars.set_size({"width": 760, "height": 360})
    sh.ws.insert_chart("G5", bars)

    marks = [("gamma flip", *flip_refs, FLIP_COLOUR), ("spot", *spot_refs, SPOT_COLOUR)]
    prof = _profile_chart(book.wb, f"=Dashboard!{p_x}", f"=Dashboard!{p_y}", marks,
                          "Net dealer GEX if spot moved (GEX_PROFILE), flip and spot",
                          (float(profile[1][0]), float(profile[-1][0])),
                          {"width": 760, "height": 360})  # fmt: skip
    sh.ws.insert_chart("G25", prof)

    sh.ws.set_column("A:A", 40)
    sh.ws.set_column("B:B", 24)
    sh.ws.set_column("C:E", 20)
    sh.ws.set_column("F:F", 2)
    sh.ws.set_column("G:P", 10)
    sh.ws.set_column("Q:Q", 2)
    sh.ws.set_column("R:U", 13)
    sh.ws.set_column("V:V", 2)
    sh.ws.set_column("W:Z", 13)
    sh.ws.set_column("AA:AA", 2)
    sh.ws.set_column("AB:AE", 13)
    sh.ws.print_area(f"A1:Z{max(panels_end, mirror_end, 5 + len(profile))}")
    sh.banner("A4", gex_keys)
    live.ws.hide()
    sh.ws.activate()
    _about(book, "A dealer gamma-exposure dashboard for the option chain on the Chain sheet.", [
        f"The chain argument of every formula is the name {CHAIN_NAME}, which points at the "
        "Chain table's range (header row included).",
        "The bar chart sums net GEX per strike bucket around spot with SUMIFS over the "
        "GEX_STRIKE columns, so it follows spot and stays readable when strikes are 5 or "
        "100 points apart; the helper cells are in columns AB:AE.",
        "The profile chart is an XY chart: GEX_PROFILE's net column, plus two-point series "
        "drawing vertical lines at the flip and at spot.",
        "Below the diagnostics: the key levels (=GEX_LEVELS: walls by GEX and by open "
        "interest, the largest positive and negative net GEX strikes) and today's expected "
        "move (=GEX_MOVE with view \"0dte\": the ATM straddle, its breakevens and the one-sigma "
        "move of the 0DTE expiry). Right of the chart helpers: dealer delta, vanna and charm "
        "exposure by strike (=GEX_EXPOSURE with greek \"delta\", \"vanna\", \"charm\").",
        "The spilled results (GEX_WALLS, GEX_REGIME details, GEX_INFO, GEX_STRIKE, "
        "GEX_PROFILE) are dynamic arrays on the Live sheet; the Dashboard shows them cell by "
        "cell with =IF(Live!J7=\"\",\"\",Live!J7), plus 20% blank rows after GEX_STRIKE and "
        "GEX_INFO for a longer chain (a result longer still is complete on the Live sheet, and "
        "the bar chart's SUMIFS read the Live sheet's whole columns, or the Dashboard's own copy "
        "where the Live sheet cannot recalculate).",
        f"The bundled chain is a {label}.",
    ], [
        "\"Inside the Machine: How Market Makers Actually Hedge Gamma\" (flip, walls, regime).",
        "Unusual Whales, \"How To Interpret Periscope Net Gamma Exposure\" (net GEX by strike).",
    ], libreoffice=_libreoffice_spills("Live"))  # fmt: skip
    book.conf_sheet()
    return book.close()
