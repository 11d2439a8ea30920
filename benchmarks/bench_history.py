"""Benchmark of ``xlgex.history``: snapshots per second on 30,000-contract chains.

Run from the repository root with the test extra installed (``pip install ".[test]"``)::

    python benchmarks/bench_history.py                     # 24 snapshots, about a minute
    python benchmarks/bench_history.py --snapshots 48 --contracts 30000 --workers 1,2

What it measures: a synthetic series (:func:`xlgex.sample.sample_snapshots`, one CSV file per
snapshot) run end to end through :func:`xlgex.history` with an empty cache (read, total GEX,
flip, walls, skew and term structure, regime, cache write, assembly), on local worker
processes for each ``--workers`` count, once on one worker without skew and term structure
(``vol_views=False``: read, total, flip, walls), on a 2-worker ``dask.distributed.LocalCluster``
(one thread per worker, processes) started here, and again from the cache. Each run reports
wall seconds, snapshots/s and snapshots/s per worker with the load average (on a shared
machine wall time understates the rate). Start-up (process pool, cluster) is inside the
timing, as a user sees it. The single-process time per snapshot, its CPU time (the per-core
rate even on a busy machine; the target is 8 snapshots per second per core) and the CPU time
of each step are printed first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import xlgex
from xlgex.flip import gamma_flip
from xlgex.gex import gex_walls, total_gex
from xlgex.history.task import analyse
from xlgex.readers import read_chain
from xlgex.sample import sample_snapshots
from xlgex.views import vol_summary


def _series(folder: Path, n: int, contracts: int) -> list[Path]:
    paths = []
    for i, frame in enumerate(sample_snapshots(n, contracts, per_day=4)):
        path = folder / f"snap_{i:04d}.csv"
        frame.to_csv(path, index=False)
        paths.append(path)
    return paths


def _timed(label: str, n: int, workers: int, run) -> None:
    start = time.perf_counter()
    df = run()
    seconds = time.perf_counter() - start
    assert len(df) == n, (len(df), df.attrs.get("skipped"))
    print(f"{label:<34} {seconds:7.2f} s  {n / seconds:7.1f} snapshots/s  "
          f"{n / seconds / workers:6.1f} per worker  (load {os.getloadavg()[0]:.1f})")  # fmt: skip


def _parts(paths) -> None:
    """Single-process time per snapshot, and how its CPU time splits between the steps."""
    task = {"part": "", "underlying": "SPX"}
    analyse(task | {"source": str(paths[0]), "path": str(paths[0])}, {})  # imports, first calls
    start, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        analyse(task | {"source": str(path), "path": str(path)}, {})
    whole, cpu = (time.perf_counter() - start) / len(paths), (time.process_time() - cpu) / len(paths)
    steps = {"read_chain": read_chain, "total_gex": total_gex, "gamma_flip": gamma_flip,
             "gex_walls": gex_walls, "vol_summary (skew, term)": vol_summary}  # fmt: skip
    timings = dict.fromkeys(steps, 0.0)
    for path in paths:
        chain = path
        for name, fn in steps.items():
            t0 = time.process_time()
            out = fn(chain)
            timings[name] += time.process_time() - t0
            chain = out if name == "read_chain" else chain
    parts = ", ".join(f"{k} {v / len(paths) * 1000:.0f} ms" for k, v in timings.items())
    print(f"one process, no engine: {whole * 1000:.0f} ms per snapshot, {cpu * 1000:.0f} ms of CPU: "
          f"{1 / cpu:.1f} snapshots/s per core (target 8); CPU by step: {parts}")  # fmt: skip


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=24)
    parser.add_argument("--contracts", type=int, default=30_000)
    parser.add_argument("--workers", default="1,2", help="local worker counts, comma separated")
    parser.add_argument("--no-cluster", action="store_true")
    args = parser.parse_args(argv)
    print(f"xlgex {xlgex.__version__} from {Path(xlgex.__file__).parent}; {os.cpu_count()} cores; "
          f"{args.snapshots} snapshots of ~{args.contracts:,} contracts")  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="xlgex-bench-history-"))
    try:
        (tmp / "data").mkdir()
        paths = _series(tmp / "data", args.snapshots, args.contracts)
        _parts(paths[:8])
        n = len(paths)
        for workers in (int(w) for w in args.workers.split(",")):
            cache = tmp / f"cache_local_{workers}"
            _timed(f"local processes, {workers} worker(s)", n, workers,
                   lambda c=cache, w=workers: xlgex.history([tmp / "data"], cache_dir=c, workers=w))
        _timed("local, 1 worker, --no-vol-views", n, 1,
               lambda: xlgex.history([tmp / "data"], cache_dir=tmp / "lean", workers=1, vol_views=False))
        _timed("rerun from the cache", n, 1, lambda: xlgex.history([tmp / "data"], cache_dir=cache))
        if not args.no_cluster:
            from dask.distributed import LocalCluster

            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              dashboard_address=":0", silence_logs=40) as cluster:  # fmt: skip
                _timed("dask LocalCluster, 2 workers", n, 2,
                       lambda: xlgex.history([tmp / "data"], cache_dir=tmp / "cache_dask",
                                             cluster=cluster.scheduler_address))  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
