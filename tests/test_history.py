"""History: one row per snapshot, equal to the single-snapshot functions; bad files listed;
the cache resumes an interrupted run; the move study against scipy and hand arithmetic."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import xlgex
from xlgex.cli import main
from xlgex.flip import gamma_flip
from xlgex.gex import gex_walls, total_gex
from xlgex.history import ROW_COLUMNS, move_study
from xlgex.history.progress import Progress
from xlgex.history.study import mean_interval, moves, welch_interval
from xlgex.readers import read_chain
from xlgex.regime import classify_regime
from xlgex.sample import sample_snapshots

FIXTURES = Path(__file__).parent / "fixtures"
# A spot path that starts above the flip (about 5,780 for this book), falls through it and
# comes back: both regimes occur.
PATH = [5900, 5850, 5790, 5700, 5640, 5660, 5720, 5800, 5870, 5905, 5880]


def _write_series(folder: Path) -> dict:
    """5 one-snapshot CSVs, a long CSV with 3 snapshots of 2 underlyings, a Parquet with 2,
    a real CBOE file and 3 bad files. Returns what was written."""
    frames = list(sample_snapshots(len(PATH), 600, path=PATH))
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames[:5]):
        f.to_csv(folder / f"snap_{i:02d}.csv", index=False)
    ndx = frames[5].assign(Root="NDX")  # a second underlying in the same table
    long = pd.concat([frames[5], frames[6], ndx, frames[7]])
    long.to_csv(folder / "many.csv", index=False)
    pd.concat(frames[8:10]).to_parquet(folder / "more.parquet", index=False)
    (folder / "cboe_spx_small.csv").write_bytes((FIXTURES / "cboe_spx_small.csv").read_bytes())
    (folder / "garbage.csv").write_text("this is not a chain\n1,2,3\n", encoding="utf-8")
    frames[10].drop(columns=["Quote Time"]).to_csv(folder / "no_time.csv", index=False)
    expired = frames[10].assign(**{"Quote Time": "2031-01-02 10:00"})
    expired.to_csv(folder / "all_expired.csv", index=False)
    return {"frames": frames, "long": long, "bad": {"garbage.csv", "no_time.csv", "all_expired.csv"}}


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    folder = tmp_path_factory.mktemp("series")
    written = _write_series(folder / "data")
    df = xlgex.history([folder / "data"], cache_dir=folder / "cache", workers=2)
    return folder, written, df


def _expected(chain) -> dict:
    total, flip, walls = total_gex(chain), gamma_flip(chain), gex_walls(chain)
    regime = classify_regime(chain)
    return {"regime": regime.base, "regime_label": regime.label,
            "spot": chain.spot, "total_gex": float(total), "share_0dte": total.share_0dte,
            "flip": float(flip), "crossings": len(flip.crossings), "call_wall": walls["call_wall"],
            "put_wall": walls["put_wall"], "abs_gamma_strike": walls["abs_gamma_strike"]}  # fmt: skip


def _same(row, expected: dict) -> None:
    for key, value in expected.items():
        got = row[key]
        if isinstance(value, str):
            assert got == value, key
            continue
        tol = {"abs": 1e-6} if key == "flip" else {"rel": 1e-12}  # flip: refined to 0.01 points
        assert (math.isnan(value) and math.isnan(got)) or got == pytest.approx(value, **tol), key


def test_one_row_per_snapshot_matching_single_file_functions(series):
    folder, written, df = series
    # 5 files + 4 snapshots in many.csv (3 SPX times, 1 NDX) + 2 in Parquet + the CBOE file
    assert len(df) == 12
    assert list(df.columns) == list(ROW_COLUMNS)
    assert set(df["underlying"]) == {"SPX", "NDX"}
    data = folder / "data"
    for name in [f"snap_{i:02d}.csv" for i in range(5)] + ["cboe_spx_small.csv"]:
        (row,) = df[df["source"] == str(data / name)].to_dict("records")
        chain = read_chain(data / name)
        _same(row, _expected(chain))
        assert row["quote_time"] == pd.Timestamp(chain.asof)
    long = written["long"]
    for row in df[df["source"] == str(data / "many.csv")].to_dict("records"):
        when = row["quote_time"].strftime("%Y-%m-%d %H:%M")
        root = {"NDX"} if row["underlying"] == "NDX" else {"SPX", "SPXW"}
        rows = long[(long["Quote Time"] == when) & long["Root"].isin(root)]
        _same(row, _expected(read_chain(rows.reset_index(drop=True))))
    parquet_rows = df[df["source"] == str(data / "more.parquet")]
    for frame in written["frames"][8:10]:
        (row,) = parquet_rows[parquet_rows["quote_time"] == pd.Timestamp(frame["Quote Time"][0],
                                                                        tz="America/New_York")].to_dict("records")
        _same(row, _expected(read_chain(frame)))


def test_regimes_distance_and_sorting(series):
    _, _, df = series
    spx = df[df["underlying"] == "SPX"]
    assert spx["quote_time"].is_monotonic_increasing
    assert {"long gamma", "short gamma"} <= set(df["regime"])
    ok = df["flip"].notna()
    expected = (df.loc[ok, "spot"] - df.loc[ok, "flip"]) / df.loc[ok, "spot"] * 100
    np.testing.assert_allclose(df.loc[ok, "distance_to_flip_pct"], expected, rtol=1e-12)
    assert ((df["total_gex"] > 0) == (df["regime"] == "long gamma")).all()
    assert not df[list(ROW_COLUMNS[:3])].isna().any().any()


def test_bad_files_are_listed_with_their_message(series):
    _, written, df = series
    skipped = {Path(s["source"]).name: s for s in df.attrs["skipped"]}
    assert set(skipped) == written["bad"]
    assert all(s["message"].startswith("xlgex: ") for s in skipped.values())
    assert "no quote time" in skipped["no_time.csv"]["message"]
    assert skipped["all_expired.csv"]["error"] == "NothingPricedError"
    assert df.attrs["counts"]["skipped"] == 3


def test_resume_computes_only_what_the_cache_lacks(series, tmp_path):
    folder, _, df = series
    rows = sorted((folder / "cache" / "rows").glob("*.json"))
    for path in rows[::2]:
        path.unlink()
    again = xlgex.history([folder / "data"], cache_dir=folder / "cache", workers=2)
    assert again.attrs["counts"]["computed"] == len(rows[::2])
    assert again.attrs["counts"]["from_cache"] == len(rows) - len(rows[::2])
    pd.testing.assert_frame_equal(again, df)


def test_without_vol_views_the_figures_are_the_same(series):
    folder, _, df = series
    lean = xlgex.history([folder / "data"], workers=2, vol_views=False)
    assert lean["skew_vol_pts"].isna().all() and lean["term_structure"].isna().all()
    pd.testing.assert_frame_equal(lean[["total_gex", "flip", "call_wall", "regime"]],
                                  df[["total_gex", "flip", "call_wall", "regime"]])  # fmt: skip
    assert lean.attrs["settings"]["skew_and_term_structure"] == "not computed"


def test_edited_file_or_other_settings_are_recomputed(series, tmp_path):
    folder, _, df = series
    again = xlgex.history([folder / "data" / "snap_00.csv"], cache_dir=folder / "cache", workers=1,
                          convention="all_short")  # fmt: skip
    assert again.attrs["counts"]["computed"] == 1
    assert again["total_gex"].iloc[0] < 0 < df["total_gex"].iloc[0]


def _run_cli(args, **kw):
    return subprocess.Popen([sys.executable, "-m", "xlgex", "history", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)  # fmt: skip


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_continues_where_it_stopped(tmp_path, stop):
    data = tmp_path / "data"
    data.mkdir()
    for i, f in enumerate(sample_snapshots(40, 3000, per_day=4)):
        f.to_csv(data / f"s{i:02d}.csv", index=False)
    out, rows = tmp_path / "h.csv", tmp_path / "h.xlgex-cache" / "rows"
    proc = _run_cli([data, "-o", out, "--workers", "1"])
    deadline = time.monotonic() + 600  # generous: a loaded machine starts processes slowly
    while time.monotonic() < deadline and len(list(rows.glob("*.json"))) < 3:
        time.sleep(0.01)
    proc.send_signal(stop)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 128 + stop, err  # 130 for Ctrl-C, 143 for a scheduler's SIGTERM
    assert "run the same command again" in err
    assert not out.exists()
    kept = len(list(rows.glob("*.json")))
    assert 3 <= kept < 40
    assert not list(rows.glob(".*.tmp"))  # no half-written entry
    proc = _run_cli([data, "-o", out, "--workers", "2"])
    stdout, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    assert f"{40 - kept} computed, {kept} from the cache" in stdout
    resumed = pd.read_csv(out)
    fresh = xlgex.history([data], workers=2)
    assert len(resumed) == 40
    np.testing.assert_allclose(resumed["total_gex"], fresh["total_gex"], rtol=1e-15)
    np.testing.assert_allclose(resumed["flip"], fresh["flip"], rtol=0, atol=1e-6)  # refined to 0.01


def test_outputs_xlsx_csv_parquet(series, tmp_path):
    folder, _, df = series
    for suffix in (".csv", ".parquet", ".xlsx"):
        out = tmp_path / f"history{suffix}"
        assert main(["history", str(folder / "data"), "-o", str(out), "--cache-dir",
                     str(folder / "cache"), "--no-progress"]) == 0  # fmt: skip
    back = pd.read_csv(tmp_path / "history.csv")
    assert len(back) == len(df)
    np.testing.assert_allclose(back["total_gex"], df["total_gex"], rtol=1e-15)
    assert back["quote_time"].iloc[0].startswith(df["quote_time"].iloc[0].strftime("%Y-%m-%dT%H:%M"))
    pq = pd.read_parquet(tmp_path / "history.parquet")
    pd.testing.assert_series_equal(pq["flip"], df["flip"])
    about = json.loads((tmp_path / "history.csv.settings.json").read_text())
    assert about["settings"]["convention"] == "calls_long_puts_short"
    assert about["settings"]["study_horizon"] == "next snapshot"
    assert about["study"]["verdict"] == df.attrs["study"]["verdict"]
    assert about["study"]["verdict"].startswith("Too few snapshots to conclude anything")
    # 11 SPX snapshots, one of them (the CBOE file) years before the others: 9 moves, 1 gap
    assert sum(g["moves"] for g in about["study"]["by_regime"]) == about["study"]["moves"] == 9
    assert about["study"]["verdict"].endswith("1 pair(s) of snapshots more than 7D apart were left out.")
    assert {Path(s["source"]).name for s in about["skipped"]} == {"garbage.csv", "no_time.csv",
                                                                    "all_expired.csv"}  # fmt: skip
    # refusing to overwrite without --force
    assert main(["history", str(folder / "data"), "-o", str(tmp_path / "history.csv"), "--no-progress"]) == 2


def test_a_deleted_output_can_be_made_again_but_a_foreign_settings_file_is_kept(series, tmp_path, capsys):
    folder, _, df = series
    out, side = tmp_path / "h.csv", tmp_path / "h.csv.settings.json"
    args = ["history", str(folder / "data"), "-o", str(out), "--cache-dir", str(folder / "cache"),
            "--no-progress"]  # fmt: skip
    assert main(args) == 0
    out.unlink()  # the trader deletes the table; xlgex's settings file for it is left behind
    first = json.loads(side.read_text())
    assert main(args) == 0 and len(pd.read_csv(out)) == len(df)
    assert json.loads(side.read_text())["counts"] == first["counts"]
    out.unlink()
    side.write_text('{"mine": true}', encoding="utf-8")  # a file of the user's under that name
    capsys.readouterr()
    assert main(args) == 2 and not out.exists()
    assert "h.csv.settings.json' already exists; use --force" in capsys.readouterr().err
    assert json.loads(side.read_text()) == {"mine": True}


def test_xlsx_report_holds_values_charts_and_study(series, tmp_path):
    import openpyxl

    folder, _, df = series
    out = tmp_path / "h.xlsx"
    xlgex.history([folder / "data"], out, cache_dir=folder / "cache", workers=1)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["History", "Charts", "Study", "Moves", "Skipped", "Settings"]
    hist = wb["History"]
    header = [c.value for c in hist[1]]
    assert header == [*ROW_COLUMNS, "short_gamma", "time_label"]
    assert hist.max_row == len(df) + 1
    values = [c.value for row in hist.iter_rows(min_row=2) for c in row]
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in values)
    assert not any(isinstance(v, str) and v.lower() in ("nan", "inf") for v in values)
    spots = [r[2].value for r in hist.iter_rows(min_row=2)]
    np.testing.assert_allclose(spots, df["spot"])
    study = [c.value for c in wb["Study"]["A"] if c.value]
    assert any(str(v).startswith("Too few snapshots") for v in study)
    assert wb["Skipped"].max_row == 4
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) == 2 * df["underlying"].nunique()


@pytest.mark.skipif(not any(Path(p, "soffice").exists() for p in os.environ.get("PATH", "").split(":")),
                    reason="LibreOffice not installed")  # fmt: skip
def test_history_report_opens_in_libreoffice(series, tmp_path):
    folder, _, df = series
    out = tmp_path / "h.xlsx"
    xlgex.history([folder / "data"], out, cache_dir=folder / "cache", workers=1)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "csv", "--outdir", str(tmp_path / "lo_out"), str(out)],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    back = pd.read_csv(tmp_path / "lo_out" / "h.csv")  # the first sheet: History
    assert len(back) == len(df)
    np.testing.assert_allclose(back["spot"], df["spot"], rtol=1e-9)


def test_history_is_callable_from_the_package():
    import xlgex.history as module

    assert callable(xlgex.history) and callable(module)


def test_command_fails_when_no_snapshot_gives_a_row(tmp_path, capsys):
    assert main(["history", str(tmp_path / "nowhere"), "-o", str(tmp_path / "h.csv"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"skipped {tmp_path / 'nowhere'}: xlgex: {tmp_path / 'nowhere'}: no such file" in err
    assert "no snapshot gave a row" in err


def test_missing_source_is_listed(tmp_path):
    df = xlgex.history([tmp_path / "nothing_here.csv", str(tmp_path / "*.csv")], workers=1)
    assert len(df) == 0
    assert [s["message"] for s in df.attrs["skipped"]] == [
        f"xlgex: {tmp_path / 'nothing_here.csv'}: no such file",
        f"xlgex: {tmp_path / '*.csv'}: no file matches",
    ]


# -- the study ---------------------------------------------------------------------------------
def _toy(spots, regimes, distances, hours=1):
    times = pd.date_range("2026-01-05 10:00", periods=len(spots), freq=f"{hours}h", tz="America/New_York")
    return pd.DataFrame({"quote_time": times, "underlying": "SPX", "spot": spots, "regime": regimes,
                         "distance_to_flip_pct": distances})  # fmt: skip


def test_moves_by_hand():
    df = _toy([100.0, 102.0, 99.0, 101.0], ["long gamma", "short gamma", "long gamma", "short gamma"],
              [1.5, -0.5, np.nan, 3.0])  # fmt: skip
    m = moves(df)
    # |102/100 - 1| = 2%, |99/102 - 1| = 2.941176..%, |101/99 - 1| = 2.020202..%
    np.testing.assert_allclose(m["abs_return_pct"], [2.0, 300 / 102, 200 / 99], rtol=1e-12)
    assert m["range_pct"].isna().all()  # no snapshot in between
    two_hours = moves(df, horizon="2h")
    # 100 -> 99 through 102: return 1%, range (102 - 99) / 100 = 3%
    np.testing.assert_allclose(two_hours["abs_return_pct"], [1.0, 100 / 102], rtol=1e-12)
    np.testing.assert_allclose(two_hours["range_pct"], [3.0, 300 / 102], rtol=1e-12)


def test_intervals_match_scipy():
    rng = np.random.default_rng(7)
    a, b = rng.gamma(2.0, 0.4, 30), rng.gamma(2.0, 0.7, 17)
    mean, low, high = mean_interval(a)
    ci = stats.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=stats.sem(a))
    assert (mean, low, high) == pytest.approx((a.mean(), *ci), rel=1e-12)
    if not hasattr(stats.ttest_ind(a, b), "confidence_interval"):
        pytest.skip("scipy < 1.11 has no confidence_interval on ttest_ind")
    diff, low, high = welch_interval(b, a)
    ci = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert (diff, low, high) == pytest.approx((b.mean() - a.mean(), ci.low, ci.high), rel=1e-12)


def test_study_verdicts():
    few = move_study(_toy([100.0, 101.0, 100.5], ["long gamma", "short gamma", "long gamma"], [1, -1, 1]))
    assert few.verdict.startswith("Too few snapshots to conclude anything: 1 moves after long-gamma")
    rng = np.random.default_rng(3)
    regimes = np.where(np.arange(200) % 2 == 0, "long gamma", "short gamma")
    steps = np.where(regimes == "long gamma", 0.002, 0.02) * rng.choice([-1.0, 1.0], 200)
    spots = 100 * np.cumprod(np.r_[1.0, 1 + steps[:-1]])
    study = move_study(_toy(spots, regimes, np.linspace(-3, 3, 200)))
    assert "percentage points larger" in study.verdict and "distinguishable from zero" in study.verdict
    assert "not distinguishable" not in study.verdict
    assert list(study.by_regime["group"]) == ["long gamma", "short gamma"]
    assert study.by_regime["moves"].sum() == 199
    assert study.by_distance["moves"].sum() == 199
    assert study.by_regime.set_index("group").loc["short gamma", "mean_abs_return_pct"] == pytest.approx(2.0)


def test_snapshots_at_the_same_time_count_once():
    df = _toy([100.0, 101.0, 102.0], ["long gamma"] * 3, [1, 1, 1])
    twice = pd.concat([df, df.iloc[[1]].assign(spot=999.0)], ignore_index=True)
    np.testing.assert_allclose(moves(twice)["abs_return_pct"], [1.0, 100 / 101], rtol=1e-12)
    assert move_study(twice).verdict.endswith(
        "1 snapshot(s) at a time already seen for the same underlying were counted once.")


def test_pairs_further_apart_than_max_gap_are_left_out():
    df = _toy([100.0, 101.0, 150.0, 151.0], ["long gamma", "short gamma", "long gamma", "short gamma"],
              [1, -1, 1, -1], hours=24 * 20)  # fmt: skip
    assert len(moves(df)) == 3
    study = move_study(df)
    assert len(study.moves) == 0
    assert study.verdict.endswith("3 pair(s) of snapshots more than 7D apart were left out.")
    assert len(move_study(df, max_gap=None).moves) == 3


def test_progress_line_has_rate_and_eta():
    import io

    stream = io.StringIO()
    bar = Progress(4, stream=stream, every_s=0.0)
    for _ in range(4):
        bar.update()
    assert "4/4" in stream.getvalue() and "ETA 0:00:00" in stream.getvalue()
    assert "/s" in bar.line()


def test_sample_snapshots_follow_the_path_and_drop_expired():
    frames = list(sample_snapshots(6, 600, path=[5900, 5800, 5700, 5750, 5850, 5950], per_day=1))
    assert [f["Underlying Price"].iloc[0] for f in frames] == [5900, 5800, 5700, 5750, 5850, 5950]
    assert all(len(a) >= len(b) for a, b in zip(frames, frames[1:], strict=False))
    for f in frames:
        chain = read_chain(f)
        assert chain.diagnostics.dropped.get("expired", 0) == 0
    again = list(sample_snapshots(6, 600, per_day=1))
    assert [f["Underlying Price"].iloc[0] for f in again] == [f["Underlying Price"].iloc[0]
                                                            for f in sample_snapshots(6, 600, per_day=1)]


def _die_on_three(task, offset):
    """A task function whose process dies on task 3 (as an out-of-memory kill would)."""
    if task == 3:
        os._exit(1)
    return task + offset


def _plus(task, offset):
    return task + offset


def test_local_engine_keeps_only_a_window_of_tasks_in_flight():
    from xlgex.history.engine import WINDOW_PER_WORKER, run_local

    pulled, seen = [], []

    def tasks():
        for i in range(60):
            pulled.append(i)
            yield i

    run_local(_plus, tasks(), (0,), lambda r: seen.append((r, len(pulled))), workers=2)
    assert sorted(r for r, _ in seen) == list(range(60))
    # when each result arrives, at most one window beyond it has been taken from the tasks
    assert all(n <= k + 1 + WINDOW_PER_WORKER * 2 for k, (_, n) in enumerate(seen))


def test_a_dying_worker_process_costs_only_its_snapshot():
    from xlgex.history.engine import run_local

    results = []
    run_local(_die_on_three, range(8), (100,), results.append, workers=2,
              on_crash=lambda task: f"crashed {task}")  # fmt: skip
    assert sorted(results, key=str) == sorted([100, 101, 102, "crashed 3", 104, 105, 106, 107], key=str)


def test_history_table_reads_every_output_the_same(series, tmp_path):
    from xlgex.history.excel import history_table

    folder, _, df = series
    tables = []
    for suffix in (".csv", ".parquet", ".xlsx"):
        out = tmp_path / f"h{suffix}"
        xlgex.history([folder / "data"], out, cache_dir=folder / "cache", workers=1)
        tables.append(history_table(str(out), "spx", "quote_time, spot, flip, regime", 3))
    assert tables[0] == tables[1] == tables[2]
    header, *rows = tables[0]
    spx = df[df["underlying"] == "SPX"].tail(3)
    assert header == ["quote_time", "spot", "flip", "regime"]
    assert [r[0] for r in rows] == [t.tz_localize(None).to_pydatetime() for t in spx["quote_time"]]
    assert [r[1] for r in rows] == list(spx["spot"])
    full = history_table(str(tmp_path / "h.csv"))
    assert len(full) == len(df) + 1
    assert not any(isinstance(v, float) and not math.isfinite(v) for row in full for v in row)
    with pytest.raises(xlgex.XlgexError, match="no column nope"):
        history_table(str(tmp_path / "h.csv"), columns="spot,nope")
    with pytest.raises(xlgex.XlgexError, match="no history file"):
        history_table(str(tmp_path / "missing.csv"))


def test_a_file_the_worker_cannot_see_is_not_cached_as_bad():
    from xlgex.history.task import analyse

    result = analyse({"source": "x.csv", "part": "", "path": "/nonexistent/x.csv", "underlying": "SPX"}, {})
    assert result["status"] == "skipped" and not result["cacheable"]
    assert result["row"]["message"].startswith("xlgex: the worker cannot see '/nonexistent/x.csv'")


def test_gex_history_through_the_excel_call_path(series, tmp_path):
    import datetime as dt

    from .xlharness import UDFHarness

    folder, _, df = series
    out = tmp_path / "h.csv"
    xlgex.history([folder / "data"], out, cache_dir=folder / "cache", workers=1)
    with UDFHarness("xlgex.udfs") as xl:
        got = xl.call("GEX_HISTORY", str(out), "SPX", "quote_time,spot,flip", 2.0)
        missing = xl.call("GEX_HISTORY", str(tmp_path / "nope.csv"))
        blank = xl.call("GEX_HISTORY", None)
    spx = df[df["underlying"] == "SPX"].tail(2)
    # Excel dates cross COM without a zone: the harness hands them back marked UTC
    rows = [[r[0].replace(tzinfo=None), *r[1:]] for r in got[1:]]
    assert rows == [[t.tz_localize(None).to_pydatetime(), s, f if f == f else "none"]
                    for t, s, f in zip(spx["quote_time"], spx["spot"], spx["flip"], strict=True)]
    assert isinstance(got[1][0], dt.datetime) and list(got[0]) == ["quote_time", "spot", "flip"]
    assert missing.startswith("xlgex: no history file at")
    assert blank.startswith("xlgex: give history_file")


def test_study_horizon_through_history(series):
    folder, _, df = series
    daily = xlgex.history([folder / "data"], cache_dir=folder / "cache", workers=1, horizon="1D")
    assert daily.attrs["counts"]["computed"] == 0  # the horizon is the study's: rows come from the cache
    assert daily.attrs["study"]["horizon"] == "1D"
    m = move_study(daily, horizon="1D").moves
    assert len(m) and (m["gap_hours"] >= 24).all()
    assert daily.attrs["study"]["moves"] == len(m)


def test_semicolon_decimal_comma_and_utf16_tables(tmp_path):
    frames = list(sample_snapshots(3, 600))
    data = tmp_path / "data"
    data.mkdir()
    pd.concat(frames).to_csv(data / "eu.csv", sep=";", decimal=",", index=False)
    frames[0].to_csv(data / "one_utf16.csv", sep="\t", index=False, encoding="utf-16")
    df = xlgex.history([data], workers=2)
    assert df.attrs["skipped"] == []
    eu = df[df["source"] == str(data / "eu.csv")]
    assert len(eu) == 3 and eu["part"].str.startswith("SPX @ ").all()
    for frame, row in zip(frames, eu.to_dict("records"), strict=True):
        _same(row, _expected(read_chain(frame)))
    (utf16,) = df[df["source"] == str(data / "one_utf16.csv")].to_dict("records")
    _same(utf16, _expected(read_chain(frames[0])))


def test_output_and_cache_among_the_sources_are_not_read_back(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for i, f in enumerate(sample_snapshots(3, 600)):
        f.to_csv(data / f"s{i}.csv", index=False)
    frames = list(sample_snapshots(2, 600, start=pd.Timestamp("2026-12-01 10:30").to_pydatetime()))
    pd.concat(frames).to_csv(data / "many.csv", index=False)  # split into parts in the cache
    for source in (data, data / "**" / "*.csv", data):  # the output exists from the 2nd run on
        assert main(["history", str(source), "-o", str(data / "h.csv"), "--force", "--no-progress"]) == 0
        about = json.loads((data / "h.csv.settings.json").read_text())
        assert about["counts"]["files"] == 4 and about["skipped"] == [], about
        assert len(pd.read_csv(data / "h.csv")) == 5
    assert list((data / "h.xlgex-cache" / "parts").iterdir())  # the parts exist, and were not read
    with pytest.raises(xlgex.XlgexError, match="is the input file"):
        xlgex.history([data / "s0.csv"], data / "s0.csv", force=True)


def test_command_runs_outside_the_main_thread(tmp_path):
    """A notebook or an add-in may call the command from a worker thread, where Python
    refuses to set signal handlers: the run still completes."""
    import threading

    data = tmp_path / "data"
    data.mkdir()
    for i, f in enumerate(sample_snapshots(2, 600)):
        f.to_csv(data / f"s{i}.csv", index=False)
    status = []
    worker = threading.Thread(target=lambda: status.append(
        main(["history", str(data), "-o", str(tmp_path / "h.csv"), "--workers", "1", "--no-progress"])))
    worker.start()
    worker.join()
    assert status == [0]
    assert len(pd.read_csv(tmp_path / "h.csv")) == 2


def test_json_snapshots_are_named_by_their_symbol(tmp_path):
    """TD/Schwab and CBOE JSON carry the underlying as ``symbol``: two JSON series of different
    underlyings are never taken for one (the move study pairs snapshots per underlying)."""
    from xlgex.history.sources import UNNAMED, plan_tasks

    files = {"tda.json": {"symbol": "SPY", "underlyingPrice": 390.65, "callExpDateMap": {}},
             "cboe.json": {"timestamp": "2026-11-20 10:30:00", "data": {"symbol": "_SPX", "options": []}},
             "plain.json": [1, 2, 3]}  # fmt: skip
    for name, document in files.items():
        (tmp_path / name).write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"symbol": "SP', encoding="utf-8")
    named = {p: plan_tasks(tmp_path / p, tmp_path / "parts")[0].underlying
             for p in ("tda.json", "cboe.json", "plain.json", "broken.json")}  # fmt: skip
    assert named == {"tda.json": "SPY", "cboe.json": "SPX", "plain.json": UNNAMED, "broken.json": UNNAMED}


def test_a_run_names_json_and_workbook_snapshots_in_its_workers(tmp_path):
    """A run leaves naming a JSON chain or a workbook (a whole read) to the worker that reads
    it anyway; the row carries the name the planner would have given, and a rerun from the
    cache keeps it."""
    import shutil

    from xlgex.history.sources import plan_tasks

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(Path(__file__).parent / "fixtures" / "formats" / "cboe_delayed.json", data / "cboe.json")
    frame = next(iter(sample_snapshots(1, 600)))
    ndx = frame["Root"].str.replace("SPXW", "NDXP").str.replace("SPX", "NDX")  # PM and AM roots
    frame.assign(Root=ndx).to_excel(data / "ndx.xlsx", index=False)
    expected = {str(p): plan_tasks(p, tmp_path / "parts")[0].underlying for p in data.iterdir()}
    assert sorted(expected.values()) == ["NDX", "SPX"]
    for computed in (2, 0):
        df = xlgex.history([data], cache_dir=tmp_path / "cache", workers=1)
        assert df.attrs["counts"]["computed"] == computed
        assert dict(zip(df["source"], df["underlying"], strict=True)) == expected


def test_schwab_index_symbols_name_the_index():
    """Schwab writes an index as ``$SPX``: its snapshots group with SPX from other sources."""
    from xlgex.history.sources import file_underlying, normalise_root

    assert file_underlying(Path(__file__).parent / "fixtures" / "formats" / "schwab_chain.json") == "SPX"
    assert [normalise_root(r) for r in ("$SPX", "_SPX", "^spx", "SPXW")] == ["SPX"] * 4


def test_workbook_snapshots_are_named_by_their_rows(tmp_path):
    from xlgex.history.sources import UNNAMED, plan_tasks

    frame = next(iter(sample_snapshots(1, 600)))
    frame.assign(Root="NDXP").to_excel(tmp_path / "ndx.xlsx", index=False)
    frame.drop(columns=[c for c in frame.columns if c.lower() in ("root", "underlying")]).to_excel(
        tmp_path / "plain.xlsx", index=False)  # fmt: skip
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    named = {p: plan_tasks(tmp_path / p, tmp_path / "parts")[0].underlying
             for p in ("ndx.xlsx", "plain.xlsx", "broken.xlsx")}  # fmt: skip
    assert named == {"ndx.xlsx": "NDX", "plain.xlsx": UNNAMED, "broken.xlsx": UNNAMED}


def test_a_folder_gives_its_workbooks_but_not_excels_lock_files(tmp_path):
    frame = next(iter(sample_snapshots(1, 600)))
    data = tmp_path / "data"
    data.mkdir()
    frame.to_excel(data / "snap.xlsx", index=False)
    (data / "~$snap.xlsx").write_bytes(b"\x0bowner" + bytes(150))  # Excel's lock file while open
    df = xlgex.history([data], workers=1)
    assert df.attrs["skipped"] == [] and len(df) == 1
    (row,) = df.to_dict("records")
    assert row["source"] == str(data / "snap.xlsx") and row["underlying"] == "SPX"
    _same(row, _expected(read_chain(data / "snap.xlsx")))
