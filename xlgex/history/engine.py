"""Engines that run the per-snapshot task: local worker processes, or a Dask cluster.

Both submit a bounded window of tasks (``WINDOW_PER_WORKER`` per worker), hand each result
to ``on_result`` as soon as it arrives, and keep nothing else: memory does not grow with the
number of snapshots. The task function and its inputs are the same in both, so the results
are identical; only the order they arrive in differs (the caller sorts).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from ..errors import XlgexError

__all__ = ["run_local", "run_dask", "default_workers", "WINDOW_PER_WORKER"]

WINDOW_PER_WORKER = 4
"""Tasks in flight per worker: enough to keep workers busy, few enough to stay small."""
RESIZE_S = 5.0


def default_workers() -> int:
    """Every core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _context():
    """``forkserver`` where it exists (no fork of a threaded parent), else ``spawn``.

    multiprocessing and the process pool are imported only here and in the functions that run
    one, so ``GEX_HISTORY`` (which reads a written history through this package) works where
    processes do not exist, such as xlwings Lite's Pyodide.
    """
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def run_local(fn: Callable, tasks: Iterable, args: tuple, on_result: Callable,
              workers: int | None = None, on_crash: Callable | None = None) -> None:  # fmt: skip
    """Run ``fn(task, *args)`` for every task in ``workers`` local processes (default: all cores).

    A worker process that dies (out of memory, a crash inside a library) breaks the pool: the
    tasks that were in flight are then run again one at a time, the one that kills its
    process again is reported as ``on_crash(task)``, and the run goes on with a new pool.
    """
    workers = int(workers or default_workers())
    if workers < 1:
        raise XlgexError(f"xlgex: workers {workers} must be >= 1")
    todo = iter(tasks)
    while True:
        suspects = _run_pool(fn, todo, args, on_result, workers)
        if suspects is None:
            return
        _isolate(fn, suspects, args, on_result, on_crash or _raise_broken)


def _isolate(fn, suspects: list, args, on_result, on_crash) -> None:
    """Run ``suspects`` one at a time in one process; the task that kills it is ``on_crash``ed."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    while suspects:
        pool = ProcessPoolExecutor(max_workers=1, mp_context=_context())
        try:
            while suspects:
                task = suspects.pop(0)
                try:
                    result = pool.submit(fn, task, *args).result()
                except BrokenProcessPool:
                    on_result(on_crash(task))
                    break  # a new process for the rest
                on_result(result)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _raise_broken(task):
    from concurrent.futures.process import BrokenProcessPool

    raise BrokenProcessPool(f"a worker process died running {task!r}")


def _run_pool(fn, todo, args, on_result, workers: int) -> list | None:
    """Run tasks from ``todo`` until it is exhausted (None) or the pool breaks (the tasks in flight)."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context())
    pending: dict = {}
    try:
        while True:
            for task in todo:
                pending[pool.submit(fn, task, *args)] = task
                if len(pending) >= WINDOW_PER_WORKER * workers:
                    break
            if not pending:
                return None
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    return list(pending.values())
                del pending[future]
                on_result(result)
    finally:  # on an interruption: drop what has not started, let running tasks finish
        pool.shutdown(wait=True, cancel_futures=True)


def _client(cluster):
    try:
        from dask.distributed import Client
    except ImportError:
        raise XlgexError("xlgex: --cluster needs dask.distributed: pip install 'xlgex[cluster]'") from None
    if isinstance(cluster, Client):
        return cluster, False
    address = getattr(cluster, "scheduler_address", cluster)  # a LocalCluster object, or its address
    try:
        return Client(address, timeout="30s"), True
    except OSError as err:
        raise XlgexError(f"xlgex: cannot reach the Dask scheduler at {address}: {err}") from None


def _dask_window(client) -> int:
    """Tasks to keep in flight: a few per worker thread of the cluster as it is now."""
    return WINDOW_PER_WORKER * max(1, sum(client.nthreads().values()))


def _dask_result(future, task, on_crash):
    """The task's result; a task that killed its workers is ``on_crash(task)``."""
    from dask.distributed import KilledWorker

    try:
        return future.result()
    except ImportError as err:
        raise XlgexError(f"xlgex: the Dask workers cannot import {err.name or 'xlgex'}: install the "
                         "same xlgex version on every worker (pip install 'xlgex[cluster]')") from None
    except KilledWorker:
        if on_crash is None:
            raise
        return on_crash(task)


def run_dask(fn: Callable, tasks: Iterable, args: tuple, on_result: Callable, cluster,
             on_crash: Callable | None = None) -> None:  # fmt: skip
    """Run ``fn(task, *args)`` on a Dask distributed cluster.

    ``cluster`` is a scheduler address (``"tcp://host:8786"``), a ``Client`` or a cluster
    object with a ``scheduler_address``. Workers need xlgex installed and must be able to read
    the source files (a shared filesystem); results come back to this process. The window of
    tasks in flight follows the cluster's size (looked up every ``RESIZE_S`` seconds), so
    workers that join later get work too. A task that kills its workers (Dask gives up on it,
    ``KilledWorker``) is reported as ``on_crash(task)``; workers without xlgex stop the run
    with a message.
    """
    from dask.distributed import as_completed

    client, owned = _client(cluster)
    try:
        todo = iter(tasks)
        futures = as_completed()
        window, checked, in_flight = _dask_window(client), time.monotonic(), {}

        def top_up() -> None:
            while len(in_flight) < window:
                task = next(todo, None)
                if task is None:
                    return
                future = client.submit(fn, task, *args, pure=False)
                in_flight[future.key] = task
                futures.add(future)

        top_up()
        for future in futures:
            task = in_flight.pop(future.key)
            on_result(_dask_result(future, task, on_crash))
            future.release()
            if time.monotonic() - checked > RESIZE_S:
                window, checked = _dask_window(client), time.monotonic()
            top_up()
    finally:
        if owned:
            client.close()
