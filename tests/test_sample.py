"""The synthetic sample chain: determinism, the bundled CSV, structure, gamma and GEX story.

Gamma, time to settlement and GEX are recomputed here independently of xlgex (scipy.stats.norm,
zoneinfo, plain numpy), so the sample cannot silently agree with a bug in the core.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from xlgex.errors import XlgexError
from xlgex.sample import (
    SAMPLE_ASOF,
    SAMPLE_COLUMNS,
    SAMPLE_LABEL,
    SAMPLE_PATH,
    SAMPLE_SPOT,
    load_sample,
    sample_chain,
)

NY = ZoneInfo("America/New_York")
HEADER = "Root,Expiration,Type,Strike,Open Interest,IV,Gamma,Underlying Price,Quote Time"
# NYSE closed on these third Fridays within the default sample's window, so the SPX monthly
# expires on the Thursday before: Juneteenth 2027 falls on a Saturday, observed Fri 18 June.
HOLIDAY_THIRD_FRIDAYS = {dt.date(2027, 6, 18)}


@pytest.fixture(scope="module")
def sample():
    return sample_chain()


def third_friday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)


def years_to_settlement(frame: pd.DataFrame) -> np.ndarray:
    """ACT/365 in whole minutes, quote time to 09:30 (SPX) or 16:00 (SPXW) New York, in UTC
    so that daylight-saving changes between the two count (aware datetimes sharing a tzinfo
    subtract as wall-clock times in Python)."""
    asof = dt.datetime.strptime(frame["Quote Time"].iloc[0], "%Y-%m-%d %H:%M")
    asof = asof.replace(tzinfo=NY).astimezone(dt.timezone.utc)
    minutes = {}
    for expiry, root in frame[["Expiration", "Root"]].drop_duplicates().itertuples(index=False):
        clock = dt.time(9, 30) if root == "SPX" else dt.time(16, 0)
        settle = dt.datetime.combine(dt.date.fromisoformat(expiry), clock, tzinfo=NY)
        minutes[expiry, root] = (settle.astimezone(dt.timezone.utc) - asof) // dt.timedelta(minutes=1)
    keys = zip(frame["Expiration"], frame["Root"], strict=True)
    return np.array([minutes[key] for key in keys]) / (365.0 * 24 * 60)


def bsm_gamma(spot, strike, t_years, vol):
    """Textbook BSM gamma with r = q = 0 (Hull, ch. 19): N'(d1) / (S sigma sqrt(T))."""
    d1 = (np.log(spot / strike) + 0.5 * vol**2 * t_years) / (vol * np.sqrt(t_years))
    return norm.pdf(d1) / (spot * vol * np.sqrt(t_years))


def gex_profile(frame: pd.DataFrame, spots: np.ndarray) -> np.ndarray:
    """Net GEX, $ per 1% move, dealers long calls / short puts, every contract re-priced at
    each hypothetical spot with its own IV: sum of +-gamma x OI x 100 x S^2 x 0.01."""
    t = years_to_settlement(frame)
    strike = frame["Strike"].to_numpy(float)
    iv = frame["IV"].to_numpy()
    signed_oi = np.where(frame["Type"] == "C", 1.0, -1.0) * frame["Open Interest"].to_numpy()
    gamma = bsm_gamma(spots[:, None], strike, t, iv)
    return (gamma * signed_oi).sum(axis=1) * 100.0 * spots**2 * 0.01


# -- determinism and the bundled file --------------------------------------------------------
def test_same_seed_same_chain(sample):
    pd.testing.assert_frame_equal(sample, sample_chain())
    pd.testing.assert_frame_equal(sample_chain(5_000, seed=7), sample_chain(5_000, seed=7))


def test_seed_moves_open_interest_only(sample):
    other = sample_chain(seed=1)
    assert not other["Open Interest"].equals(sample["Open Interest"])
    pd.testing.assert_frame_equal(other.drop(columns="Open Interest"), sample.drop(columns="Open Interest"))


def test_bundled_csv_is_the_generator_output(sample):
    with SAMPLE_PATH.open("r", encoding="utf-8") as handle:
        assert handle.readline().rstrip("\n") == HEADER
    pd.testing.assert_frame_equal(load_sample(), sample, check_exact=False, rtol=1e-12)


def test_bundled_csv_size():
    size = len(SAMPLE_PATH.read_bytes())
    assert size < 400_000
    assert 3_000 <= len(load_sample()) <= 4_000


def test_label_says_synthetic():
    assert "SYNTHETIC" in SAMPLE_LABEL and "not market data" in SAMPLE_LABEL


# -- sizes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [500, 5_000, 30_000, 100_000])
def test_requested_size_within_5_percent(n):
    frame = sample_chain(n)
    assert abs(len(frame) - n) <= 0.05 * n
    assert list(frame.columns) == list(SAMPLE_COLUMNS)


@pytest.mark.parametrize("n", [0, 499, 1_000_001])
def test_size_out_of_range_is_a_user_error(n):
    with pytest.raises(XlgexError, match="n_contracts"):
        sample_chain(n)


def test_bad_spot_is_a_user_error():
    with pytest.raises(XlgexError, match="spot"):
        sample_chain(spot=0.0)


# -- structure ----------------------------------------------------------------------------------
def test_columns_and_constants(sample):
    assert ",".join(sample.columns) == HEADER
    assert (sample["Underlying Price"] == SAMPLE_SPOT).all()
    assert (sample["Quote Time"] == SAMPLE_ASOF.strftime("%Y-%m-%d %H:%M")).all()
    assert set(sample["Root"]) == {"SPX", "SPXW"}
    assert set(sample["Type"]) == {"C", "P"}
    assert sample["Expiration"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_asof_is_a_friday_but_not_a_third_friday():
    assert SAMPLE_ASOF.weekday() == 4
    assert SAMPLE_ASOF.date() != third_friday(SAMPLE_ASOF.year, SAMPLE_ASOF.month)


def test_one_call_and_one_put_per_strike(sample):
    counts = sample.groupby(["Expiration", "Root", "Strike", "Type"]).size()
    assert (counts == 1).all()
    per_strike = sample.groupby(["Expiration", "Root", "Strike"])["Type"].agg("".join)
    assert (per_strike == "CP").all()


def test_sorted_by_expiration_root_strike_type(sample):
    keys = ["Expiration", "Root", "Strike", "Type"]
    pd.testing.assert_frame_equal(sample, sample.sort_values(keys, ignore_index=True))


def test_zero_dte_and_the_expiry_calendar(sample):
    asof = SAMPLE_ASOF.date()
    dates = {
        root: sorted({dt.date.fromisoformat(d) for d in sample.loc[sample["Root"] == root,
                                                                     "Expiration"]})
        for root in ("SPX", "SPXW")
    }  # fmt: skip
    assert dates["SPXW"][0] == asof  # 0DTE, PM-settled
    assert all(d > asof for d in dates["SPX"])
    # dailies next week, Mon/Wed/Fri weeklies for a month
    week = [asof + dt.timedelta(days=k) for k in range(3, 8)]
    assert set(week) <= set(dates["SPXW"])
    for k in range(7, 29):
        day = asof + dt.timedelta(days=k)
        if day.weekday() in (0, 2, 4) and day != dt.date(2026, 12, 25):  # Christmas: closed
            assert day in dates["SPXW"] or day - dt.timedelta(days=1) in dates["SPXW"]
    # monthlies for six months, and December LEAPS one and two years out
    for k in range(1, 7):
        month = (asof.month - 1 + k) % 12 + 1
        year = asof.year + (asof.month - 1 + k) // 12
        assert third_friday(year, month) in dates["SPX"] or (
            third_friday(year, month) - dt.timedelta(days=1) in dates["SPX"]
        )
    assert third_friday(asof.year + 1, 12) in dates["SPX"]
    assert third_friday(asof.year + 2, 12) in dates["SPX"]


def test_am_settled_spx_only_on_third_fridays(sample):
    for text in sample.loc[sample["Root"] == "SPX", "Expiration"].unique():
        day = dt.date.fromisoformat(text)
        friday = third_friday(day.year, day.month)
        if friday in HOLIDAY_THIRD_FRIDAYS:
            assert day == friday - dt.timedelta(days=1), text
        else:
            assert day == friday, text


def test_settled_am_monthly_is_gone_on_its_third_friday():
    frame = sample_chain(asof=dt.datetime(2026, 11, 20, 10, 30))  # third Friday, after 09:30
    today = frame[frame["Expiration"] == "2026-11-20"]
    assert set(today["Root"]) == {"SPXW"}
    early = sample_chain(asof=dt.datetime(2026, 11, 20, 9, 0))  # before the 09:30 settlement
    assert set(early.loc[early["Expiration"] == "2026-11-20", "Root"]) == {"SPX", "SPXW"}


def test_strikes_every_5_points_near_the_money(sample):
    for (expiry, root), group in sample.groupby(["Expiration", "Root"]):
        strikes = np.unique(group["Strike"].to_numpy())
        near = strikes[np.abs(strikes / SAMPLE_SPOT - 1.0) <= 0.005]
        assert near.size >= 11, (expiry, root)
        assert (np.diff(near) == 5).all(), (expiry, root)
        far = strikes[np.abs(strikes / SAMPLE_SPOT - 1.0) > 0.15]
        assert (far % 25 == 0).all(), (expiry, root)


def test_strike_ranges_widen_with_tenor(sample):
    span = sample.groupby("Expiration")["Strike"].agg(lambda k: k.max() - k.min())
    assert span.iloc[-1] > 3 * span.iloc[0]


def test_values_in_range(sample):
    assert (sample["Strike"] > 0).all()
    assert pd.api.types.is_integer_dtype(sample["Strike"])
    assert pd.api.types.is_integer_dtype(sample["Open Interest"])
    assert (sample["Open Interest"] >= 0).all()
    assert (sample["Open Interest"] == 0).any()
    assert ((sample["IV"] > 0) & (sample["IV"] <= 1.5)).all()
    assert np.isfinite(sample["Gamma"]).all() and (sample["Gamma"] >= 0).all()


def test_smile_shape(sample):
    near = sample[(sample["Expiration"] == "2026-12-18") & (sample["Root"] == "SPX")]
    iv = near.drop_duplicates("Strike").set_index("Strike")["IV"]
    assert 0.12 < iv[5900] < 0.20  # ATM
    assert iv[5600] > iv[5900] > iv[6100]  # put skew
    zero_dte = sample[sample["Expiration"] == SAMPLE_ASOF.date().isoformat()]
    atm_0dte = zero_dte.loc[zero_dte["Strike"] == 5900, "IV"].iloc[0]
    leaps = sample[sample["Expiration"] == sample["Expiration"].max()]
    atm_leaps = leaps.loc[leaps["Strike"] == 5900, "IV"].iloc[0]
    assert 0.13 <= atm_0dte <= 0.18 and 0.17 <= atm_leaps <= 0.20


def test_open_interest_shape(sample):
    oi = sample["Open Interest"]
    calls, puts = sample["Type"] == "C", sample["Type"] == "P"
    below, above = sample["Strike"] < SAMPLE_SPOT, sample["Strike"] > SAMPLE_SPOT
    assert oi[puts & below].sum() > 5 * oi[puts & above].sum()
    assert oi[calls & above].sum() > 2 * oi[calls & below].sum()
    assert oi[puts].sum() > oi[calls].sum()
    by_root = sample.groupby("Root")["Open Interest"].sum()
    assert by_root["SPX"] > by_root["SPXW"]
    near = sample[np.abs(sample["Strike"] / SAMPLE_SPOT - 1) < 0.05]
    round_100 = near.loc[near["Strike"] % 100 == 0, "Open Interest"].mean()
    odd_5 = near.loc[near["Strike"] % 25 != 0, "Open Interest"].mean()
    assert round_100 > 2 * odd_5


# -- gamma --------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [None, 30_000])
def test_gamma_is_bsm_gamma_at_spot_and_asof(n):
    frame = sample_chain(n)
    t = years_to_settlement(frame)
    assert (t > 0).all()
    expected = bsm_gamma(SAMPLE_SPOT, frame["Strike"].to_numpy(float), t, frame["IV"].to_numpy())
    np.testing.assert_allclose(frame["Gamma"], expected, rtol=1e-9, atol=1e-300)


# -- the GEX story ------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [None, 30_000])
def test_gex_positive_at_spot_and_flip_a_little_below(n):
    frame = sample_chain(n)
    spot = SAMPLE_SPOT
    total_at_spot = gex_profile(frame, np.array([spot]))[0]
    assert total_at_spot > 0
    spots = spot * np.linspace(0.90, 1.0, 201)
    profile = gex_profile(frame, spots)
    crossing = np.nonzero(np.diff(np.sign(profile)) != 0)[0]
    assert crossing.size, "no gamma flip below spot"
    flip = spots[crossing[-1]]  # nearest crossing below spot
    assert 0.95 * spot <= flip < 0.995 * spot
    assert profile[0] < 0  # short gamma 10% lower


def test_call_wall_above_and_put_wall_below(sample):
    gamma_oi = sample["Gamma"] * sample["Open Interest"]
    per_strike = gamma_oi.groupby([sample["Type"], sample["Strike"]]).sum()
    call_wall = per_strike["C"].idxmax()
    put_wall = per_strike["P"].idxmax()
    assert SAMPLE_SPOT < call_wall <= 1.05 * SAMPLE_SPOT
    assert 0.95 * SAMPLE_SPOT <= put_wall < SAMPLE_SPOT
