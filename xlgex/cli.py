"""The ``xlgex`` command: ``demo``, ``report``, ``workbooks`` and ``lite``.

User errors end the command with exit status 2 and one line on stderr that names the
command-line flag to change (``--spot``, ``--iv-unit``, ``--force``), never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import __version__
from .conventions import CONVENTIONS, DEFAULT_CONVENTION
from .errors import XlgexError
from .files import check_output, replace_atomically

__all__ = ["main"]

_FLAGS = {
    "spot": "--spot", "asof": "--asof", "iv_unit": "--iv-unit", "convention": "--convention",
    "gamma_source": "--gamma-source", "preset": "--preset", "expiries": "--expiries",
    "force": "--force",
}  # fmt: skip
"""Python argument names in the API's messages, and the flag a command-line user sets instead."""

_SOURCES = {"file": "from the file", "column": "from the file", "argument": "as given",
            "now": "now: the file has no quote time"}
"""Where a chain's spot or as-of came from, in words."""

_INDEX_ROOTS = re.compile(r"(?<![A-Za-z])(?:SPXW?|SPXPM|NDXP?|RUTW?|MRUT|XSP|DJX|OEX|XEO|VIXW?)"
                          r"(?=[\s,;\"'_]|\d{6}[CP])|\bIndex\b")  # fmt: skip
"""Option roots of indexes, or the word Index, in the start of a chain file: prices in points."""


def as_flags(message: str) -> str:
    """An API message in command-line terms: ``give spot=`` -> ``give --spot``.

    ``iv_unit='percent'`` -> ``--iv-unit percent``, ``force=True`` -> ``--force``,
    ``convention 'signed'`` -> ``--convention signed``; the subject of a message
    (``xlgex: spot -1 must be > 0``) becomes the flag too.
    """
    message = message.replace(" (force=True)", "")
    for name, flag in _FLAGS.items():
        message = re.sub(rf"\b{name}=(['\"]?)([^'\"\s,;)]*)\1",
                         lambda m, f=flag: f if m[2] in ("", "True") else f"{f} {m[2]}", message)
        message = re.sub(rf"\b{name} '([^']*)'", rf"{flag} \1", message)
        message = re.sub(rf"^xlgex: ((?:[^:]*: )?){name}\b", rf"xlgex: \g<1>{flag}", message)
    return message


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``xlgex: argument --spot: invalid number: 'x'``."""

    def error(self, message):
        if message.endswith("required: command"):  # `xlgex` alone
            commands = self._subparsers._group_actions[0].choices
            message = "choose a command: " + ", ".join(commands)
        self.exit(2, f"xlgex: {message} (see '{self.prog} --help')\n")

    def parse_args(self, args=None, namespace=None):
        """An unknown option is reported by the command it was given to: ``see 'xlgex demo
        --help'``, where that command's options are listed."""
        args, extra = self.parse_known_args(args, namespace)
        if extra:
            command = self._subparsers._group_actions[0].choices.get(args.command, self)
            command.error(f"unrecognized arguments: {' '.join(extra)}")
        return args


def _number(text: str) -> float:
    """A finite number from the command line; ``4,500.53`` is fine, ``4.500,53`` is not."""
    plain = text.replace(",", "") if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", text) else text
    try:
        value = float(plain)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not np.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
    return value


# -- printing ------------------------------------------------------------------------------
def _money(x: float) -> str:
    """$ amounts for a terminal: +$1.23bn, -$45.6m."""
    if not np.isfinite(x):
        return "n/a"
    sign = "-" if x < 0 else "+"
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= size:
            return f"{sign}${abs(x) / size:,.2f}{suffix}"
    return f"{sign}${abs(x):,.0f}"


def _level(x: float, unit: str) -> str:
    """A price level with its unit: ``445.20 $`` or ``3,850.00 index points``."""
    if x is None or not np.isfinite(x):
        return "none"
    return f"${x:,.2f}" if unit == "$" else f"{x:,.2f} {unit}"


def _price_unit(path: Path | None) -> str:
    """The unit of prices in a chain file: ``"index points"`` for an index (SPX, NDX, RUT, ...),
    ``"$"`` for a stock or ETF, ``"spot units"`` when a binary file (xlsx, Parquet) hides it."""
    if path is None:
        return "index points"  # the bundled sample is SPX-like
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError:
        return "spot units"
    if head.startswith((b"PK\x03\x04", b"PAR1")):
        return "spot units"
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    text = head.decode("utf-16", errors="replace") if utf16 else head.decode("latin-1")
    return "index points" if _INDEX_ROOTS.search(text) else "$"


def _share(x: float) -> str:
    """A share as a percentage: exactly 0 or 1 as they are; a nonzero share that would show
    as 0.0% is "<0.1%", and one short of 1 that would show as 100.0% is ">99.9%"."""
    if 0 < x < 0.0005:
        return "<0.1%"
    if 0.9995 <= x < 1:
        return ">99.9%"
    return f"{x:.1%}"


def _print_greeks() -> None:
    from .core.greeks import greeks

    # Hull, Options, Futures and Other Derivatives: the 20-week call (price 2.40, delta 0.522,
    # gamma 0.066, vega 0.121 per 1%, theta -0.0118 per calendar day, rho 0.0891 per 1%).
    g = {k: float(v) for k, v in greeks(spot=49.0, strike=50.0, t_years=0.3846, vol=0.20,
                                        rate=0.05).items()}  # fmt: skip
    print("Example option: call S=$49, K=$50, T=20 weeks, vol 20%, r 5%")
    print(f"  price ${g['price']:.4f}; delta {g['delta']:.4f}; gamma {g['gamma']:.4f} per $1 move; "
          f"vega ${g['vega'] / 100:.4f} per vol point")  # fmt: skip
    theta = g["theta"] / 365
    print(f"  theta {'-' if theta < 0 else '+'}${abs(theta):.4f} per calendar day; "
          f"rho ${g['rho'] / 100:.4f} per 1% of rate; "
          f"vanna {g['vanna'] / 100:+.4f} delta per vol point; charm {g['charm'] / 365:+.5f} "
          f"delta per day")  # fmt: skip


def _print_walkthrough() -> None:
    from .hedging import hedge_trade

    print("\nHedging walkthrough (How To Interpret Periscope Net Gamma Exposure):")
    print("  Dealer short 200 SPX 5700P, delta -0.25, gamma 0.01, hedged with ES ($50/pt)")
    first = hedge_trade(-200, -0.25, hedge="ES")
    print(f"  dealer delta {first['position_delta']:+,.0f} SPX units -> trade {first['trade']:+.0f} ES")
    for move in (-1.0, +1.0):
        step = hedge_trade(-200, -0.25, hedge="ES", current_hedge=first["target"],
                           gamma=0.01, spot_move=move)  # fmt: skip
        print(f"  SPX {move:+.0f} point: delta {step['option_delta']:+.2f}, dealer delta "
              f"{step['position_delta']:+,.0f} SPX units -> trade {step['trade']:+.0f} ES "
              f"(short gamma trades with the move)")  # fmt: skip


def _print_coverage(cov: dict, chain, iv_auto: bool) -> None:
    """Contracts read, priced (the "contracts used" of every figure) and excluded, with OI shares."""
    oi_share = cov["oi_priced"] / cov["oi_read"] if cov["oi_read"] else 0.0
    used = f" (priced, behind every figure below: {_share(oi_share)} of open interest)" if oi_share else ""
    print(f"  contracts read {cov['contracts_read']:,}; contracts used {cov['contracts_priced']:,}{used}")
    texts = {"expired": "expired at the as-of", "filtered": f"outside --expiries {cov['expiries_text']}",
             "no_iv": "without IV", "no_gamma": "without the file's gamma"}  # fmt: skip
    shares = cov["excluded_oi_share"]
    parts = [f"{n:,} {texts.get(why, why)} ({_share(shares[why])} of open interest)"
             for why, n in cov["excluded"].items() if n]  # fmt: skip
    print(f"  excluded: {'; '.join(parts) if parts else 'none'}")
    dropped = {k: v for k, v in cov.get("reader_dropped", {}).items() if v}
    if dropped:
        print("  rows skipped when reading: "
              + "; ".join(f"{n:,} {k} {'row' if n == 1 else 'rows'}" for k, n in dropped.items()))
    inferred = " (inferred from the median IV)" if iv_auto else ""
    gamma = ("the file's Gamma column" if cov["gamma_source"] == "chain"
             else "model, Black-Scholes from each IV")  # fmt: skip
    print(f"  IV unit: {chain.diagnostics.iv_unit}{inferred}; gamma: {gamma}")
    d = chain.diagnostics
    print(f"  IVs filled: {d.iv_solved:,} from the contract's bid/ask mid, {d.iv_other_side:,} from "
          "the other side of the strike (--no-iv-from-quotes leaves them blank)")  # fmt: skip


def _top_strikes(chain, s, by_strike, unit: str) -> None:
    """The five strikes of largest |net GEX|; a side with no priced contract shows ``none``."""
    from .gex import gex_by_contract

    priced = gex_by_contract(chain, settings=s)
    has = {True: set(priced.loc[priced["is_call"], "strike"]),
           False: set(priced.loc[~priced["is_call"], "strike"])}  # fmt: skip
    top = by_strike.reindex(by_strike["net_gex"].abs().sort_values(ascending=False).index)[:5]
    print(f"  top strikes by |net GEX| (strikes in {unit}; GEX in $ per 1% move; "
          "'none': no priced contract on that side):")
    print(f"    {'strike':>10}  {'call':>10}  {'put':>10}  {'net':>10}")
    for row in top.itertuples():
        call = _money(row.call_gex) if row.strike in has[True] else "none"
        put = _money(row.put_gex) if row.strike in has[False] else "none"
        print(f"    {row.strike:>10,.2f}  {call:>10}  {put:>10}  {_money(row.net_gex):>10}")


def _flip_text(flip, unit: str) -> str:
    """``$313.37: 1 crossing between $248.54 and $372.82; ...`` or, with none, the reason
    alone (``no flip: ...``); the searched window's bounds carry the price unit."""
    reason = flip.reason
    low, high = flip.info.get("grid_low"), flip.info.get("grid_high")
    if low is not None and high is not None:  # the window, "A to B" or "A and B", once
        low_text, high_text = (re.escape(f"{x:,.2f}") for x in (low, high))
        window = re.compile(rf"(?<![\d,.]){low_text}( to | and ){high_text}(?![\d.])")

        def shown(match) -> str:  # "$3.00 to $5.00", "3,600.00 to 4,400.00 index points"
            if unit == "$":
                return f"{_level(low, unit)}{match[1]}{_level(high, unit)}"
            return f"{match[0]} {unit}"

        reason = window.sub(shown, reason, count=1)
    return f"{_level(flip, unit)}: {reason}" if np.isfinite(flip) else reason


def _print_gex(chain, label: str, s, unit: str, iv_auto: bool = False) -> None:
    """The GEX summary of ``chain``; everything is computed before the first line is printed,
    so a chain with nothing to price gives one error line, not half a summary."""
    from .flip import gamma_flip
    from .gex import coverage, gex_by_strike
    from .regime import classify_regime

    cov = coverage(chain, settings=s)
    by_strike = gex_by_strike(chain, settings=s)
    regime = classify_regime(chain, settings=s)
    flip = gamma_flip(chain, settings=s)
    f = regime.facts
    d = chain.diagnostics
    print(f"GEX summary: {label}")
    print(f"  spot {_level(chain.spot, unit)} ({_SOURCES.get(d.spot_source, d.spot_source)}), as of "
          f"{chain.asof:%Y-%m-%d %H:%M} New York ({_SOURCES.get(d.asof_source, d.asof_source)})")
    _print_coverage(cov, chain, iv_auto)
    preset = f" (preset {s.preset})" if s.preset else ""
    print(f"  convention {s.convention}{preset}: {CONVENTIONS[s.convention]}")
    _top_strikes(chain, s, by_strike, unit)
    print(f"  net GEX at spot {_money(f['net_gex'])} per 1% move; 0DTE share "
          f"{_share(f['share_0dte'])} of gross |GEX|")  # fmt: skip
    print(f"  gamma flip {_flip_text(flip, unit)}")
    if len(flip.crossings) > 1:
        print("    crossings: " + ", ".join(_level(c, unit) for c in flip.crossings))
    print(f"  call wall {_level(f['call_wall'], unit)}, put wall {_level(f['put_wall'], unit)}, "
          f"abs-gamma strike {_level(f['abs_gamma_strike'], unit)}")  # fmt: skip
    print(f"  regime: {regime.label}")
    print(f"          {regime.description}")


# -- commands ------------------------------------------------------------------------------
def _settings(args):
    from .gex import gex_settings

    if args.preset:
        fixed = {"--convention": (args.convention, DEFAULT_CONVENTION),
                 "--gamma-source": (args.gamma_source, "chain")}  # fmt: skip
        for flag, (given, rule) in fixed.items():
            if given not in (None, rule):
                raise XlgexError(f"xlgex: --preset {args.preset} uses {flag} {rule}; drop {flag} {given}")
    return gex_settings(convention=args.convention or DEFAULT_CONVENTION, gamma_source=args.gamma_source,
                        expiries=args.expiries, preset=args.preset)  # fmt: skip


def _read(path, args):
    from .readers import read_chain

    return read_chain(Path(path), spot=args.spot, asof=args.asof, iv_unit=args.iv_unit,
                      sheet=args.sheet, iv_from_quotes=not args.no_iv_from_quotes)  # fmt: skip


def _write_report(chain, out: Path, title: str, s, price_unit: str) -> None:
    from .report import write_report

    with replace_atomically(out) as tmp:
        write_report(chain, tmp, settings=s, title=title, force=True, price_unit=price_unit)


def _demo(args) -> int:
    out = None
    if args.report:
        out = Path(args.report)
        check_output(out, force=True, inputs=[args.chain] if args.chain else (), what="--report")
    s = _settings(args)
    if args.chain:
        chain, label = _read(args.chain, args), str(args.chain)
    else:
        from .sample import SAMPLE_LABEL, SAMPLE_PATH

        chain, label = _read(SAMPLE_PATH, args), SAMPLE_LABEL
        print(f"xlgex {__version__} demo\n")
        _print_greeks()
        _print_walkthrough()
        print()
    unit = _price_unit(Path(args.chain) if args.chain else None)
    _print_gex(chain, label, s, unit, iv_auto=bool(args.chain) and args.iv_unit == "auto")
    if out is not None:
        if out.exists() and not args.force:
            print(f"\nreport not written: {out} already exists; use --force to replace it")
        else:
            _write_report(chain, out, label, s, unit)
            print(f"\nreport written: {out}")
    return 0


def _report(args) -> int:
    out = check_output(args.output, force=args.force, inputs=[args.chain], what="--output")
    chain = _read(args.chain, args)
    _write_report(chain, out, str(args.chain), _settings(args), _price_unit(Path(args.chain)))
    print(f"report written: {out}")
    return 0


def _workbooks(args) -> int:
    from .workbooks import TEMPLATES, build_all

    folder = Path(args.out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise XlgexError(f"xlgex: cannot create folder '{folder}': {err.strerror or err}") from err
    targets = [check_output(folder / name, force=args.force) for name in TEMPLATES]
    with contextlib.ExitStack() as stack:
        temps = [stack.enter_context(replace_atomically(t)) for t in targets]
        build = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=folder, prefix=".xlgex-")))
        for built, tmp in zip(build_all(build), temps, strict=True):
            os.replace(built, tmp)
    for path in targets:
        print(f"wrote {path}")
    return 0


def _lite(args) -> int:
    from .lite import run

    print(run(args.out, url=args.url, force=args.force, build=not args.no_build), end="")
    return 0


def _add_chain_args(p) -> None:
    p.add_argument("--spot", type=_number, metavar="PRICE",
                   help="underlying price, e.g. 445.20 (default: from the file)")  # fmt: skip
    p.add_argument("--asof", metavar="TIME", help="as-of time in New York, e.g. '2026-11-20 10:30' "
                   "(default: the file's quote time, else now)")  # fmt: skip
    p.add_argument("--iv-unit", default="auto", choices=["auto", "decimal", "percent"],
                   help="unit of the IV column: 0.18 (decimal) or 18 (percent); auto "
                        "(default) infers it from the median IV")  # fmt: skip
    p.add_argument("--sheet", metavar="NAME",
                   help="workbook sheet to read, by name or number (default: the first holding a chain)")
    p.add_argument("--no-iv-from-quotes", action="store_true",
                   help="leave rows with a blank or 0 IV unpriced instead of solving their IV from bid/ask")
    p.add_argument("--convention", choices=sorted(CONVENTIONS),
                   help="who is long what: " + "; ".join(f"{k}: {v}" for k, v in CONVENTIONS.items())
                   + f" (default: {DEFAULT_CONVENTION})")  # fmt: skip
    p.add_argument("--gamma-source", choices=["model", "chain"],
                   help="model (default): Black-Scholes gamma from each row's IV at the as-of; "
                        "chain: the file's own Gamma column")  # fmt: skip
    p.add_argument("--preset", choices=["classic"],
                   help="classic: reproduce the widely copied public GEX script (file gamma, "
                        "dealers long calls and short puts) for reconciliation")  # fmt: skip
    p.add_argument("--expiries", metavar="WHICH",
                   help="which expiries to include, e.g. 0dte or ex0dte (default: all)")  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="xlgex", description="Dealer gamma exposure for Excel.")
    parser.add_argument("--version", action="version", version=f"xlgex {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="the GEX summary of a chain (without one: textbook greeks, "
                          "a hedging walkthrough and the bundled sample)")  # fmt: skip
    demo.add_argument("chain", nargs="?", help="your chain file: CSV, .xlsx, Parquet or JSON "
                      "(default: the bundled sample)")  # fmt: skip
    _add_chain_args(demo)
    demo.add_argument("--report", default="xlgex_demo_report.xlsx", metavar="FILE.xlsx",
                      help="also write a values-only report here (default: "
                           "xlgex_demo_report.xlsx; '' to skip)")  # fmt: skip
    demo.add_argument("--force", action="store_true", help="replace an existing report")
    demo.set_defaults(run=_demo)

    report = sub.add_parser("report", help="write a values-only Excel report for a chain file")
    report.add_argument("chain", help="the chain file: CSV, .xlsx, Parquet or JSON")
    _add_chain_args(report)
    report.add_argument("-o", "--output", required=True, metavar="FILE.xlsx",
                        help="the .xlsx file to write")  # fmt: skip
    report.add_argument("--force", action="store_true", help="replace an existing file")
    report.set_defaults(run=_report)

    books = sub.add_parser("workbooks", help="write the Excel templates (hedging, dashboard, what-if)")
    books.add_argument("--out", default="workbooks", metavar="FOLDER",
                       help="folder to write them to (default: workbooks)")  # fmt: skip
    books.add_argument("--force", action="store_true", help="replace templates already there")
    books.set_defaults(run=_workbooks)

    lite = sub.add_parser("lite", help="build the wheel and print requirements.txt and main.py "
                          "for xlwings Lite (Excel on Mac and the web)")  # fmt: skip
    lite.add_argument("--out", default="dist", help="folder for the wheel (default: dist)")
    lite.add_argument("--url", help="where you host the wheel (HTTPS), for requirements.txt")
    lite.add_argument("--force", action="store_true", help="replace an existing wheel")
    lite.add_argument("--no-build", action="store_true", help="only print the two texts")
    lite.set_defaults(run=_lite)

    from .history.command import add_parser as add_history_parser

    add_history_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run the ``xlgex`` command; returns the exit status (2 for a user error)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as done:  # --help, --version, or a one-line argument error
        return done.code
    try:
        return args.run(args)
    except BrokenPipeError:  # output piped into `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:  # Ctrl+C: files being written were left as they were
        print("\nxlgex: interrupted", file=sys.stderr)
        return 130
    except XlgexError as err:
        sys.stdout.flush()
        print(as_flags(str(err).splitlines()[0] if str(err) else "xlgex: error"), file=sys.stderr)
        return 2
