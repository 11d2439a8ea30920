"""History on a real Dask distributed cluster (two worker processes started here): the same
rows as local worker processes, bad files listed the same way."""

from __future__ import annotations

import pandas as pd
import pytest

import xlgex

distributed = pytest.importorskip("dask.distributed")

from tests.test_history import _write_series  # noqa: E402  (after the optional import)


def test_local_cluster_gives_the_same_rows_as_local_processes(tmp_path):
    _write_series(tmp_path / "data")
    local = xlgex.history([tmp_path / "data"], cache_dir=tmp_path / "local", workers=2)
    # dashboard on a free port: None would mean 8787, often taken by another cluster
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:  # fmt: skip
        on_cluster = xlgex.history([tmp_path / "data"], tmp_path / "h.csv", cache_dir=tmp_path / "dask",
                                   cluster=cluster.scheduler_address)  # fmt: skip
    assert on_cluster.attrs["counts"]["computed"] == len(local) + 3  # + the three bad files, each tried
    pd.testing.assert_frame_equal(on_cluster, local)
    assert on_cluster.attrs["skipped"] == local.attrs["skipped"]
    assert len(pd.read_csv(tmp_path / "h.csv")) == len(local)
