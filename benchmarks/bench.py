"""Benchmark of xlgex's hot paths on synthetic SPX-like chains.

Run from the repository root, with the test extra installed (``pip install ".[test]"``)::

    python benchmarks/bench.py                  # full run, under 5 minutes
    python benchmarks/bench.py --quick          # fewer repeats, reference on 3 levels: < 1 minute
    python benchmarks/bench.py --sizes 5000,30000
    python benchmarks/bench.py --blas-threads 1 # pin numpy's BLAS to one thread

What it measures (chains from :func:`xlgex.sample.sample_chain`, read with ``read_chain``):

* core operations at each size: ``greeks`` (the full dict), ``gex_by_strike``,
  ``gex_profile`` at 200 and 400 levels, ``gamma_flip`` (default 161-level grid);
* two baselines: a row-wise ``scipy.stats.norm.pdf`` inside ``df.apply``, looped over 60
  levels, as public GEX scripts do it (5,000 contracts only), and "the limit", a plain
  fused numpy expression for gamma over levels x contracts, blocked to about 1M cells;
* the Excel path: 30,000 contracts through ``tests/xlharness.py`` (xlwings' real Windows UDF
  call path incl. argument conversion) for ``GEX_STRIKE`` on a fresh range (chain cache
  cleared), ``GEX_STRIKE`` again (cache hit) and ``GEX_FLIP`` on the cached range;
* memory: tracemalloc's peak of traced allocations (numpy registers its buffers with
  tracemalloc) per operation, in a separate untimed run, and the process's max RSS.

Times are medians of repeated ``time.perf_counter`` runs after one warm-up run (not
counted). The cache-miss UDF time clears ``xlgex.cells._CHAINS`` before every run. Nothing
here changes xlgex. The flip against the profile, its references and the cold start are in
``flip_bench.py``. To benchmark another copy of xlgex, put it first on
``PYTHONPATH`` (the header line shows which one ran).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="3 timed runs per operation, reference on 3 of its 60 levels (< 1 min)",
    )
    p.add_argument(
        "--sizes",
        default="5000,30000,100000",
        help="comma-separated chain sizes in contracts (default 5000,30000,100000)",
    )
    p.add_argument(
        "--repeat", type=int, default=None, help="minimum timed runs per operation (default 7, quick 3)"
    )
    p.add_argument(
        "--blas-threads", type=int, default=None, help="set OPENBLAS/OMP/MKL_NUM_THREADS before numpy loads"
    )
    args = p.parse_args(argv)
    args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    return args


ARGS = _parse_args() if __name__ == "__main__" else None
if ARGS is not None and ARGS.blas_threads:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = str(ARGS.blas_threads)

# numpy and everything that imports it come after the BLAS thread setting. The repository root
# goes last on the path: an installed xlgex (or one on PYTHONPATH) wins, tests/ is importable.
REPO = Path(__file__).resolve().parent.parent
sys.path.append(str(REPO))
import ctypes  # noqa: E402
import datetime as dt  # noqa: E402
import gc  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy  # noqa: E402
from scipy.stats import norm  # noqa: E402

import xlgex  # noqa: E402
import xlgex.flip  # noqa: E402
from xlgex.conventions import ONE_PCT  # noqa: E402
from xlgex.core.greeks import greeks  # noqa: E402
from xlgex.core.profile import BAND_SIGMAS  # noqa: E402
from xlgex.flip import default_levels, gamma_flip, gex_profile  # noqa: E402
from xlgex.gex import dealer_contracts, gex_by_strike  # noqa: E402
from xlgex.readers import read_chain  # noqa: E402
from xlgex.sample import sample_chain  # noqa: E402

UDF_CONTRACTS = 30_000
TARGET_CONTRACTS = 30_000
REFERENCE_CONTRACTS = 5_000
REFERENCE_LEVELS = 60
LIMIT_LEVELS = 400
LIMIT_BLOCK_CELLS = 1_000_000
SQRT_2PI = math.sqrt(2.0 * math.pi)
MB = 1024.0 * 1024.0


# -- timing ------------------------------------------------------------------------------------
@dataclass
class Timing:
    """Wall times of the timed runs, seconds."""

    runs: list = field(default_factory=list)
    cpu: list = field(default_factory=list)
    """Process CPU seconds of each run (all threads)."""

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else float("nan")

    @property
    def best(self) -> float:
        return min(self.runs) if self.runs else float("nan")

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def cpu_ratio(self) -> float:
        """Process CPU time / wall time: about 1 single-threaded, 2 if a BLAS thread spins."""
        return sum(self.cpu) / sum(self.runs) if self.runs else float("nan")


def measure(
    func, *, repeat: int, min_seconds: float, setup=None, warmup: int = 1, max_runs: int = 50
) -> Timing:
    """Median-ready wall times of ``func()``: ``warmup`` untimed runs, then at least
    ``repeat`` timed runs and more until ``min_seconds`` of timed work (at most ``max_runs``).
    ``setup()`` runs untimed before every run."""
    for _ in range(warmup):
        if setup is not None:
            setup()
        func()
    timing = Timing()
    spent = 0.0
    while timing.n < repeat or (spent < min_seconds and timing.n < max_runs):
        if setup is not None:
            setup()
        start, cpu_start = time.perf_counter(), time.process_time()
        func()
        elapsed = time.perf_counter() - start
        timing.runs.append(elapsed)
        timing.cpu.append(time.process_time() - cpu_start)
        spent += elapsed
    return timing


def traced_peak_mb(func, setup=None) -> float:
    """Peak of tracemalloc-traced memory during one ``func()`` above what was live before, MB."""
    if setup is not None:
        setup()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        func()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - before) / MB


def max_rss_mb() -> float:
    """Process max resident set size so far, MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / MB if sys.platform == "darwin" else rss / 1024.0


def exp_ns_per_element() -> float:
    """Machine-speed probe: median ns per element of ``np.exp`` on 1M values in [-40, 0]."""
    x = np.linspace(-40.0, 0.0, 1_000_000)
    out = np.empty_like(x)
    t = measure(lambda: np.exp(x, out=out), repeat=15, min_seconds=0.1, max_runs=30)
    return t.median * 1e9 / x.size


def blas_threads() -> str:
    """Threads of the BLAS numpy loaded (OpenBLAS builds only), else the environment setting."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted(
                {line.split()[-1] for line in maps if "openblas" in line.lower() and "numpy" in line}
            )
        lib = ctypes.CDLL(paths[0])
        for name in (
            "scipy_openblas_get_num_threads64_",
            "openblas_get_num_threads64_",
            "openblas_get_num_threads",
        ):
            getter = getattr(lib, name, None)
            if getter is not None:
                return f"{getter()} (OpenBLAS)"
    except (OSError, IndexError):
        pass
    return os.environ.get("OPENBLAS_NUM_THREADS", "default")


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# -- baselines ---------------------------------------------------------------------------------
def _reference_gex(level, row) -> float:
    """One contract's dealer GEX ($ per 1%) at spot ``level``, as public scripts write it."""
    if row["t_years"] <= 0 or row["iv"] <= 0:
        return 0.0
    vol_sqrt_t = row["iv"] * np.sqrt(row["t_years"])
    d1 = (np.log(level / row["strike"]) + 0.5 * row["iv"] ** 2 * row["t_years"]) / vol_sqrt_t
    gamma = norm.pdf(d1) / (level * vol_sqrt_t)
    sign = 1.0 if row["is_call"] else -1.0  # dealers long calls, short puts
    return sign * row["open_interest"] * row["multiplier"] * level * level * ONE_PCT * gamma


def reference_level(frame: pd.DataFrame, level: float) -> float:
    """Net GEX at one level: a row-wise ``df.apply`` with ``scipy.stats.norm.pdf`` per row."""
    return float(frame.apply(lambda row: _reference_gex(level, row), axis=1).sum())


def fused_numpy_profile(chain, levels, max_cells: int = LIMIT_BLOCK_CELLS) -> np.ndarray:
    """The limit: net GEX ($ per 1%) at ``levels`` as one plain broadcast expression.

    Gamma is ``exp(-d1**2/2) / (S vol sqrt(T) sqrt(2 pi))`` over levels x contracts (r = q = 0,
    sticky strike), times signed dealer contracts x multiplier x 0.01 and summed, then x S**2.
    Levels are processed in blocks of about ``max_cells`` cells so memory stays bounded.
    """
    ok = chain.has_iv
    strike, t, vol = chain.strike[ok], chain.t_years[ok], chain.iv[ok]
    weights = (dealer_contracts(chain) * chain.multiplier)[ok] * ONE_PCT
    levels = np.asarray(levels, dtype=float)
    out = np.empty(levels.size)
    step = max(1, max_cells // max(strike.size, 1))
    for start in range(0, levels.size, step):
        s = levels[start : start + step, None]
        d1 = (np.log(s / strike) + 0.5 * vol**2 * t) / (vol * np.sqrt(t))
        gamma = np.exp(-0.5 * d1**2) / (s * vol * np.sqrt(t) * SQRT_2PI)
        out[start : start + step] = (gamma @ weights) * s[:, 0] ** 2
    return out


def cells_in_band(chain, levels) -> int:
    """Grid cells (level, contract) with |d1| <= BAND_SIGMAS: the cells the banded kernel
    computes up to block edges (r = q = 0)."""
    ok = chain.has_iv & (chain.open_interest > 0)
    t, vol, strike = chain.t_years[ok], chain.iv[ok], chain.strike[ok]
    b = 1.0 / (vol * np.sqrt(t))
    c = (0.5 * vol**2 * t - np.log(strike)) * b
    log_levels = np.log(np.sort(levels))
    first = np.searchsorted(log_levels, (-BAND_SIGMAS - c) / b, side="left")
    last = np.searchsorted(log_levels, (BAND_SIGMAS - c) / b, side="right")
    return int(np.clip(last - first, 0, None).sum())


def live_contracts(chain) -> int:
    """Contracts the profile prices: IV present and open interest > 0."""
    return int((chain.has_iv & (chain.open_interest > 0)).sum())


# -- report helpers ----------------------------------------------------------------------------
def ms(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "n/a"
    value = seconds * 1e3
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}" if value < 10 else f"{value:.1f}"


def print_table(header, rows, title=None) -> None:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[j]) for r in cells) for j in range(len(header))]
    if title:
        print(f"\n{title}")
    for i, row in enumerate(cells):
        print(
            "  "
            + "  ".join(
                c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if i == 0:
            print("  " + "  ".join("-" * w for w in widths))


def fit_exponent(sizes, seconds) -> float:
    """Least-squares slope of log(time) on log(contracts): 1.0 is linear."""
    if len(sizes) < 2:
        return float("nan")
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


# -- the benchmark -----------------------------------------------------------------------------
CORE_OPS = ("greeks", "gex_by_strike", "gex_profile_200", "gex_profile_400", "gamma_flip", "limit_400")


def core_operations(chain) -> dict:
    spot, strike, t_years, iv, is_call = (chain.spot, chain.strike, chain.t_years, chain.iv, chain.is_call)
    return {
        "greeks": lambda: greeks(spot, strike, t_years, iv, 0.0, 0.0, is_call),
        "gex_by_strike": lambda: gex_by_strike(chain),
        "gex_profile_200": lambda: gex_profile(chain, n_levels=200),
        "gex_profile_400": lambda: gex_profile(chain, n_levels=400),
        "gamma_flip": lambda: gamma_flip(chain),
        "limit_400": lambda: fused_numpy_profile(chain, default_levels(spot, LIMIT_LEVELS)),
    }


def run_core(sizes, repeat, min_seconds, results, chains, quick) -> None:
    rows = []
    for n in sizes:
        frame = sample_chain(n)
        read = measure(lambda frame=frame: read_chain(frame), repeat=repeat, min_seconds=min_seconds)
        chain = read_chain(frame)
        chains[n] = chain
        ops = core_operations(chain)
        if quick and n != TARGET_CONTRACTS:
            del ops["limit_400"]  # quick mode: the limit only where its target is
        grid = default_levels(chain.spot, LIMIT_LEVELS)
        r = results[n] = {
            "read_chain": read,
            "contracts": len(chain),
            "live": live_contracts(chain),
            "band_400": cells_in_band(chain, grid),
        }
        if "limit_400" in ops:  # the profile and the limit must agree before times are compared
            prof = gex_profile(chain, grid)["net_gex"].to_numpy()
            limit = fused_numpy_profile(chain, grid)
            r["limit_agreement"] = float(np.max(np.abs(prof - limit)) / np.max(np.abs(prof)))
        for name, func in ops.items():
            r[name] = measure(func, repeat=repeat, min_seconds=min_seconds)
            r[name + ":peak_mb"] = traced_peak_mb(func)
        r["rss_mb"] = max_rss_mb()
        for name in ("read_chain", *ops):
            t = r[name]
            peak = r.get(name + ":peak_mb")
            rows.append(
                [
                    name,
                    f"{len(chain):,}",
                    ms(t.median),
                    ms(t.best),
                    t.n,
                    f"{t.median * 1e9 / len(chain):,.0f}",
                    f"{t.cpu_ratio:.2f}",
                    "" if peak is None else f"{peak:.1f}",
                ]
            )
        print(f"  {len(chain):,} contracts done ({r['live']:,} with IV and open interest)", flush=True)
    print_table(
        ["operation", "contracts", "median ms", "best ms", "runs", "ns/contract", "cpu/wall", "peak MB"],
        rows,
        "Core operations (sticky strike, default settings)",
    )
    print(
        "  read_chain: DataFrame -> validated Chain (no target); limit_400: the fused numpy"
        " expression, blocked to ~1M cells;\n  cpu/wall: process CPU time over wall time (about 2"
        " when a BLAS worker thread spins beside the main thread); peak MB: tracemalloc peak above"
        " the live set"
    )


def run_reference(quick, repeat, min_seconds, results, chains) -> dict:
    chain = chains.get(REFERENCE_CONTRACTS) or read_chain(sample_chain(REFERENCE_CONTRACTS))
    frame = chain.to_frame()
    grid = default_levels(chain.spot, REFERENCE_LEVELS)
    ours = gex_profile(chain, grid)["net_gex"].to_numpy()
    picked = np.linspace(0, REFERENCE_LEVELS - 1, 3).astype(int) if quick else np.arange(REFERENCE_LEVELS)
    per_level, worst = [], 0.0
    for i in picked:
        start = time.perf_counter()
        value = reference_level(frame, grid[i])
        per_level.append(time.perf_counter() - start)
        worst = max(worst, abs(value - ours[i]) / np.max(np.abs(ours)))
    ref_total = statistics.median(per_level) * REFERENCE_LEVELS
    profile60 = measure(
        lambda: gex_profile(chain, n_levels=REFERENCE_LEVELS), repeat=repeat, min_seconds=min_seconds
    )
    out = {
        "reference_s": ref_total,
        "measured_levels": len(picked),
        "sum_s": sum(per_level),
        "profile60": profile60,
        "agreement": worst,
        "contracts": len(chain),
    }
    results["reference"] = out
    how = (
        f"median of {len(picked)} measured levels x {REFERENCE_LEVELS}"
        if quick
        else f"median level x {REFERENCE_LEVELS}; all {len(picked)} levels run, sum {sum(per_level):.1f} s"
    )
    print_table(
        ["baseline", "contracts", "levels", "time", "gex_profile", "ratio"],
        [
            [
                "df.apply + norm.pdf per row",
                f"{len(chain):,}",
                REFERENCE_LEVELS,
                f"{ref_total:.1f} s",
                f"{ms(profile60.median)} ms",
                f"{ref_total / profile60.median:,.0f}x slower",
            ]
        ],
        "Baseline 1: row-wise reference (the public-script way)",
    )
    print(f"  reference time: {how}; max rel. diff vs gex_profile {worst:.1e}")
    return out


def run_limit_table(sizes, results) -> None:
    rows = []
    for n in sizes:
        r = results[n]
        if "limit_400" not in r:
            continue
        prof, limit = r["gex_profile_400"], r["limit_400"]
        rows.append(
            [
                f"{r['contracts']:,}",
                ms(prof.median),
                ms(limit.median),
                f"{prof.median / limit.median:.2f}",
                f"{r['gex_profile_400:peak_mb']:.1f}",
                f"{r['limit_400:peak_mb']:.1f}",
                f"{r['limit_agreement']:.1e}",
            ]
        )
    print_table(
        [
            "contracts",
            "gex_profile ms",
            "limit ms",
            "profile/limit",
            "profile MB",
            "limit MB",
            "max rel diff",
        ],
        rows,
        f"Baseline 2: gex_profile vs the fused numpy limit, {LIMIT_LEVELS} levels",
    )
    print("  max rel diff: largest |profile - limit| over the grid / largest |profile|")


def run_udf(repeat, min_seconds, results, quick) -> None:
    import xlgex.cells
    from tests.xlharness import UDFHarness, table

    frame = sample_chain(UDF_CONTRACTS)
    excel_range = table(frame)  # Excel-shaped 2D tuple: header + one row per contract
    cells = len(excel_range) * len(excel_range[0])
    small = table(sample_chain(1_000))

    def clear():
        xlgex.cells._CHAINS.clear()

    rows, out = [], {}
    with UDFHarness("xlgex.udfs") as h:
        clear()
        start = time.perf_counter()
        first_ever = h.invoke("GEX_STRIKE", excel_range)
        out["first_in_process"] = time.perf_counter() - start
        if not isinstance(first_ever.value, list) or first_ever.value[0][0] != "strike":
            raise RuntimeError(f"GEX_STRIKE failed in the harness: {first_ever.value!r}")
        h.call("GEX_FLIP", small)  # warm the flip path too
        flip_value = h.call("GEX_FLIP", excel_range)
        if not isinstance(flip_value, float):
            raise RuntimeError(f"GEX_FLIP failed in the harness: {flip_value!r}")
        args = first_ever.args  # what the function received after xlwings' conversion
        # xlwings' per-cell clean-up of the chain range (real xlwings code, Windows engine);
        # skipped by xlwings when the chain argument is declared raw.
        options = h.functions["GEX_STRIKE"]["args"][0]["options"]
        if options.get("convert") == "raw":
            xlwings_time = 0.0
        else:
            try:
                engine = h._win.xlwindows.engine
                xlwings_time = measure(
                    lambda: engine.clean_value_data(excel_range, dt.datetime, None, None, True),
                    repeat=repeat,
                    min_seconds=min_seconds,
                ).median
            except AttributeError:  # the harness's internals changed: no split
                xlwings_time = float("nan")
        conversion = f"convert={options.get('convert') or 'default'!r}"
        cases = [
            ("GEX_STRIKE first (cache miss)", "udf_miss", "GEX_STRIKE", clear),
            ("GEX_STRIKE cached (cache hit)", "udf_hit", "GEX_STRIKE", None),
            ("GEX_FLIP cached", "udf_flip", "GEX_FLIP", None),
        ]
        for label, key, name, setup in cases:
            if setup is None:
                h.call(name, excel_range)  # make sure the chain is cached
            udf = getattr(h.module, name)
            total = measure(
                lambda name=name: h.call(name, excel_range),
                repeat=repeat,
                min_seconds=min_seconds,
                setup=setup,
            )
            inner = measure(lambda udf=udf: udf(*args), repeat=repeat, min_seconds=min_seconds, setup=setup)
            peak = (
                float("nan")
                if quick
                else traced_peak_mb(lambda name=name: h.call(name, excel_range), setup=setup)
            )
            out[key], out[key + ":xlgex"], out[key + ":peak_mb"] = total, inner, peak
            rest = total.median - inner.median - xlwings_time
            rows.append(
                [
                    label,
                    ms(total.median),
                    ms(inner.median),
                    ms(xlwings_time),
                    ms(rest),
                    total.n,
                    "n/a" if math.isnan(peak) else f"{peak:.0f}",
                ]
            )
    out["rss_mb"] = max_rss_mb()
    results["udf"] = out
    print_table(
        [
            f"call ({UDF_CONTRACTS:,} contracts, {cells:,} cells, {conversion})",
            "total ms",
            "xlgex ms",
            "xlwings ms",
            "harness ms",
            "runs",
            "peak MB",
        ],
        rows,
        "Excel UDF path through tests/xlharness.py (xlwings' Windows call path)",
    )
    print(
        "  total: the whole simulated call (median); xlgex: the UDF alone on the converted\n"
        "  arguments; xlwings: xlwings' clean_value_data on the range (0 when the chain argument\n"
        "  is declared raw, which skips it);\n"
        "  harness: the rest, mostly the pywin32/COM stand-ins (C code on Windows) and result\n"
        f"  conversion. First call in a fresh process: {ms(out['first_in_process'])} ms;"
        f" GEX_FLIP = {flip_value:.2f}"
    )


def run_scaling(sizes, results) -> None:
    if len(sizes) < 2:
        print("\nScaling: needs at least two sizes")
        return
    rows = []
    rows_n = [results[n]["contracts"] for n in sizes]
    live = [results[n]["live"] for n in sizes]
    for name in ("read_chain", "greeks", "gex_by_strike", "gex_profile_200", "gex_profile_400", "gamma_flip"):
        secs = [results[n][name].median for n in sizes]
        per = [t * 1e9 / k for t, k in zip(secs, rows_n, strict=True)]
        per_live = [t * 1e9 / k for t, k in zip(secs, live, strict=True)]
        rows.append(
            [
                name,
                *[f"{p:,.0f}" for p in per],
                f"{fit_exponent(rows_n, secs):.2f}",
                *[f"{p:,.0f}" for p in per_live],
                f"{fit_exponent(live, secs):.2f}",
            ]
        )
    cells_row = ["ns per in-band cell, profile 400"]
    for n in sizes:
        cells_row.append(f"{results[n]['gex_profile_400'].median * 1e9 / results[n]['band_400']:.1f}")
    cells_row += [""] * (len(rows[0]) - len(cells_row))
    rows.append(cells_row)
    head = [f"ns/row {n // 1000}k" for n in sizes]
    head_live = [f"ns/live {n // 1000}k" for n in sizes]
    print_table(
        ["operation", *head, "k (rows)", *head_live, "k (live)"],
        rows,
        "Scaling: time per contract and fitted exponent k (time ~ contracts^k)",
    )
    print(
        "  rows: "
        + ", ".join(f"{k:,}" for k in rows_n)
        + "; live (IV and open interest > 0): "
        + ", ".join(f"{k:,}" for k in live)
        + "; in-band cells at 400 levels: "
        + ", ".join(f"{results[n]['band_400'] / 1e6:.2f}M" for n in sizes)
    )
    print("  The profile and the flip skip rows without open interest, so their cost follows")
    print("  live contracts (x levels in band), not rows: sample_chain widens the strike range")
    print("  as it grows, and most added far-wing rows have zero open interest.")


def run_targets(results) -> list:
    r = results.get(TARGET_CONTRACTS)
    udf = results.get("udf", {})
    rows = []

    def add(what, value, limit, unit, fmt):
        if value is None or not math.isfinite(value):
            rows.append([what, "n/a", f"<= {fmt(limit)} {unit}", "SKIP"])
        else:
            rows.append(
                [
                    what,
                    f"{fmt(value)} {unit}",
                    f"<= {fmt(limit)} {unit}",
                    "PASS" if value <= limit else "MISS",
                ]
            )

    def med(key):
        return r[key].median * 1e3 if r else None

    add("gex_by_strike, 30k", med("gex_by_strike"), 5.0, "ms", lambda v: f"{v:.2f}")
    add("gamma_flip, 30k", med("gamma_flip"), 30.0, "ms", lambda v: f"{v:.1f}")
    add(
        "gex_profile(400) / limit, 30k",
        r["gex_profile_400"].median / r["limit_400"].median if r else None,
        1.3,
        "x",
        lambda v: f"{v:.2f}",
    )
    add(
        "gex_profile(400) peak memory, 30k",
        r["gex_profile_400:peak_mb"] if r else None,
        200.0,
        "MB",
        lambda v: f"{v:.1f}",
    )
    for key, label, limit in (
        ("udf_miss", "UDF GEX_STRIKE first call, 30k", 150.0),
        ("udf_hit", "UDF GEX_STRIKE cached, 30k", 20.0),
        ("udf_flip", "UDF GEX_FLIP cached, 30k", 100.0),
    ):
        for part, what in (("", label), (":xlgex", "  the same, xlgex's part only")):
            value = udf[key + part].median * 1e3 if key in udf else None
            add(what, value, limit, "ms", lambda v: f"{v:.1f}")
    print_table(["target", "measured", "target", "result"], rows, "Targets (this machine; medians)")
    return rows


def main(args) -> int:
    started = time.perf_counter()
    repeat = args.repeat or (3 if args.quick else 7)
    min_seconds = 0.0 if args.quick else 1.0
    sizes = args.sizes
    print(
        f"xlgex {xlgex.__version__} benchmark ({'quick' if args.quick else 'full'}): "
        f"sizes {', '.join(f'{n:,}' for n in sizes)}; >= {repeat} timed runs per operation"
    )
    print(f"  xlgex from {Path(xlgex.__file__).parent}")
    print(
        f"  python {platform.python_version()}, numpy {np.__version__}, scipy "
        f"{scipy.__version__}, pandas {pd.__version__}; {os.cpu_count()} CPUs; "
        f"BLAS threads {blas_threads()}"
    )
    probe = exp_ns_per_element()
    print(f"  load average {loadavg()}; np.exp probe {probe:.1f} ns/element", flush=True)

    results, chains = {}, {}
    run_core(sizes, repeat, min_seconds, results, chains, args.quick)
    run_limit_table(sizes, results)
    run_reference(args.quick, repeat, min_seconds, results, chains)
    run_udf(repeat, min_seconds, results, args.quick)
    run_scaling(sizes, results)
    run_targets(results)
    print(
        f"\n  process max RSS {max_rss_mb():,.0f} MB (after core ops "
        f"{max(results[n]['rss_mb'] for n in sizes):,.0f} MB, after UDF path "
        f"{results['udf']['rss_mb']:,.0f} MB)"
    )
    print(
        f"  load average {loadavg()}; np.exp probe {exp_ns_per_element():.1f} ns/element "
        f"(start {probe:.1f}); total {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
