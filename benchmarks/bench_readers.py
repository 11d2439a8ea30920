"""Reading one chain from every file format, and solving IVs from quotes.

    python benchmarks/bench_readers.py [--contracts 30000] [--repeat 5] [--file CHAIN ...]

The chain is :func:`xlgex.sample.sample_chain` with bid/ask quotes priced from its IVs
(Black on the spot, a 2% spread) and every 20th IV blanked, saved as CSV, semicolon/decimal
comma, UTF-16 tab, .xlsx, Parquet and JSON; ``--file`` adds chain files of your own (a CBOE
download, say). Each line: the best of ``--repeat`` reads, in milliseconds of wall time and of
CPU time (the figure that holds on a busy machine), with and without IVs solved from quotes,
and the IVs solved.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from xlgex.chain import epoch_minutes  # noqa: E402
from xlgex.conventions import MINUTES_PER_YEAR, NEW_YORK  # noqa: E402
from xlgex.core.implied import black_price  # noqa: E402
from xlgex.readers import read_chain  # noqa: E402
from xlgex.sample import sample_chain  # noqa: E402


def quoted_frame(n_contracts: int):
    frame = sample_chain(n_contracts)
    asof = dt.datetime.fromisoformat(frame["Quote Time"].iloc[0]).replace(tzinfo=NEW_YORK)
    settle = [dt.datetime.combine(dt.date.fromisoformat(d), dt.time(16, 0), tzinfo=NEW_YORK)
              for d in frame["Expiration"]]  # fmt: skip
    t_years = np.array([(epoch_minutes(s) - epoch_minutes(asof)) / MINUTES_PER_YEAR for s in settle])
    mid = black_price(frame["Underlying Price"], frame["Strike"], np.maximum(t_years, 1e-9), frame["IV"],
                      frame["Type"] == "C")  # fmt: skip
    frame["Bid"], frame["Ask"] = np.round(mid * 0.99, 4), np.round(mid * 1.01, 4)
    frame.loc[frame.index % 20 == 0, "IV"] = np.nan
    return frame


def save_all(frame, folder: Path) -> dict:
    paths = {name: folder / name for name in ("chain.csv", "chain_semicolon.csv", "chain_utf16.txt",
                                              "chain.xlsx", "chain.parquet", "chain.json")}  # fmt: skip
    frame.to_csv(paths["chain.csv"], index=False)
    frame.to_csv(paths["chain_semicolon.csv"], index=False, sep=";", decimal=",")
    frame.to_csv(paths["chain_utf16.txt"], index=False, sep="\t", encoding="utf-16")
    frame.to_excel(paths["chain.xlsx"], index=False)
    frame.to_parquet(paths["chain.parquet"])
    frame.to_json(paths["chain.json"], orient="records")
    return paths


def best_ms(fn, repeat: int) -> tuple[float, float]:
    """Best wall and best CPU time of ``repeat`` calls, in milliseconds."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1000 * min(wall), 1000 * min(cpu)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--file", action="append", default=[], type=Path, help="a chain file to add")
    args = parser.parse_args(argv)
    frame = quoted_frame(args.contracts)
    with tempfile.TemporaryDirectory() as folder:
        paths = save_all(frame, Path(folder))
        print(f"{len(frame)} contracts; best of {args.repeat}, ms")
        print(f"{'source':<34}{'read':>10}{'CPU':>8}{'no IV solve':>14}{'CPU':>8}{'IVs solved':>12}")
        sources = [("DataFrame", frame), *paths.items(), *((p.name, p) for p in args.file)]
        for name, source in sources:
            with_iv = best_ms(lambda s=source: read_chain(s), args.repeat)
            without = best_ms(lambda s=source: read_chain(s, iv_from_quotes=False), args.repeat)
            solved = read_chain(source).diagnostics.iv_solved
            print(f"{name[:33]:<34}{with_iv[0]:>10.1f}{with_iv[1]:>8.1f}{without[0]:>14.1f}"
                  f"{without[1]:>8.1f}{solved:>12}")  # fmt: skip


if __name__ == "__main__":
    main()
