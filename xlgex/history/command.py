"""The ``xlgex history SOURCES... -o OUT`` command."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from ..conventions import CONVENTIONS, DEFAULT_CONVENTION

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    """Add the ``history`` subcommand to an argparse subparsers object."""
    p = sub.add_parser("history", help="GEX, flip and regime of every snapshot in folders, globs, files",
                       description="One row per snapshot (quote time, underlying, spot, total GEX, "
                                   "0DTE share, flip, walls, regime) and the move study, written "
                                   "to OUT.")  # fmt: skip
    p.add_argument("sources", nargs="+", help="folders, glob patterns ('data/**/*.csv') or files; a long "
                   "table with a quote-time column may hold many snapshots (CSV or Parquet)")  # fmt: skip
    p.add_argument("-o", "--output", required=True, help="the .xlsx, .csv or .parquet file to write")
    p.add_argument("--force", action="store_true", help="replace an existing output file")
    p.add_argument("--cluster", metavar="ADDRESS",
                   help="run on a Dask distributed scheduler, e.g. tcp://10.0.0.5:8786 "
                        "(pip install 'xlgex[cluster]')")  # fmt: skip
    p.add_argument("--workers", type=int, help="local worker processes (default: every core)")
    p.add_argument("--cache-dir", help="where finished snapshots are kept "
                   "(default: <OUT stem>.xlgex-cache beside OUT)")  # fmt: skip
    p.add_argument("--horizon", help="move study horizon, e.g. 1D or 4h (default: the next snapshot)")
    p.add_argument("--convention", default=DEFAULT_CONVENTION, choices=sorted(CONVENTIONS),
                   help=f"dealer sign convention (default: {DEFAULT_CONVENTION})")
    p.add_argument("--gamma-source", default="model", choices=["model", "chain"],
                   help="model (default): Black-Scholes gamma from each IV; chain: the file's Gamma column")
    p.add_argument("--expiries", metavar="WHICH", help="which expiries, e.g. 0dte or ex0dte (default: all)")
    p.add_argument("--iv-unit", default="auto", choices=["auto", "decimal", "percent"],
                   help="unit of the IV column; auto (default) judges each snapshot by its median IV")
    p.add_argument("--no-vol-views", action="store_true",
                   help="skip skew and term structure (faster; the regime label then has no stress or "
                        "steep-skew modifier)")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(run=run)


class _Terminated(KeyboardInterrupt):
    """SIGTERM (a job scheduler's stop), handled as Ctrl-C but exiting 128 + 15."""


def _interrupt(signum, frame):
    raise _Terminated


def run(args) -> int:
    from . import history
    from .run import cache_folder_for

    out = Path(args.output)
    cache = Path(args.cache_dir) if args.cache_dir else cache_folder_for(out)
    # A job scheduler's stop, like Ctrl-C; Python lets only the main thread set a handler.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main else None
    try:
        df = history(args.sources, out, force=args.force, cache_dir=cache, cluster=args.cluster,
                     workers=args.workers, progress=not args.no_progress, horizon=args.horizon,
                     convention=args.convention, gamma_source=args.gamma_source,
                     expiries=args.expiries, iv_unit=args.iv_unit,
                     vol_views=not args.no_vol_views)  # fmt: skip
    except KeyboardInterrupt as stop:
        print(f"\n{'stopped' if isinstance(stop, _Terminated) else 'interrupted'}: finished snapshots "
              f"are kept in {cache}; run the same command again to continue", file=sys.stderr)  # fmt: skip
        return 128 + (signal.SIGTERM if isinstance(stop, _Terminated) else signal.SIGINT)
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    counts = df.attrs["counts"]
    for skip in df.attrs["skipped"]:
        part = f" [{skip['part']}]" if skip["part"] else ""
        print(f"skipped {skip['source']}{part}: {skip['message']}", file=sys.stderr)
    print(f"{counts['snapshots']} snapshots from {counts['files']} files ({counts['computed']} computed, "
          f"{counts['from_cache']} from the cache, {counts['skipped']} skipped)")  # fmt: skip
    print(df.attrs["study"]["verdict"])
    print(f"history written: {out}")
    if counts["snapshots"] == 0:
        print("xlgex: no snapshot gave a row (see the skipped sources above)", file=sys.stderr)
        return 1
    return 0
