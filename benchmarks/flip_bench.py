"""The flip and the profile, timed against each other in one process, with their references.

Run from the repository root (test extra installed)::

    python benchmarks/flip_bench.py                 # about 15 seconds on 2 cores
    python benchmarks/flip_bench.py --quick         # fewer runs, no 16,001-level scans
    python benchmarks/flip_bench.py --data DIR      # also the CBOE downloads in DIR (*.csv)

Chains (:mod:`benchmarks.chains`): the offsetting-interest many-crossing chain (34,100
contracts: calls and puts with equal random open interest at each strike) and its twin with
one IV per strike (calls and puts cancel exactly away from the clusters), look-alikes of
real downloads from :func:`xlgex.sample.sample_chain` (an SPX chain quoted on a weekend, one
quoted intraday with 0DTE, an SPY-sized one), a 30,000-contract sample chain, and the real
downloads when ``--data`` names a folder of them (skipped otherwise).

Per chain, medians of repeated ``time.perf_counter`` runs after a warm-up, all in this
process, printed as ratios:

* ``flip/profile``: ``gamma_flip`` over a plain 161-level ``gex_profile`` (targets: <= 1.0 on
  the offsetting chain, <= 0.3 on the real downloads' shapes), and ``flip ms`` (<= 30 ms);
* ``profile/dense``: the throughput of ``gex_profile`` (161 levels) relative to a plain tiled
  dense numpy kernel on the same contracts and levels (:func:`dense_net`, the reference this
  benchmark carries; target >= 0.8);
* ``moneyness/strike``: the sticky-moneyness flip over the sticky-strike flip (<= 2);
* ``scan``: whether the flip's crossings are those of a 16,001-level scan of the dense
  reference (each within one scan step plus xtol), and how many.

Then the cold start: ``import xlgex.udfs`` plus the first ``GEX_FLIP`` on a 30,000-row range in a
fresh subprocess (<= 1 s), called directly and through ``tests/xlharness.py`` (xlwings' Windows
call path, with the harness's Python stand-in for pywin32's COM transfer).
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from chains import offsetting_chain, real_downloads  # noqa: E402

from xlgex.conventions import ONE_PCT  # noqa: E402
from xlgex.flip import default_levels, gamma_flip, gex_profile  # noqa: E402
from xlgex.gex import dealer_contracts  # noqa: E402
from xlgex.readers import read_chain  # noqa: E402
from xlgex.sample import sample_chain  # noqa: E402

TILE = (8, 4096)
"""The reference's tile: levels x contracts."""


def dense_net(chain, levels, netted=False) -> np.ndarray:
    """Reference: net dealer GEX ($ per 1%) at ``levels``, every contract at every level.

    ``netted=True`` first sums the weights of contracts with the same strike, expiry and IV
    (their gammas are the same numbers), so exactly offsetting calls and puts leave no
    rounding noise to change sign (the scan's reference; the timing reference is plain).

    A plain tiled numpy kernel (r = q = 0, sticky strike): gamma x L**2 =
    ``L * exp(-(b ln L + c)**2 / 2) * w / (sigma sqrt(T) sqrt(2 pi))`` with ``b = 1/(sigma sqrt T)``,
    ``c = (sigma**2 T / 2 - ln K) b``, in tiles of 8 levels x 4,096 contracts, one net weight
    column (dealer contracts x multiplier x 0.01).
    """
    ok = chain.has_iv & (chain.open_interest > 0)
    t, vol, strike = chain.t_years[ok], chain.iv[ok], chain.strike[ok]
    b = 1.0 / (vol * np.sqrt(t))
    c = (0.5 * vol * vol * t - np.log(strike)) * b
    w = (dealer_contracts(chain) * chain.multiplier)[ok] * ONE_PCT
    if netted:
        frame = pd.DataFrame({"b": b, "c": c, "w": w}).groupby(["b", "c"], sort=False)["w"].sum()
        frame = frame[frame != 0.0]
        b, c = (frame.index.get_level_values(k).to_numpy() for k in ("b", "c"))
        w = frame.to_numpy()
    a = w * b / np.sqrt(2.0 * np.pi)
    x = np.log(np.asarray(levels, dtype=float))
    out = np.zeros(x.size)
    for lo in range(0, x.size, TILE[0]):
        xs = x[lo:lo + TILE[0], None]
        for k in range(0, b.size, TILE[1]):
            tile = xs * b[k:k + TILE[1]]
            tile += c[k:k + TILE[1]]
            np.square(tile, out=tile)
            tile *= -0.5
            np.exp(tile, out=tile)
            out[lo:lo + TILE[0]] += tile @ a[k:k + TILE[1]]
    return out * np.exp(x)


def scan_agrees(chain, flip, n_levels=16_001) -> str:
    """Do the flip's crossings match the strict sign changes of a dense scan? ``"yes (k)"``."""
    grid = default_levels(chain.spot, n_levels)
    net = dense_net(chain, grid, netted=True)
    nonzero = np.flatnonzero(net != 0.0)
    signs = np.sign(net[nonzero])
    k = np.flatnonzero(signs[:-1] * signs[1:] < 0)
    lo, hi = grid[nonzero[k]], grid[nonzero[k + 1]]
    found = np.asarray(flip.crossings)
    ok = found.size == lo.size and bool(np.all((found >= lo - 0.01) & (found <= hi + 0.01)))
    return f"{'yes' if ok else 'NO'} ({lo.size})"


def lookalikes() -> dict:
    """Chains shaped like the real downloads, generated (no data needed)."""
    import datetime as dt

    weekend = read_chain(sample_chain(20_000, asof=dt.datetime(2026, 11, 21, 20, 30)))
    intraday = read_chain(sample_chain(20_000, asof=dt.datetime(2026, 11, 20, 11, 55)))
    spy = sample_chain(7_000, asof=dt.datetime(2026, 11, 20, 16, 31))
    spy["Strike"] = spy["Strike"] / 10.0
    spy["Underlying Price"] = spy["Underlying Price"] / 10.0
    return {"SPX-like, weekend (20k)": weekend, "SPX-like, intraday (20k)": intraday,
            "SPY-like, after close (7k)": read_chain(spy)}  # fmt: skip


CLOCK = time.perf_counter
"""Wall clock; ``--cpu`` switches to process CPU time (steadier on a loaded machine)."""


def round_robin(funcs: dict, repeat: int) -> dict:
    """Median seconds of each function, timed in turns (one run of each per round), so that
    the load of a shared machine falls on all of them alike; one untimed warm-up round."""
    runs = {name: [] for name in funcs}
    for round_ in range(repeat + 1):
        for name, func in funcs.items():
            start = CLOCK()
            func()
            if round_:
                runs[name].append(CLOCK() - start)
    return {name: statistics.median(v) for name, v in runs.items()}


def measure_chain(name, chain, repeat, scan) -> dict:
    levels = default_levels(chain.spot, 161)
    t = round_robin({
        "profile": lambda: gex_profile(chain), "dense": lambda: dense_net(chain, levels),
        "flip": lambda: gamma_flip(chain),
        "moneyness": lambda: gamma_flip(chain, vol_rule="sticky_moneyness"),
    }, repeat)  # fmt: skip
    profile, dense, flip_s, moneyness = t["profile"], t["dense"], t["flip"], t["moneyness"]
    flip = gamma_flip(chain)
    agreement = np.abs(gex_profile(chain)["net_gex"].to_numpy() - dense_net(chain, levels)).max()
    return {
        "chain": name, "contracts": len(chain), "flip ms": flip_s * 1e3,
        "profile ms": profile * 1e3, "flip/profile": flip_s / profile,
        "profile/dense": dense / profile, "moneyness/strike": moneyness / flip_s,
        "crossings": len(flip.crossings), "scan": scan_agrees(chain, flip) if scan else "skipped",
        "max diff": agreement / max(np.abs(dense_net(chain, levels)).max(), 1e-300),
    }  # fmt: skip


COLD = """
import pickle, sys, time
excel_range = pickle.load(open(sys.argv[1], "rb"))
sys.path.insert(0, sys.argv[2])
start = time.perf_counter()
if sys.argv[3] == "direct":
    import xlgex.udfs
    loaded = time.perf_counter()
    value = xlgex.udfs.GEX_FLIP(excel_range)
else:
    from tests.xlharness import UDFHarness
    with UDFHarness("xlgex.udfs") as h:
        loaded = time.perf_counter()
        value = h.call("GEX_FLIP", excel_range)
done = time.perf_counter()
print(done - start, loaded - start, repr(value))
"""


def cold_start(how: str, n_rows=30_000) -> tuple[float, float, str]:
    """Seconds for import + first GEX_FLIP on an ``n_rows`` range, in a fresh interpreter.

    ``how="direct"``: the worksheet function called with the range as Python receives it;
    ``"harness"``: through ``tests/xlharness.py`` (adds xlwings' call path and the harness's
    Python stand-in for the COM transfer that pywin32 does in C).
    """
    from tests.xlharness import table

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "range.pickle"
        path.write_bytes(pickle.dumps(table(sample_chain(n_rows))))
        out = subprocess.run([sys.executable, "-c", COLD, str(path), str(REPO), how], capture_output=True,
                             text=True, check=True, cwd=folder).stdout.split(maxsplit=2)  # fmt: skip
    return float(out[0]), float(out[1]), out[2].strip()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="5 runs per figure, no 16,001-level scans")
    p.add_argument("--data", default=None, help="folder of real CBOE downloads (*.csv), optional")
    p.add_argument("--cpu", action="store_true", help="time process CPU, not wall clock (loaded machine)")
    args = p.parse_args(argv)
    repeat = 5 if args.quick else 15
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; clock "
          f"{'process CPU' if args.cpu else 'wall'}; medians of {repeat} rounds", flush=True)  # fmt: skip
    chains = {"offsetting OI, many crossings": offsetting_chain(),
              "offsetting OI, one IV per strike": offsetting_chain(put_iv_noise=0.0)}  # fmt: skip
    chains.update(lookalikes())
    chains["sample chain (30k)"] = read_chain(sample_chain(30_000))
    if args.data:
        chains.update({f"real: {k}": v for k, v in real_downloads(args.data).items()})
    rows = [measure_chain(name, chain, repeat, not args.quick) for name, chain in chains.items()]
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(_fmt(r[k])) for r in rows)) for k in keys}
    print("  ".join(k.ljust(widths[k]) for k in keys))
    for r in rows:
        print("  ".join(_fmt(r[k]).ljust(widths[k]) for k in keys), flush=True)
    print()
    for how in ("direct", "harness"):
        total, loaded, value = cold_start(how)
        print(f"cold start ({how}): import + first GEX_FLIP on 30,000 rows = {total:.2f} s "
              f"(import {loaded:.2f} s); GEX_FLIP = {value}")  # fmt: skip
    offsetting = [r["flip/profile"] for r in rows if r["chain"].startswith("offsetting")]
    shaped = [r["flip/profile"] for r in rows if r["chain"].startswith(("real:", "SPX-like", "SPY-like"))]
    worst = (max, "<=")
    for what, values, (pick, sense), limit in (
        ("flip/profile, offsetting chains, worst", offsetting, worst, 1.0),
        ("flip/profile, worst on the downloads' shapes", shaped, worst, 0.3),
        ("flip ms, worst", [r["flip ms"] for r in rows], worst, 30),
        ("profile/dense, worst", [r["profile/dense"] for r in rows], (min, ">="), 0.8),
        ("moneyness/strike, worst", [r["moneyness/strike"] for r in rows], worst, 2),
    ):
        value = pick(values)
        met = value <= limit if sense == "<=" else value >= limit
        print(f"{what}: {value:.2f} (target {sense} {limit}) {'MET' if met else 'MISSED'}")
    return 0


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.2e}" if v < 1e-3 else f"{v:.2f}"
    return str(v)


if __name__ == "__main__":
    sys.exit(main())
