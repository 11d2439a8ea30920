"""``history()``: plan the snapshots, run what the cache lacks, assemble one row per snapshot."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import pandas as pd

from .. import __version__
from ..conventions import NEW_YORK
from ..errors import XlgexError
from .cache import RowCache
from .engine import default_workers, run_dask, run_local
from .progress import Progress
from .sources import CACHE_SUFFIX, expand_sources, plan_tasks
from .study import move_study
from .task import ROW_COLUMNS, SKIP_COLUMNS, HistorySettings, analyse
from .writer import OUTPUT_SUFFIXES, check_history_output, sidecar_path, write_history

__all__ = ["history", "OUTPUT_SUFFIXES", "cache_folder_for"]

_INTEGER_COLUMNS = ("crossings", "contracts_priced", "contracts_expired", "contracts_no_iv")
_FLOAT_COLUMNS = ("spot", "total_gex", "share_0dte", "flip", "distance_to_flip_pct", "call_wall",
                  "put_wall", "abs_gamma_strike", "skew_vol_pts", "term_structure")  # fmt: skip


def cache_folder_for(out: Path) -> Path:
    """The default cache folder of output ``out``: ``<out stem>.xlgex-cache`` beside it."""
    return out.with_name(f"{out.stem}{CACHE_SUFFIX}")


@contextlib.contextmanager
def _cache_folder(out: Path | None, cache_dir):
    if cache_dir is not None:
        yield Path(cache_dir)
    elif out is not None:
        yield cache_folder_for(out)
    else:
        with tempfile.TemporaryDirectory(prefix="xlgex-history-") as tmp:
            yield Path(tmp)


def _plan(files, skipped: list, cache: RowCache) -> list[dict]:
    """Tasks (dicts with their cache key); unreadable files are added to ``skipped``."""
    tasks, seen = [], {}
    for path in files:
        try:
            planned = plan_tasks(path, cache.parts, peek=False)  # the workers name JSON and workbooks
        except (XlgexError, OSError) as err:  # unreadable: listed, the run goes on
            message = str(err) if isinstance(err, XlgexError) else f"xlgex: cannot read '{path}': {err}"
            skipped.append({"source": str(path), "part": "", "message": message,
                            "error": type(err).__name__})  # fmt: skip
            continue
        for t in planned:
            task = t.as_dict()
            task["key"] = cache.key(task)
            if task["key"] in seen:
                skipped.append({"source": task["source"], "part": task["part"], "error": "Duplicate",
                                "message": f"xlgex: same content as {seen[task['key']]}; counted once"})
                continue
            seen[task["key"]] = task["source"] + (f" [{task['part']}]" if task["part"] else "")
            tasks.append(task)
    return tasks


def _run(tasks, cache: RowCache, settings: dict, *, cluster, workers, progress) -> dict:
    """Compute the tasks the cache lacks; returns the results that may not be cached."""
    todo = [t for t in tasks if not cache.has(t["key"])]
    bar = Progress(len(tasks), enabled=bool(progress), stream=None if progress is True else progress)
    for _ in range(len(tasks) - len(todo)):
        bar.update(computed=False)
    uncached: dict = {}

    def on_result(result: dict) -> None:
        if result["cacheable"]:
            cache.put(result["key"], result)
        else:
            uncached[result["key"]] = result
        bar.update()

    try:
        if cluster is not None:
            run_dask(_keyed, todo, (settings,), on_result, cluster, on_crash=_crashed)
        elif todo:
            run_local(_keyed, todo, (settings,), on_result, min(workers or default_workers(), len(todo)),
                      on_crash=_crashed)  # fmt: skip
    finally:
        bar.close()
    return {"computed": len(todo), "from_cache": len(tasks) - len(todo), "uncached": uncached}


def _keyed(task: dict, settings: dict) -> dict:
    """The worker entry point: :func:`~xlgex.history.task.analyse` tagged with the cache key."""
    return analyse(task, settings) | {"key": task["key"]}


def _crashed(task: dict) -> dict:
    """The result of a snapshot whose worker process died (not cached: a rerun tries again)."""
    message = ("xlgex: the worker process died on this snapshot (out of memory, or a crash "
               "inside a library); it is skipped")  # fmt: skip
    return {"status": "skipped", "cacheable": False, "key": task["key"],
            "row": {"source": task["source"], "part": task["part"], "message": message,
                    "error": "WorkerDied"}}  # fmt: skip


def _assemble(tasks, cache: RowCache, uncached: dict, skipped: list) -> pd.DataFrame:
    rows = []
    for task in tasks:
        result = uncached.get(task["key"]) or cache.get(task["key"])
        (rows if result["status"] == "ok" else skipped).append(result["row"])
    df = pd.DataFrame(rows, columns=list(ROW_COLUMNS))
    df["quote_time"] = pd.to_datetime(df["quote_time"], utc=True, format="ISO8601").dt.tz_convert(NEW_YORK)
    for column in _INTEGER_COLUMNS:
        df[column] = df[column].astype("int64")
    for column in _FLOAT_COLUMNS:
        df[column] = df[column].astype(float)  # None (no flip, no wall) becomes NaN
    df = df.sort_values(["underlying", "quote_time", "source", "part"], kind="stable")
    return df.reset_index(drop=True)


def history(sources, out=None, *, force: bool = False, cache_dir=None, cluster=None,
            workers: int | None = None, progress=False, horizon=None,
            settings: HistorySettings | None = None, **kwargs) -> pd.DataFrame:  # fmt: skip
    """GEX, flip, walls and regime for every snapshot in ``sources``, one row per snapshot.

    Parameters
    ----------
    sources : path, glob or a list of them
        Folders (their ``.csv``, ``.dat``, ``.parquet`` files), glob patterns (``**``
        recurses) and files. A long table with a quote-time column holding several times (and
        several underlyings) gives one snapshot per (underlying, quote time); CSV or Parquet.
    out : path, optional
        Also write the history: ``.xlsx`` (values, charts, the study, skipped files,
        settings), ``.csv`` or ``.parquet`` (with ``<name>.settings.json`` beside it). An existing
        file is replaced only with ``force=True``.
    cache_dir : path, optional
        Where finished snapshots are kept (default ``<out stem>.xlgex-cache`` beside ``out``;
        a temporary folder without ``out``). A rerun takes them from there.
    cluster : str or dask Client, optional
        A Dask distributed scheduler address: run there instead of local processes.
    workers : int, optional
        Local worker processes (default: every core).
    progress : bool or file
        Draw a progress bar with an ETA on stderr (or the given stream).
    horizon : str or Timedelta, optional
        The move study's horizon (``"1D"``: first snapshot at least a day later); default
        the next snapshot. See :func:`~xlgex.history.study.move_study`.
    settings, **kwargs
        A :class:`~xlgex.history.task.HistorySettings`, or its fields as keywords
        (convention, gamma_source, unit, rate, div_yield, expiries, iv_unit, multiplier,
        n_levels, range_pct, near_flip_pct, vol_views).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~xlgex.history.task.ROW_COLUMNS` (quote time aware New York), sorted by
        underlying and quote time. ``df.attrs``: ``settings`` (recorded once), ``skipped``
        (each bad file or snapshot with its message), ``counts`` (files, snapshots, computed,
        from cache, skipped) and ``study`` (the move study's verdict and tables, see
        :func:`~xlgex.history.study.move_study`).
    """
    if settings is not None and kwargs:
        raise TypeError("pass either settings= or keyword settings, not both")
    s = settings if settings is not None else HistorySettings(**kwargs)
    info = s.info() | {"xlgex_version": __version__}  # validates every choice up front
    out_path = None if out is None else Path(out)
    written = [] if out_path is None else [out_path, sidecar_path(out_path)]
    files, skipped = expand_sources(sources, exclude=written)
    if out_path is not None:
        check_history_output(out_path, force=force, inputs=files)
    with _cache_folder(out_path, cache_dir) as folder:
        cache = RowCache(folder, s.as_dict())
        tasks, n_files = _plan(files, skipped, cache), len(files)
        ran = _run(tasks, cache, s.as_dict(), cluster=cluster, workers=workers, progress=progress)
        df = _assemble(tasks, cache, ran["uncached"], skipped)
    df.attrs["settings"] = info | {"study_horizon": str(horizon or "next snapshot")}
    df.attrs["horizon"] = horizon
    study = move_study(df, horizon=horizon)
    df.attrs["study"] = study.as_dict()
    df.attrs["skipped"] = [{k: row.get(k, "") for k in SKIP_COLUMNS} for row in skipped]
    df.attrs["counts"] = {"files": n_files, "snapshots": len(df), "computed": ran["computed"],
                          "from_cache": ran["from_cache"], "skipped": len(skipped)}  # fmt: skip
    if out_path is not None:
        write_history(df, out_path, force=True, study=study)  # checked above, before the run
    return df
