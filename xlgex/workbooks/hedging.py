"""``xlgex_hedging.xlsx``: the seed walkthroughs step by step, and a rehedge ladder."""

from __future__ import annotations

from pathlib import Path

from ..conventions import BAND_REL_TOL, ES_POINT_VALUE, MES_POINT_VALUE
from .kit import (
    HEDGES,
    PROFILE_COLOUR,
    _about,
    _Book,
    _xl_round,
)

# --------------------------------------------------------------------------- hedging

DETAIL_FORMATS = {
    "trade": "+#,##0;-#,##0;0", "target hedge": "+#,##0;-#,##0;0", "dealer delta": "#,##0",
    "option delta": "0.00##", "net delta before trade": "#,##0", "residual delta": "#,##0",
    "units per hedge": "#,##0.00##",
}  # fmt: skip
"""Number formats of HEDGE_TRADE's detail lines: deltas in whole units of underlying (a
residual of 4.5E-13 shows 0), option deltas with their decimals, trades signed."""
CHECK_WIDTH = 18
"""Width of a Check column: "xlgex not running" shows in full."""


def _walkthrough(book: _Book, name: str, spec: dict) -> None:
    """One hedging walkthrough: inputs, the steps in plain Excel and HEDGE_TRADE, checks."""
    sh, f = book.sheet(name), book.fmt
    sh.top(spec["title"],
           "Change the yellow cells: each trade is worked out in plain Excel (column H) and by "
           "=HEDGE_TRADE (column I); column J turns red if they disagree.",
           spec["source"])  # fmt: skip
    sh.text("A5", "Inputs", "section")
    addr = sh.input_rows(6, spec["inputs"], watch_as=f"{name}!{{}}".format,
                         choices={"hedge": HEDGES}, computed=("units",))  # fmt: skip
    formula, units = _units(sh, addr)
    sh.formula(addr["units"].replace("$", ""), formula, units, f("calc", "#,##0.00"))
    row = 6 + len(spec["inputs"])
    v = {key: sh.at(cell) for key, cell in addr.items()}
    row = spec["facts"](sh, row, addr, v)

    top = row + 1
    sh.text(f"A{top}", "Steps", "section")
    head = top + 1
    move_label = spec["move_label"]
    sh.header_row(f"A{head}", [
        "Step", "What happens", move_label, "Option delta now (per option)",
        "Dealer delta (units of underlying)", "Hedge held before (hedge units, plain Excel)",
        "Net delta before the trade", "Trade, plain Excel (hedge units; + buy, − sell)",
        "Trade, xlgex =HEDGE_TRADE (hedge units)", "Check", "Hedge held after (plain Excel)",
        "The document says",
    ])  # fmt: skip
    sh.ws.set_row(head - 1, 62)  # four lines of header text
    first = head + 1
    details = []
    for i, step in enumerate(spec["steps"]):
        r = first + i
        sh.text(f"A{r}", step["label"])
        sh.text(f"B{r}", step["what"])
        delta_arg = spec["step_cells"](sh, r, addr, v, step)
        delta_now = sh.at(f"D{r}")
        position = v["contracts"] * delta_now * v["multiplier"]
        sh.formula(f"E{r}", f"={addr['contracts']}*D{r}*{addr['multiplier']}", position,
                   f("calc", "#,##0;-#,##0;0"))  # fmt: skip
        if step["held_from"] is None:
            held = sh.put(f"F{r}", 0.0, f("calc", "#,##0;-#,##0;0"))
        else:
            src = f"$K${first + step['held_from']}"
            held = sh.formula(f"F{r}", f"={src}", sh.at(src), f("calc", "#,##0;-#,##0;0"))
        sh.formula(f"G{r}", f"=E{r}+F{r}*{addr['units']}", position + held * v["units"],
                   f("calc", "#,##0;-#,##0;0"))  # fmt: skip
        plain = _xl_round(-position / v["units"]) - held
        sh.formula(f"H{r}", f"=ROUND(-E{r}/{addr['units']},0)-F{r}", plain,
                   f("output", "+#,##0;-#,##0;0"))  # fmt: skip
        args, detail_args = spec["trade_args"](sh, r, addr, delta_arg)
        (trade,), = sh.udf(f"I{r}", "HEDGE_TRADE", *args, fmt=f("output", "+#,##0;-#,##0;0"))
        ok = "OK" if isinstance(trade, float) and abs(plain - trade) < 1e-9 else "MISMATCH"
        sh.check(f"J{r}", f"H{r}", f"I{r}", ok)
        sh.formula(f"K{r}", f"=F{r}+H{r}", held + plain, f("calc", "#,##0;-#,##0;0"))
        sh.text(f"L{r}", step["doc"], "note")
        details.append((step["label"], detail_args))
    last = first + len(spec["steps"]) - 1
    sh.check_formats(f"J{first}:J{last}")

    sh.text(f"A{last + 1}", "Hedge held before a step is the plain-Excel hedge after the step it "
            "starts from, so the plain columns never need xlgex.", "note")
    sh.text(f"A{last + 2}", spec["footnote"], "note")
    if spec.get("slip"):
        sh.text(f"A{last + 3}", spec["slip"], "note")
    row = last + 5
    sh.text(f"A{row}", "The same trades with =HEDGE_TRADE(..., details TRUE): the whole "
            "decision, one line per cell (=INDEX(HEDGE_TRADE(..., TRUE), line, 2))",
            "section")  # fmt: skip
    for label, args in details:
        sh.text(f"A{row + 1}", f"Step {label}", "header")
        grid = sh.udf_cells(f"A{row + 2}", "HEDGE_TRADE", *args, text_cols=1,
                            fmts=[f("label"), f("output", "General", align="right")],
                            row_fmts={label: f("output", fmt) for label, fmt in
                                      DETAIL_FORMATS.items()})  # fmt: skip
        row += len(grid) + 2
    sh.ws.print_area(f"A1:L{row}")
    sh.banner("A4")
    sh.ws.set_column("A:A", 46)
    sh.ws.set_column("B:B", 46)
    sh.ws.set_column("C:C", 16)
    sh.ws.set_column("D:K", 14)
    sh.ws.set_column("J:J", CHECK_WIDTH)  # "xlgex not running" in full
    sh.ws.set_column("L:L", 46)
    sh.ws.freeze_panes(head, 0)


def _units(sh, addr) -> tuple[str, float]:
    """Underlying units per hedge unit: shares 1; on SPX, ES 50 and MES 5 index units; on any
    other underlying (an ``index_level`` input), ES and MES by notional: point value × S&P 500
    level / the underlying's price (one ES ≈ 500 SPY shares)."""
    hedge = addr["hedge"]
    if "index_level" not in addr:
        units = HEDGES[sh.at(hedge)]
        return f'=IF({hedge}="ES",{ES_POINT_VALUE:g},IF({hedge}="MES",{MES_POINT_VALUE:g},1))', units
    level, spot = addr["index_level"], addr["spot"]
    notional = sh.at(level) / sh.at(spot)
    units = {"ES": ES_POINT_VALUE * notional, "MES": MES_POINT_VALUE * notional}.get(
        sh.at(hedge), 1.0)
    return (f'=IF({hedge}="ES",{ES_POINT_VALUE:g}*{level}/{spot},'
            f'IF({hedge}="MES",{MES_POINT_VALUE:g}*{level}/{spot},1))'), units


def _spx_spec(kind: str) -> dict:
    """The two SPX walkthroughs of "How To Interpret Periscope Net Gamma Exposure"."""
    short = kind == "short"
    contracts, delta, gamma, spot = (-200, -0.25, 0.01, 5875) if short else (50, 0.40, 0.02, 5975)
    option = "SPX 5700P" if short else "SPX 6050C"
    if short:
        docs = ["sell 100 ES (dealer delta +5,000)",
                "sell 4 more ES (delta −0.26, dealer delta +5,200)",
                "buy back 4 ES (delta −0.24, dealer delta +4,800)"]  # fmt: skip
    else:
        docs = ["sell 40 ES (dealer delta +2,000)",
                "buy back 2 ES (delta +0.38, dealer delta +1,900)",
                "sell 2 more ES (delta +0.42, dealer delta +2,100)"]  # fmt: skip

    def facts(sh, row, addr, v):
        f = sh.book.fmt
        sh.text(f"A{row}", "Dealer gamma (units of underlying per 1.00 move)")
        gamma_units = v["contracts"] * v["gamma"] * v["multiplier"]
        sh.formula(f"B{row}", f"={addr['contracts']}*{addr['gamma']}*{addr['multiplier']}",
                   gamma_units, f("calc", "#,##0;-#,##0;0"))  # fmt: skip
        text = ("short gamma: the hedge trades WITH the move (amplifies)" if gamma_units < 0
                else "long gamma: the hedge trades AGAINST the move (dampens)")  # fmt: skip
        sh.formula(f"C{row}", f'=IF(B{row}<0,"short gamma: the hedge trades WITH the move '
                   f'(amplifies)","long gamma: the hedge trades AGAINST the move (dampens)")',
                   text, f("output"))  # fmt: skip
        return row + 1

    def step_cells(sh, r, addr, v, step):
        f = sh.book.fmt
        sh.input(f"C{r}", step["move"], "+0.00;-0.00;0", f"{sh.name}!step {step['label']} move")
        value = v["delta"] + v["gamma"] * step["move"]
        sh.formula(f"D{r}", f"={addr['delta']}+{addr['gamma']}*C{r}", value, f("calc", "0.00"))
        return None

    def trade_args(sh, r, addr, _):
        common = [sh.ref(addr["contracts"]), sh.ref(addr["delta"]), sh.ref(addr["multiplier"]),
                  sh.ref(addr["hedge"]), sh.ref(f"F{r}"), sh.ref(addr["gamma"]),
                  sh.ref(f"C{r}")]  # fmt: skip
        return common, [*common, 0.0, "", True]

    role = "short 200 (the customer bought them)" if short else "long 50 (the customer sold them)"
    return {
        "title": f"{option}: dealer {role}, hedged with ES — "
                 f"{'short' if short else 'long'} gamma",
        "source": "Source: Unusual Whales, \"How To Interpret Periscope Net Gamma Exposure\", "
                  f"Delta Hedging: {'Negative' if short else 'Positive'} Gamma.",
        "inputs": [
            ("contracts", "Dealer position (contracts; + long, − short)", float(contracts),
             "+#,##0;-#,##0", "signed: −200 = the dealer sold 200" if short
             else "signed: +50 = the dealer bought 50"),
            ("delta", "Option delta at the start (per option)", delta, "+0.00;-0.00", None),
            ("gamma", "Option gamma (delta change per 1.00 SPX move)", gamma, "0.000", None),
            ("multiplier", "Contract multiplier (index units per contract)", 100.0, "0", None),
            ("hedge", "Hedge instrument", "ES", None, "ES = $50 per SPX point, MES $5"),
            ("units", "Index units per hedge unit", None, None, "from the instrument: ES 50, "
             "MES 5, shares 1"),
            ("spot", "SPX at the start", float(spot), "#,##0.00", "for reference"),
        ],
        "facts": facts,
        "move_label": "SPX move (points)",
        "steps": [
            {"label": "1", "what": f"Dealer {'sells' if short else 'buys'} the {option}s and "
             "hedges from flat", "move": 0.0, "held_from": None, "doc": docs[0]},
            {"label": "2a", "what": "SPX falls 1 point (from the step-1 book)", "move": -1.0,
             "held_from": 0, "doc": docs[1]},
            {"label": "2b", "what": "SPX rises 1 point instead (from the step-1 book)",
             "move": 1.0, "held_from": 0, "doc": docs[2]},
        ],
        "step_cells": step_cells,
        "trade_args": trade_args,
        "footnote": "Delta after a move = delta + gamma × move (the document's linear step); "
                    "HEDGE_TRADE gets gamma and the move and does the same. Trades are whole "
                    "ES contracts, halves rounded away from zero.",
        "slip": None if short else (
            "Note: one line of the document says the dealer's inventory is \"long 200\" of the "
            "6050Cs. That is a slip: the customer sold 50 contracts and every number after it "
            "(+2,000 delta, 40 ES) uses 50, as this sheet does."
        ),
    }  # fmt: skip


def _spy_spec() -> dict:
    """Part 1 of "Inside the Machine": SPY 450C sold to a customer, hedged with shares."""

    def facts(sh, row, addr, v):
        f = sh.book.fmt
        sh.text(f"A{row}", "Implied gamma (per $1, from the two deltas)")
        gamma = (v["delta_after"] - v["delta"]) / (v["spot_after"] - v["spot"])
        sh.formula(f"B{row}", f"=({addr['delta_after']}-{addr['delta']})/"
                   f"({addr['spot_after']}-{addr['spot']})", gamma, f("calc", "0.000"))
        sh.text(f"C{row}", "the Rehedge ladder sheet has its own gamma input (0.05, as here)", "note")
        return row + 1

    def step_cells(sh, r, addr, v, step):
        f = sh.book.fmt
        src = addr[step["spot_key"]]
        sh.formula(f"C{r}", f"={src}", v[step["spot_key"]], f("calc", "#,##0.00"))
        src = addr[step["delta_key"]]
        sh.formula(f"D{r}", f"={src}", v[step["delta_key"]], f("calc", "0.00"))
        return sh.ref(f"D{r}")

    def trade_args(sh, r, addr, delta_arg):
        common = [sh.ref(addr["contracts"]), delta_arg, sh.ref(addr["multiplier"]),
                  sh.ref(addr["hedge"]), sh.ref(f"F{r}")]  # fmt: skip
        sizing = [sh.ref(addr["spot"]), sh.ref(addr["index_level"])]
        return ([*common, "", 0.0, 0.0, "", False, *sizing],
                [*common, "", 0.0, 0.0, "", True, *sizing])

    return {
        "title": "SPY 450C: dealer short 100 calls, hedged with shares",
        "source": "Source: \"Inside the Machine: How Market Makers Actually Hedge Gamma\", "
                  "Part 1: The Delta-Neutral Imperative.",
        "inputs": [
            ("contracts", "Dealer position (contracts; + long, − short)", -100.0,
             "+#,##0;-#,##0", "a customer bought 100 calls, so the dealer is short 100"),
            ("delta", "Call delta at the sale (per option)", 0.35, "0.00", None),
            ("delta_after", "Call delta after the rally", 0.50, "0.00", None),
            ("multiplier", "Contract multiplier (shares per contract)", 100.0, "0", None),
            ("hedge", "Hedge instrument", "shares", None, "shares, or ES/MES sized by notional"),
            ("units", "Shares per hedge unit", None, None, "shares 1; ES 50 × index level / "
             "SPY at the sale (≈ 500), MES a tenth"),
            ("spot", "SPY at the sale ($)", 445.0, "#,##0.00", "sizes ES/MES with the index level"),
            ("index_level", "S&P 500 index level", 4450.0, "#,##0.00", "for ES/MES: one ES "
             "is $50 × this level"),
            ("spot_after", "SPY two days later ($)", 448.0, "#,##0.00", None),
        ],
        "facts": facts,
        "move_label": "SPY price ($)",
        "steps": [
            {"label": "1", "what": "Dealer sells 100 calls and hedges from flat",
             "spot_key": "spot", "delta_key": "delta", "held_from": None,
             "doc": "buy 3,500 shares (dealer delta −3,500)"},
            {"label": "2", "what": "SPY rallies to $448; delta 0.35 → 0.50",
             "spot_key": "spot_after", "delta_key": "delta_after", "held_from": 0,
             "doc": "net delta −1,500: buy another 1,500 shares"},
        ],
        "step_cells": step_cells,
        "trade_args": trade_args,
        "footnote": "The document gives the delta after the rally (0.50) directly, so both "
                    "steps pass the current delta to HEDGE_TRADE; a short-call dealer buys as "
                    "SPY rises (short gamma).",
    }  # fmt: skip


LADDER_PATH = (445.0, 445.5, 446.0, 446.5, 447.0, 447.5, 448.0, 447.0, 446.0, 445.5, 445.0,
               444.0, 443.0, 442.0)  # fmt: skip
"""Spot path of the rehedge ladder: a rally through $448 and back down."""


def _ladder(book: _Book) -> None:
    """A rehedge ladder with a band ("Inside the Machine", Part 4) and its plain-Excel twin."""
    sh, f = book.sheet("Rehedge ladder"), book.fmt
    sh.top("Rehedge ladder with a tolerance band: dealer short 100 SPY 450C",
           "Change the yellow cells: the position, the band, and the spot path in column B "
           "(blank cells at the end of the path are skipped).",
           "Source: \"Inside the Machine: How Market Makers Actually Hedge Gamma\", Part 4 "
           "(tolerance bands) with the Part 1 position.")  # fmt: skip
    sh.text("A5", "Inputs", "section")
    inputs = [
        ("contracts", "Dealer position (contracts; + long, − short)", -100.0, "+#,##0;-#,##0",
         None),
        ("delta", "Call delta at step 0 (per option)", 0.35, "0.00", None),
        ("gamma", "Call gamma (delta change per $1)", 0.05, "0.000",
         "0.35 → 0.50 from $445 to $448, as in Part 1"),
        ("multiplier", "Contract multiplier (shares per contract)", 100.0, "0", None),
        ("hedge", "Hedge instrument", "shares", None, None),
        ("units", "Shares per hedge unit", None, None, "shares 1; ES 50 × index level / first "
         "spot of the path, MES a tenth"),
        ("band", "Band (shares): trade only when |net delta| > band", 1000.0, "#,##0",
         "Part 4: a normal band is ±1,000–2,000 delta"),
        ("index_level", "S&P 500 index level (sizes ES/MES)", 4450.0, "#,##0.00",
         "one ES is $50 × this level"),
    ]  # fmt: skip
    a = sh.input_rows(6, inputs, watch_as="ladder {}".format, choices={"hedge": HEDGES},
                      computed=("units",))  # fmt: skip
    v = {key: sh.at(cell) for key, cell in a.items() if key != "units"}

    sh.text("A14", "Ladder: =HEDGE_LADDER in C:K (one =INDEX(HEDGE_LADDER(...), row, column) "
            "per cell), the same decisions in plain Excel in M:R", "section")  # fmt: skip
    head, first = 15, 16
    last = first + len(LADDER_PATH) - 1
    sh.text(f"A{head}", "Spot path (edit the yellow cells) →", "header")
    sh.text(f"B{head}", "spot", "header")
    for i, spot in enumerate(LADDER_PATH):
        sh.put(f"A{first + i}", float(i), f("label", '"step "0'))  # the chart's categories
        sh.input(f"B{first + i}", spot, "#,##0.00", f"ladder spot {i}")
    formula, v["units"] = _units(sh, {**a, "spot": f"$B${first}"})
    sh.formula(a["units"].replace("$", ""), formula, v["units"], f("calc", "#,##0.00"))
    path = f"$B${first}:$B${last}"
    money = f("calc", "+#,##0;-#,##0;0")
    # Row 1 of the result is its header (plain text here); a blank spot blanks its row.
    ladder = sh.udf_cells(
        f"C{head}", "HEDGE_LADDER", sh.ref(a["contracts"]), sh.column(path), sh.ref(a["delta"]),
        sh.ref(a["gamma"]), "", "", "", "", sh.ref(a["multiplier"]), sh.ref(a["hedge"]),
        sh.ref(a["band"]), "", "", sh.ref(f"$B${first}"), sh.ref(a["index_level"]),
        fmts=[f("calc", "0"), f("calc", "#,##0.00"), f("calc", "0.000"), money,
              f("output", "+#,##0;-#,##0;0"), money, f("calc"), money, money],
        header=f("header"), text_rows=1, blank_if="$B",
    )  # fmt: skip

    sh.header_row(f"M{head}", ["option delta", "position delta", "net delta before",
                               "trade, plain Excel", "hedge held", "check vs ladder"])  # fmt: skip
    held = 0.0
    for i in range(len(LADDER_PATH)):
        r = first + i
        spot = sh.at(f"B{r}")
        delta = max(-1.0, min(1.0, v["delta"] + v["gamma"] * (spot - LADDER_PATH[0])))
        sh.formula(f"M{r}", f'=IF(B{r}="","",MAX(-1,MIN(1,{a["delta"]}+{a["gamma"]}*'
                   f"(B{r}-$B${first}))))", delta, f("calc", "0.000"))  # fmt: skip
        position = v["contracts"] * delta * v["multiplier"]
        sh.formula(f"N{r}", f'=IF(B{r}="","",{a["contracts"]}*M{r}*{a["multiplier"]})',
                   position, money)  # fmt: skip
        before = position + held * v["units"]
        prev = "0" if i == 0 else f"Q{r - 1}"
        sh.formula(f"O{r}", f'=IF(B{r}="","",N{r}+{prev}*{a["units"]})', before, money)
        outside = abs(before) > v["band"] * (1 + BAND_REL_TOL)  # the band rule of the core
        trade = _xl_round(-position / v["units"]) - held if outside else 0.0
        sh.formula(f"P{r}", f'=IF(B{r}="","",IF(ABS(O{r})>{a["band"]}*(1+1E-9),'
                   f'ROUND(-N{r}/{a["units"]},0)-{prev},0))', trade,
                   f("output", "+#,##0;-#,##0;0"))  # fmt: skip
        held += trade
        sh.formula(f"Q{r}", f'=IF(B{r}="","",{prev}+P{r})', held, money)
        ok = "OK" if abs(ladder[i + 1][4] - trade) < 1e-9 else "MISMATCH"
        sh.check(f"R{r}", f"P{r}", f"G{r}", ok, blank_if=f"B{r}")
    sh.check_formats(f"R{first}:R{last}")
    sh.text(f"A{last + 2}", "Each step: delta = delta0 + gamma × (spot − spot0), kept within "
            "±1; position delta = contracts × delta × multiplier; net delta before = position "
            "+ hedge carried in; trade to neutral only when |net| > band.", "note")
    sh.text(f"A{last + 3}", "P&L columns: the hedge's P&L and the gamma P&L (½ Γ dS² per step; "
            "negative for a short-gamma book on every move), $ cumulative.", "note")

    chart = book.wb.add_chart({"type": "column"})
    chart.add_series({
        "name": "hedge held (hedge units, plain Excel)",
        "categories": f"='{sh.name}'!$A${first}:$A${last}",
        "values": f"='{sh.name}'!$Q${first}:$Q${last}",
        "fill": {"color": "#9DC3E6"}, "gap": 60,
    })  # fmt: skip
    line = book.wb.add_chart({"type": "line"})
    line.add_series({
        "name": "SPY ($)", "values": f"='{sh.name}'!$B${first}:$B${last}", "y2_axis": True,
        "line": {"color": PROFILE_COLOUR, "width": 2.25}, "marker": {"type": "circle"},
    })  # fmt: skip
    chart.combine(line)
    chart.set_title({"name": "The band at work: hedge held (bars) as SPY moves (line)",
                     "name_font": {"size": 12}})  # fmt: skip
    chart.set_x_axis({"name": "step", "num_format": "0"})
    chart.set_y_axis({"name": "hedge held", "num_format": "#,##0"})
    line.set_y2_axis({"name": "SPY ($)", "num_format": "0.0"})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 900, "height": 320})
    sh.ws.insert_chart(f"A{last + 5}", chart)
    sh.ws.set_column("A:A", 44)
    sh.ws.set_column("B:B", 10)
    sh.ws.set_column("C:K", 12)
    sh.ws.set_column("L:L", 2)
    sh.ws.set_column("M:Q", 13)
    sh.ws.set_column("R:R", CHECK_WIDTH)
    sh.ws.set_row(head - 1, 32)
    sh.ws.print_area(f"A1:R{last + 22}")
    sh.banner("A4")


def build_hedging(path, *, inputs=None) -> Path:
    """``xlgex_hedging.xlsx``: the seed walkthroughs step by step, and a rehedge ladder."""
    book = _Book(path, "xlgex: delta-hedging walkthroughs",
                 "Dealer delta hedges step by step: plain Excel beside HEDGE_TRADE",
                 inputs=inputs)  # fmt: skip
    _walkthrough(book, "SPY 450C shares", _spy_spec())
    _walkthrough(book, "SPX 5700P short gamma", _spx_spec("short"))
    _walkthrough(book, "SPX 6050C long gamma", _spx_spec("long"))
    _ladder(book)
    _about(book, "Delta-hedging walkthroughs: what a dealer trades after a fill and after each "
           "move, in plain Excel and with xlgex's HEDGE_TRADE and HEDGE_LADDER.", [
               "Signs: the dealer's position is signed (+ long, − short contracts); trades are "
               "+ buy, − sell, in hedge units: shares; on SPX, ES at 50 and MES at 5 index units "
               "each; on SPY, ES and MES sized by notional (shares × SPY price / ($50 × S&P 500 "
               "level); one ES ≈ 500 SPY shares).",
               "Short gamma (dealer sold options): the hedge trades with the move and amplifies "
               "it. Long gamma: the hedge trades against the move and dampens it.",
           ], [
               "\"Inside the Machine: How Market Makers Actually Hedge Gamma\" (Parts 1 and 4).",
               "Unusual Whales, \"How To Interpret Periscope Net Gamma Exposure\" (Delta "
               "Hedging: Negative Gamma, Positive Gamma).",
           ], libreoffice="LibreOffice opens this workbook with its stored values: it has no "
           "array formulas (LibreOffice recalculates those on open), as the HEDGE_TRADE details "
           "and the HEDGE_LADDER table are read one cell at a time with =INDEX(...). LibreOffice "
           "cannot call xlwings functions: once you change an input there, the xlgex cells that "
           "depend on it turn blank (never a stale number or #NAME?), Check says 'xlgex not "
           "running', and a red line at the top of the sheet says so. The plain-Excel columns "
           "never read an xlgex cell, so they keep working.")  # fmt: skip
    book.conf_sheet()
    return book.close()
