"""The ``xlgex`` command: ``demo``, ``report`` and ``workbooks``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from . import __version__
from .conventions import CONVENTIONS, DEFAULT_CONVENTION
from .errors import XlgexError

__all__ = ["main"]


def _money(x: float) -> str:
    """$ amounts for a terminal: +1.23bn, -45.6m."""
    if not np.isfinite(x):
        return "n/a"
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:+,.2f}{suffix}"
    return f"{x:+,.0f}"


def _level(x: float) -> str:
    return "none" if not np.isfinite(x) else f"{x:,.2f}"


def _print_greeks() -> None:
    from .core.greeks import greeks

    # Hull, Options, Futures and Other Derivatives: the 20-week call.
    g = greeks(spot=49.0, strike=50.0, t_years=0.3846, vol=0.20, rate=0.05)
    print("Example option: call S=49, K=50, T=20 weeks, vol 20%, r 5%")
    print("  " + "  ".join(f"{k} {float(v):.4f}" for k, v in g.items()))


def _print_walkthrough() -> None:
    from .hedging import hedge_trade

    print("\nHedging walkthrough (How To Interpret Periscope Net Gamma Exposure):")
    print("  Dealer short 200 SPX 5700P, delta -0.25, gamma 0.01, hedged with ES ($50/pt)")
    first = hedge_trade(-200, -0.25, hedge="ES")
    print(f"  dealer delta {first['position_delta']:+,.0f} -> trade {first['trade']:+.0f} ES")
    for move in (-1.0, +1.0):
        step = hedge_trade(-200, -0.25, hedge="ES", current_hedge=first["target"],
                           gamma=0.01, spot_move=move)  # fmt: skip
        print(f"  SPX {move:+.0f}: delta {step['option_delta']:+.2f}, dealer delta "
              f"{step['position_delta']:+,.0f} -> trade {step['trade']:+.0f} ES "
              f"(short gamma trades with the move)")  # fmt: skip


def _load(args):
    from .readers import read_chain
    from .sample import SAMPLE_LABEL, SAMPLE_PATH

    if args.chain:
        chain = read_chain(Path(args.chain), spot=args.spot, asof=args.asof,
                           iv_unit=args.iv_unit)  # fmt: skip
        return chain, str(args.chain)
    return read_chain(SAMPLE_PATH, spot=args.spot, asof=args.asof), SAMPLE_LABEL


def _print_gex(chain, label: str, convention: str) -> None:
    from .flip import gamma_flip
    from .gex import gex_by_strike, gex_settings
    from .regime import classify_regime

    s = gex_settings(convention=convention)
    d = chain.diagnostics
    print(f"\nGEX summary: {label}")
    print(f"  spot {chain.spot:,.2f} ({d.spot_source}), as of "
          f"{chain.asof:%Y-%m-%d %H:%M} New York ({d.asof_source})")  # fmt: skip
    print(f"  contracts used {len(chain):,}; dropped {d.dropped or 'none'}")
    print(f"  convention: {convention}: {CONVENTIONS[convention]}")
    by_strike = gex_by_strike(chain, settings=s)
    top = by_strike.reindex(by_strike["net_gex"].abs().sort_values(ascending=False).index)[:5]
    print("  top strikes by |net GEX| ($ per 1% move):")
    for row in top.itertuples():
        print(f"    {row.strike:>10,.2f}  call {_money(row.call_gex):>9}  "
              f"put {_money(row.put_gex):>9}  net {_money(row.net_gex):>9}")  # fmt: skip
    regime = classify_regime(chain, settings=s)
    f = regime.facts
    flip = gamma_flip(chain, settings=s)
    print(f"  total GEX {_money(f['net_gex'])} $ per 1% move; 0DTE share "
          f"{f['share_0dte']:.0%} of gross")  # fmt: skip
    print(f"  gamma flip {_level(flip)} ({flip.reason})")
    print(f"  call wall {_level(f['call_wall'])}, put wall {_level(f['put_wall'])}, "
          f"abs-gamma strike {_level(f['abs_gamma_strike'])}")  # fmt: skip
    print(f"  regime: {regime.label}")
    print(f"          {regime.description}")


def _add_chain_args(p) -> None:
    p.add_argument("--spot", type=float, help="spot price (default: from the file)")
    p.add_argument("--asof", help="as-of time, New York, e.g. '2026-11-20 10:30' "
                   "(default: from the file)")  # fmt: skip
    p.add_argument("--convention", default=DEFAULT_CONVENTION, choices=sorted(CONVENTIONS))
    p.add_argument("--iv-unit", default="decimal", choices=["decimal", "percent", "auto"])


def _demo(args) -> int:
    print(f"xlgex {__version__} demo\n")
    _print_greeks()
    _print_walkthrough()
    chain, label = _load(args)
    _print_gex(chain, label, args.convention)
    if args.report:
        from .report import write_report

        out = Path(args.report)
        if out.exists() and not args.force:
            print(f"\nreport not written: {out} exists (use --force to replace it)")
        else:
            write_report(chain, out, convention=args.convention, title=label, force=True)
            print(f"\nreport written: {out}")
    return 0


def _report(args) -> int:
    from .readers import read_chain
    from .report import write_report

    chain = read_chain(Path(args.chain), spot=args.spot, asof=args.asof, iv_unit=args.iv_unit)
    write_report(chain, Path(args.output), convention=args.convention, title=str(args.chain),
                 force=args.force)  # fmt: skip
    print(f"report written: {args.output}")
    return 0


def _workbooks(args) -> int:
    from .workbooks import build_all

    for path in build_all(Path(args.out)):
        print(f"wrote {path}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="xlgex", description="Dealer gamma exposure for Excel.")
    parser.add_argument("--version", action="version", version=f"xlgex {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="greeks, a hedging walkthrough and the GEX of a chain")
    demo.add_argument("chain", nargs="?", help="your own chain CSV (default: bundled sample)")
    _add_chain_args(demo)
    demo.add_argument("--report", default="xlgex_demo_report.xlsx",
                      help="also write a values-only report here ('' to skip)")  # fmt: skip
    demo.add_argument("--force", action="store_true", help="replace an existing report")
    demo.set_defaults(run=_demo)

    report = sub.add_parser("report", help="write a values-only Excel report for a chain CSV")
    report.add_argument("chain")
    _add_chain_args(report)
    report.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
    report.add_argument("--force", action="store_true", help="replace an existing file")
    report.set_defaults(run=_report)

    books = sub.add_parser("workbooks", help="build the template workbooks")
    books.add_argument("--out", default="workbooks", help="folder (default: workbooks)")
    books.set_defaults(run=_workbooks)

    from .history.command import add_parser as add_history_parser

    add_history_parser(sub)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except XlgexError as err:
        print(err, file=sys.stderr)
        return 2
