"""``xlgex_whatif.xlsx``: spot shocks x vol shifts x clock rolls, and expiration melt."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .chainsheet import (
    _chain_book,
    _gex_args,
    _gex_inputs,
)
from .dashboard import (
    LIVE_NOTE,
)
from .kit import (
    CHAIN_NAME,
    DATETIME,
    FLIP_COLOUR,
    MONEY,
    MONEY_BN2,
    PROFILE_COLOUR,
    SPOT_COLOUR,
    _about,
    _Arg,
    _libreoffice_spills,
    _money_axis,
    _spot_axis,
    info_formats,
)

# --------------------------------------------------------------------------- what-if

SHOCK_STEPS = 5
"""Spot shocks run from -5 to +5 steps of the shock-step input."""
VOL_SHIFTS = (-0.02, 0.0, 0.02, 0.05)
ROLL_HOURS = (0.0, 5.0, 6.0)
MELT_LEVELS, MELT_RANGE_PCT, MELT_HOURS = 81, 4.0, 6.0
VOL_HEADER = '"vol "+0.00;"vol "-0.00;"vol "0.00'
"""A vol-shift cell shown as a column header: vol +0.02."""


def _guard(stale: str, expr: str) -> str:
    """``=expr``, blank when ``stale`` (an input changed and xlgex is not running) or when
    ``expr`` fails (the spills it reads are errors where xlgex is missing)."""
    return f'=IF({stale}=1,"",IFERROR({expr},""))'


def _input_row(sh, row: int, values, num_format: str, name: str) -> list:
    """Inputs across ``row`` from column B, watched as "name 1", "name 2", ...; returns
    their absolute refs ($B$10, ...)."""
    refs = []
    for j, value in enumerate(values):
        col = xl_col_to_name(1 + j)
        sh.input(f"{col}{row}", value, num_format, f"{name} {j + 1}")
        refs.append(f"${col}${row}")
    return refs


def _melt_markers(sh, mirrors, flip_cell: str, flip):
    """Vertical lines on the melt chart at the flip now and at spot: two-point series in
    plain cells right of the melt mirrors (spot is the middle level of the profile now; the
    lines span the lowest to the highest net GEX now and after). Returns ``(name, (x range,
    y range), colour, dash)`` per line."""
    (col_now, now), (col_after, after) = mirrors["now"], mirrors["after"]
    first, last = 16, 15 + len(now) - 1
    ys = ",".join(f"${xl_col_to_name(c + 3)}${first}:${xl_col_to_name(c + 3)}${last}"
                  for c in (col_now, col_after))
    nets = [float(r[3]) for grid in (now, after) for r in grid[1:]]
    mid = (len(now) - 1) // 2
    spot_src = f"${xl_col_to_name(col_now)}${first + mid}"
    col = mirrors["0DTE only, now"][0] + 5
    flip_refs, spot_refs = sh.vlines(
        xl_rowcol_to_cell(12, col), "chart: vertical lines at the flip now and at spot",
        [(flip_cell, flip if isinstance(flip, float) else ""), (spot_src, float(now[1 + mid][0]))],
        ys, (min(nets), max(nets)))  # fmt: skip
    return [("gamma flip now", flip_refs, FLIP_COLOUR, "dash"),
            ("spot", spot_refs, "#000000", "round_dot")]  # fmt: skip


def build_whatif(path, frame=None, label: str | None = None, *, inputs=None) -> Path:
    """``xlgex_whatif.xlsx``: spot shocks x vol shifts x clock rolls, and expiration melt."""
    book, (sh, work), chain, label = _chain_book(
        path, frame, label, "xlgex: what-if grid",
        "Net GEX, flip and dealer hedge under spot, vol and time scenarios", inputs, ("WhatIf", "Workings"))
    f = book.fmt
    sh.top("What-if: net GEX, the gamma flip and the dealer hedge under spot shocks, vol "
           "shifts and the clock",
           "Change the yellow cells: spot/as-of (blank = the chain's own), convention, the "
           "shock step, the four vol shifts, the three clock rolls and the melt roll.",
           f"Chain: {label} (name {CHAIN_NAME}). GEX in $ of underlying dealers trade per 1% "
           "move; hedges in $ of underlying (+ buy, − sell); both shown in $ billions.")
    sh.text("A5", "Inputs", "section")
    a = _gex_inputs(sh, 6, extra=[
        ("step", "Spot shock step (% of spot)", 1.0, "0.0#", "the grids run from −5 to +5 "
         "steps"),
    ])  # fmt: skip
    step = sh.at(a["step"])
    sh.text("A10", "Vol shifts (decimal: 0.02 = +2 vol points)")
    vol_cells = _input_row(sh, 10, VOL_SHIFTS, "+0.00;-0.00;0.00", "vol shift")
    sh.text("A11", "Clock rolls (hours after as-of; expired options drop out)")
    roll_cells = _input_row(sh, 11, ROLL_HOURS, "0.0", "clock roll")
    stale = book.state.stale()  # every input so far: the grids read them all
    base, ext = _gex_args(sh, a, chain), _gex_args(sh, a, chain, external=True)

    # Workings: GEX_INFO (the spot and clock used) and one GEX_PROFILE per (roll, vol shift).
    work.top("Workings: the full spills the WhatIf sheet reads", LIVE_NOTE,
             "Nothing to change here: edit the inputs on the WhatIf sheet.")
    work.text("A5", "=GEX_INFO: spot and as-of used", "section")
    info = work.udf("A6", "GEX_INFO", *ext, fmts=[f("label"), f("plain", "General")])
    facts = {key: (i, value) for i, (key, value) in enumerate(info)}
    asof_row, asof_used = facts["as of (New York)"]
    share_row, share_0dte = facts["0DTE share of gross GEX"]
    work.restyle("A6", info, {(i, 1): f("plain", fmt) for i, fmt in info_formats(info).items()})
    asof_cell = f"Workings!$B${6 + asof_row}"
    n = 2 * SHOCK_STEPS + 1
    blocks = {}
    for i, roll_cell in enumerate(roll_cells):
        for j, vol_cell in enumerate(vol_cells):
            row, col = 5 + i * (n + 4), 4 + j * 5
            work.text(xl_rowcol_to_cell(row - 1, col), f"clock roll {i + 1}, vol shift {j + 1}",
                      "section")  # fmt: skip
            range_arg = _Arg(f"{SHOCK_STEPS}*WhatIf!{a['step']}", SHOCK_STEPS * step)
            grid = work.udf(xl_rowcol_to_cell(row, col), "GEX_PROFILE", *ext, float(n),
                            range_arg, sh.ref(vol_cell, external=True),
                            sh.ref(roll_cell, external=True), header=f("header"),
                            fmts=[f("plain", "#,##0.00")] + [f("plain", MONEY)] * 3)
            blocks[i, j] = (row, col, grid)

    sh.text("A12", "Clock after each roll (New York)")
    sh.text("A13", "Today's 0DTE options (16:00 settlement)")
    settle = dt.datetime.combine(asof_used.date(), dt.time(16, 0))
    clocks = []
    for j, roll_cell in enumerate(roll_cells):
        col = xl_col_to_name(1 + j)
        clock = asof_used + dt.timedelta(hours=sh.at(roll_cell))
        clocks.append(clock)
        sh.formula(f"{col}12", _guard(stale, f"{asof_cell}+{roll_cell}/24"), clock,
                   f("calc", DATETIME))  # fmt: skip
        sh.formula(f"{col}13", f'=IF({col}12="","",IF({col}12>=INT({asof_cell})+16/24,'
                   '"expired","still live"))',
                   "expired" if clock >= settle else "still live", f("calc"))  # fmt: skip

    # Panels: one per clock roll; rows are spot shocks, columns vol shifts.
    top = 15
    money = f("output", MONEY_BN2)
    for i, roll_cell in enumerate(roll_cells):
        col = xl_col_to_name(1 + i)
        sh.text(f"A{top}", f"Clock roll {i + 1}", "section")
        sh.formula(f"B{top}", f"={roll_cell}", sh.at(roll_cell), f("section", '"+"0.0" h"'))
        sh.formula(f"C{top}", f"={col}12", clocks[i], f("calc", DATETIME, bold=True))
        sh.formula(f"D{top}", f'=IF({col}13="","","0DTE "&{col}13)', "0DTE " + sh.at(f"{col}13"),
                   f("calc", None, bold=True, indent=1))  # fmt: skip
        sh.ws.merge_range(f"C{top + 1}:F{top + 1}", "net GEX ($ per 1% move)", f("header"))
        sh.ws.merge_range(f"H{top + 1}:K{top + 1}", "dealer hedge from spot ($; + buy, − sell)",
                          f("header"))  # fmt: skip
        head = top + 2
        sh.header_row(f"A{head}", ["spot shock", "spot"])
        for j, vol_cell in enumerate(vol_cells):
            for k in (2, 7):
                sh.formula(xl_rowcol_to_cell(head - 1, k + j), f"={vol_cell}", sh.at(vol_cell),
                           f("header", VOL_HEADER))  # fmt: skip
        first = head + 1
        centre = first + SHOCK_STEPS
        for k in range(n):
            r, offset = first + k, k - SHOCK_STEPS
            sh.formula(f"A{r}", f"={offset}*{a['step']}/100", offset * step / 100,
                       f("calc", "+0.0%;-0.0%;0.0%"))  # fmt: skip
            brow, bcol, grid = blocks[i, 0]
            src = "Workings!" + xl_rowcol_to_cell(brow + 1 + k, bcol, True, True)
            sh.formula(f"B{r}", _guard(stale, src), grid[1 + k][0], f("calc", "#,##0.00"))
            for j in range(len(vol_cells)):
                brow, bcol, grid = blocks[i, j]
                src = "Workings!" + xl_rowcol_to_cell(brow + 1 + k, bcol + 3, True, True)
                sh.formula(xl_rowcol_to_cell(r - 1, 2 + j), _guard(stale, src), grid[1 + k][3],
                           money)  # fmt: skip
        # The dealer hedge from spot to each shocked spot: trapezoid over the GEX column.
        for j in range(len(vol_cells)):
            g = [blocks[i, j][2][1 + k][3] for k in range(n)]
            hedge = [0.0] * n
            for k in range(SHOCK_STEPS - 1, -1, -1):
                hedge[k] = hedge[k + 1] + (g[k] + g[k + 1]) / 2 * step
            for k in range(SHOCK_STEPS + 1, n):
                hedge[k] = hedge[k - 1] - (g[k] + g[k - 1]) / 2 * step
            gcol, hcol = xl_col_to_name(2 + j), xl_col_to_name(7 + j)
            for k in range(n):
                r = first + k
                if r == centre:
                    formula = _guard(stale, "0")
                elif r < centre:
                    formula = _guard(stale, f"{hcol}{r + 1}+({gcol}{r}+{gcol}{r + 1})/2*{a['step']}")
                else:
                    formula = _guard(stale, f"{hcol}{r - 1}-({gcol}{r}+{gcol}{r - 1})/2*{a['step']}")
                sh.formula(f"{hcol}{r}", formula, hedge[k], f("calc", MONEY_BN2))
        if i == 0:
            chart_rows = (first, first + n - 1)
        top = first + n + 1
    sh.text(f"A{top}", "Dealer hedge ≈ what dealers trade to stay delta-neutral from spot to "
            "the shocked spot: minus the net GEX averaged along the way (trapezoid) × the move "
            "in % (GEX is $ per 1% move).", "note")  # fmt: skip

    # The flip under each vol shift and clock roll.
    top += 2
    sh.text(f"A{top}", "Gamma flip (in spot's units): =GEX_FLIP(..., vol_shift, roll_hours)",
            "section")  # fmt: skip
    head = top + 1
    sh.header_row(f"A{head}", ["clock roll"])
    for j, vol_cell in enumerate(vol_cells):
        sh.formula(xl_rowcol_to_cell(head - 1, 1 + j), f"={vol_cell}", sh.at(vol_cell),
                   f("header", VOL_HEADER))  # fmt: skip
    for i, roll_cell in enumerate(roll_cells):
        r = head + 1 + i
        sh.formula(f"A{r}", f"={roll_cell}", sh.at(roll_cell), f("calc", '"+"0.0" h"'))
        for j, vol_cell in enumerate(vol_cells):
            sh.udf(xl_rowcol_to_cell(r - 1, 1 + j), "GEX_FLIP", *base, "profile", "all",
                   sh.ref(vol_cell), sh.ref(roll_cell), fmt=f("output", "#,##0.00"))
    top = head + len(roll_cells) + 2

    # Expiration melt: the profile now and after today's 16:00 settlement.
    melt_top = top
    sh.text(f"A{top}", "Expiration melt: the profile now and after today's 0DTE options settle",
            "section")  # fmt: skip
    rows = iter(range(top + 1, top + 20))
    r = next(rows)
    melt_cell = f"$B${r}"
    sh.text(f"A{r}", "Clock roll for 'after' (hours; past 16:00 New York)")
    sh.input(f"B{r}", MELT_HOURS, "0.0", "melt roll")
    melt_stale = book.state.stale(["spot", "asof", "convention", "chain", "melt roll"])
    sh.text(f"C{r}", "from 10:30, 6 h is 16:30: after the 16:00 settlement", "note")
    r = next(rows)
    sh.text(f"A{r}", "Clock after the roll")
    sh.formula(f"B{r}", _guard(melt_stale, f"{asof_cell}+{melt_cell}/24"),
               asof_used + dt.timedelta(hours=MELT_HOURS), f("calc", DATETIME))  # fmt: skip
    r = next(rows)
    sh.text(f"A{r}", "0DTE share of gross GEX now (GEX_INFO)")
    sh.formula(f"B{r}", _guard(melt_stale, f"Workings!$B${6 + share_row}"), share_0dte,
               f("output", "0.0%"))  # fmt: skip
    r = next(rows)
    sh.text(f"A{r}", "Gamma flip now")
    (flip_now,), = sh.udf(f"B{r}", "GEX_FLIP", *base, "profile", "all", 0.0, 0.0,
                          fmt=f("output", "#,##0.00"))  # fmt: skip
    flip_now_cell = f"$B${r}"
    r = next(rows)
    sh.text(f"A{r}", "Gamma flip after")
    sh.udf(f"B{r}", "GEX_FLIP", *base, "profile", "all", 0.0, sh.ref(melt_cell),
           fmt=f("output", "#,##0.00"))  # fmt: skip
    melt_col = 4 + len(VOL_SHIFTS) * 5 + 1
    melt = {}
    for k, (name, hours, expiries) in enumerate((
        ("now", 0.0, "all"), ("after", sh.ref(melt_cell, external=True), "all"),
        ("0DTE only, now", 0.0, "0dte"),
    )):  # fmt: skip
        col = melt_col + 5 * k
        work.text(xl_rowcol_to_cell(3, col), f"melt: profile {name}", "section")
        grid = work.udf(xl_rowcol_to_cell(4, col), "GEX_PROFILE", *ext, float(MELT_LEVELS),
                        MELT_RANGE_PCT, 0.0, hours, "sticky_strike", expiries,
                        header=f("header"),
                        fmts=[f("plain", "#,##0.00")] + [f("plain", MONEY)] * 3)
        melt[name] = (col, grid)
    mid = MELT_LEVELS // 2
    for name in ("now", "after"):
        col, grid = melt[name]
        r = next(rows)
        src = "Workings!" + xl_rowcol_to_cell(5 + mid, col + 3, True, True)
        sh.text(f"A{r}", f"Net GEX at spot {name} (from the profile)")
        sh.formula(f"B{r}", _guard(melt_stale, src), grid[1 + mid][3], money)

    # The melt profiles, mirrored beside the charts (the melt chart reads these cells).
    mirror_col = 24
    sh.text(xl_rowcol_to_cell(12, mirror_col), "Expiration melt profiles: =GEX_PROFILE on the "
            "Workings sheet, read cell by cell (the melt chart plots these)", "section")
    mirrors = {}
    for k, name in enumerate(melt):
        col, grid = melt[name]
        mcol = mirror_col + 5 * k
        sh.text(xl_rowcol_to_cell(13, mcol), f"profile {name}", "output")
        sh.mirror(xl_rowcol_to_cell(14, mcol), work, xl_rowcol_to_cell(4, col), grid,
                  [f("plain", "#,##0.00")] + [f("plain", MONEY)] * 3, header=f("header"),
                  stale=melt_stale)  # fmt: skip
        mirrors[name] = (mcol, grid)

    lines = book.wb.add_chart({"type": "line"})
    colours = ("#C55A11", "#1F4E79", "#548235", "#7030A0")
    for j in range(len(vol_cells)):
        col = xl_col_to_name(2 + j)
        lines.add_series({
            "name": f"=WhatIf!${col}${chart_rows[0] - 1}",
            "categories": f"=WhatIf!$A${chart_rows[0]}:$A${chart_rows[1]}",
            "values": f"=WhatIf!${col}${chart_rows[0]}:${col}${chart_rows[1]}",
            "line": {"color": colours[j], "width": 2},
            "marker": {"type": "circle", "size": 4, "fill": {"color": colours[j]},
                       "border": {"color": colours[j]}},
        })  # fmt: skip
    lines.set_title({"name": "Net GEX by spot shock (clock roll 1), one line per vol shift",
                     "name_font": {"size": 12}})  # fmt: skip
    lines.set_x_axis({"name": "spot shock", "num_format": "+0%;-0%;0%",
                      "label_position": "low"})  # fmt: skip
    lines.set_y_axis(_money_axis())
    lines.set_legend({"position": "bottom"})
    lines.set_size({"width": 720, "height": 380})
    sh.ws.insert_chart("M15", lines)

    melt_chart = book.wb.add_chart({"type": "scatter", "subtype": "straight"})
    styles = {"now": (PROFILE_COLOUR, "solid"), "after": (FLIP_COLOUR, "solid"),
              "0DTE only, now": (SPOT_COLOUR, "dash")}  # fmt: skip
    for name, (colour, dash) in styles.items():
        col, grid = mirrors[name]
        x, y, last = xl_col_to_name(col), xl_col_to_name(col + 3), 15 + len(grid) - 1
        melt_chart.add_series({
            "name": f"net GEX {name}", "categories": f"=WhatIf!${x}$16:${x}${last}",
            "values": f"=WhatIf!${y}$16:${y}${last}",
            "line": {"color": colour, "width": 2.25, "dash_type": dash},
            "marker": {"type": "none"},
        })  # fmt: skip
    for name, (rx, ry), colour, dash in _melt_markers(sh, mirrors, flip_now_cell, flip_now):
        melt_chart.add_series({
            "name": name, "categories": rx, "values": ry, "marker": {"type": "none"},
            "line": {"color": colour, "width": 1.75, "dash_type": dash},
        })  # fmt: skip
    melt_chart.set_title({"name": "Expiration melt: GEX_PROFILE now, after the 0DTE "
                          "settlement, and the 0DTE part now", "name_font": {"size": 12}})
    now_grid = melt["now"][1]
    melt_chart.set_x_axis(_spot_axis(float(now_grid[1][0]), float(now_grid[-1][0])))
    melt_chart.set_y_axis(_money_axis())
    melt_chart.set_legend({"position": "bottom"})
    melt_chart.set_size({"width": 720, "height": 380})
    sh.ws.insert_chart(f"M{melt_top - 8}", melt_chart)

    sh.ws.set_column("A:A", 50)
    sh.ws.set_column("B:B", 24)
    sh.ws.set_column("C:F", 18)  # a clock (yyyy-mm-dd hh:mm, bold) fits
    sh.ws.set_column("G:G", 2)
    sh.ws.set_column("H:K", 16)
    sh.ws.set_column("L:L", 2)
    sh.ws.set_column("X:X", 2)
    sh.ws.set_column(mirror_col, mirror_col + 14, 12)
    sh.ws.print_area(f"A1:X{melt_top + 10}")
    sh.banner("A4", book.state.owners)
    work.ws.hide()
    work.ws.set_column("A:A", 30)
    work.ws.set_column("B:B", 40)
    work.ws.set_column("C:C", 2)
    work.ws.set_column(3, melt_col + 15, 12)
    sh.ws.activate()
    _about(book, "What-if scenarios for dealer gamma exposure: spot shocks, vol shifts, the "
           "clock, and the expiration melt of 0DTE options.", [
               "Each grid column is one =GEX_PROFILE on the Workings sheet (11 levels over spot "
               "± 5 shock steps, with that vol shift and clock roll); the flips are =GEX_FLIP "
               "with the same vol_shift and roll_hours. The WhatIf sheet reads the Workings "
               "spills with single-cell formulas, and mirrors the three melt profiles beside "
               "the charts (=IF(Workings!X6=\"\",\"\",Workings!X6)) for the melt chart.",
               "Rolling the clock past 16:00 New York drops today's PM-settled options: the "
               "'expiration melt' (gamma decay) of \"Inside the Machine\".",
               f"The bundled chain is a {label}.",
           ], [
               "\"Inside the Machine: How Market Makers Actually Hedge Gamma\" (Part 5: "
               "Failure Mode 3, volatility regime shift; Failure Mode 4, gamma decay).",
           ], libreoffice=_libreoffice_spills("Workings"))  # fmt: skip
    book.conf_sheet()
    return book.close()
