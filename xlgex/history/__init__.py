"""GEX, flip and regime through time: many snapshots, one row each, on one machine or a cluster.

``xlgex.history(sources, out)`` (this package is itself callable) reads every snapshot in
``sources``, runs the per-snapshot task (:mod:`xlgex.history.task`: read, total GEX, flip,
walls, regime, through the public single-snapshot functions) on local worker processes or a
Dask cluster (:mod:`xlgex.history.engine`), keeps each finished snapshot in a resumable cache
(:mod:`xlgex.history.cache`), and writes the table, the charts and the move study
(:mod:`xlgex.history.study`, :mod:`xlgex.history.writer`).
"""

from __future__ import annotations

import sys
import types

from .run import OUTPUT_SUFFIXES, cache_folder_for, history
from .study import move_study
from .task import ROW_COLUMNS, HistorySettings

__all__ = ["history", "move_study", "HistorySettings", "ROW_COLUMNS", "OUTPUT_SUFFIXES",
           "cache_folder_for"]  # fmt: skip


class _CallableModule(types.ModuleType):
    """``xlgex.history(...)`` works whether ``xlgex.history`` resolved to this package or the function."""

    def __call__(self, *args, **kwargs):
        return history(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
