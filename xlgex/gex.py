"""Dealer exposures of a chain: per contract, per strike, per expiry, totals, walls.

Every function takes a :class:`~xlgex.chain.Chain` and the same keyword settings:

convention : str, default ``"calls_long_puts_short"``
    Who is long what; see :data:`xlgex.conventions.CONVENTIONS`. ``"signed"`` reads the
    chain's Dealer Position column (+ long).
gamma_source : {"model", "chain"}, default ``"model"``
    ``"model"`` recomputes BSM gamma from each row's IV at the chain's spot and as-of time;
    rows without IV are excluded and counted. ``"chain"`` uses the source's own Gamma column.
unit : {"usd_per_1pct", "usd_per_point", "shares_per_usd"}, default ``"usd_per_1pct"``
rate, div_yield : float, default 0
    Decimals per year, continuously compounded, for model gamma.
expiries : None, "0dte", "ex0dte", (first, last) or list of dates
    Which expiries to include (see :meth:`Chain.select`).
preset : None or "classic"
    ``"classic"`` reproduces the widely copied public GEX script for reconciliation: dealers
    long calls and short puts, the chain's own gamma summed over every listed row. It is not
    the default because vendor gammas use the vendor's clock and rates, and the same script
    then re-prices the profile with a 262-weekday year and a one-day floor for 0DTE.

Results record what they used: DataFrames in ``df.attrs``, floats as :class:`Figure`.

Rules every figure keeps:

* **A number only from priced contracts.** :func:`coverage` says which contracts a figure
  prices (live at the as-of, inside ``expiries``, with gamma) and why the others are left out;
  with none priced every figure raises :class:`~xlgex.errors.NothingPricedError`, one line
  with the counts. A true zero (contracts priced, exposure zero) stays 0.
* **Each contract once.** Under the open-interest conventions a contract listed twice is a
  :class:`~xlgex.errors.ChainError` naming both rows; under ``"signed"`` the positions of
  one contract add up, like a book of trades.
* **No inf or NaN.** An overflow raises :class:`~xlgex.errors.OverflowXlgexError`.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd

from .chain import Chain
from .conventions import CONVENTIONS, DEFAULT_CONVENTION, DEFAULT_GEX_UNIT, GEX_UNITS
from .core.exposure import dealer_sign, gex_per_contract, sum_by_key, walls
from .core.greeks import bs_gamma, greeks
from .errors import ChainError, NothingPricedError, OverflowXlgexError, error
from .results import Figure

__all__ = [
    "GexSettings",
    "coverage",
    "gex_settings",
    "dealer_contracts",
    "gex_by_contract",
    "gex_by_strike",
    "gex_by_expiry",
    "total_gex",
    "gex_walls",
    "exposure_by_strike",
    "EXPOSURE_UNITS",
]

GAMMA_SOURCES = ("model", "chain")
PRESETS = ("classic",)
TIME_RULE = "ACT/365 in minutes to settlement (PM 16:00, AM 09:30 New York); expired dropped"
CLASSIC_TIME_RULE = "weekdays to expiry / 262, same-day = 1/262 (classic preset)"

EXPOSURE_UNITS = {
    "gamma": "$ of underlying traded per 1% move (GEX)",
    "delta": "$ of underlying: dealer delta x multiplier x spot (DEX)",
    "vanna": "$ of underlying delta per +1 vol point (0.01) (VEX)",
    "charm": "$ of underlying delta per calendar day (CEX)",
}


@dataclasses.dataclass(frozen=True)
class GexSettings:
    """Validated analysis settings (see the module docstring)."""

    convention: str = DEFAULT_CONVENTION
    gamma_source: str = "model"
    unit: str = DEFAULT_GEX_UNIT
    rate: float = 0.0
    div_yield: float = 0.0
    expiries: object = None
    preset: str | None = None

    def info(self) -> dict:
        return {
            "convention": self.convention,
            "convention_text": CONVENTIONS[self.convention],
            "gamma_source": self.gamma_source,
            "unit": self.unit,
            "unit_text": GEX_UNITS[self.unit],
            "time_rule": CLASSIC_TIME_RULE if self.preset == "classic" else TIME_RULE,
            "rate": self.rate,
            "div_yield": self.div_yield,
            "preset": self.preset,
        }


def _choice(what: str, value, choices) -> str:
    if value not in choices:
        raise error("unknown_choice", what=what, value=value, choices=", ".join(choices))
    return value


def gex_settings(convention=None, gamma_source=None, unit=None, rate=0.0, div_yield=0.0,
                 expiries=None, preset=None) -> GexSettings:  # fmt: skip
    """Validate settings; blanks (None or "") take the defaults."""
    preset = preset or None
    if preset is not None:
        _choice("preset", str(preset).lower(), PRESETS)
        return GexSettings(gamma_source="chain", unit=unit or DEFAULT_GEX_UNIT,
                           expiries=expiries, preset="classic")  # fmt: skip
    for name, value in (("rate", rate), ("div_yield", div_yield)):
        if not np.isfinite(value):
            raise error("not_number", column=name, value=value)
    return GexSettings(
        convention=_choice("convention", convention or DEFAULT_CONVENTION, tuple(CONVENTIONS)),
        gamma_source=_choice("gamma_source", gamma_source or "model", GAMMA_SOURCES),
        unit=_choice("unit", unit or DEFAULT_GEX_UNIT, tuple(GEX_UNITS)),
        rate=float(rate or 0.0),
        div_yield=float(div_yield or 0.0),
        expiries=expiries,
    )


def _resolve(settings: GexSettings | None, kwargs: dict) -> GexSettings:
    if settings is not None and kwargs:
        raise TypeError("pass either settings= or keyword settings, not both")
    return settings if settings is not None else gex_settings(**kwargs)


def dealer_contracts(chain: Chain, convention: str = DEFAULT_CONVENTION) -> np.ndarray:
    """Signed dealer contracts per row (+ long) under ``convention``."""
    _choice("convention", convention, tuple(CONVENTIONS))
    if convention == "signed":
        if chain.dealer_position is None:
            raise error("no_dealer_position")
        return chain.dealer_position
    return dealer_sign(chain.is_call, convention) * chain.open_interest


def _expiries_text(expiries) -> str:
    if expiries is None or isinstance(expiries, str):
        return str(expiries or "all")
    return ", ".join(str(np.datetime64(d, "D")) if d is not None else "open" for d in expiries)


def coverage(chain: Chain, settings: GexSettings | None = None, **kwargs) -> dict:
    """Which contracts a figure prices under these settings, and why the others are left out.

    One meaning of "contracts used" everywhere (API, command line, report, ``GEX_INFO``).

    Returns
    -------
    dict
        ``asof`` (aware New York datetime), ``asof_text`` and ``asof_source``: the as-of used;
        ``contracts_read``: contracts in the chain, live or expired at that as-of (rows a
        reader dropped as blank are no contracts; see ``reader_dropped``);
        ``contracts_priced``: contracts that carry gamma and enter every figure;
        ``excluded``: contracts left out by reason, in the order applied: ``expired`` (settled
        at the as-of), ``filtered`` (outside ``expiries``), ``no_iv`` (model gamma without an
        IV), ``no_gamma`` (``gamma_source="chain"`` without the source's gamma);
        ``excluded_oi`` and ``excluded_oi_share``: each reason's open interest, and its share
        of the open interest read (0 to 1);
        ``oi_read``, ``oi_priced`` (contracts of open interest) and ``expiries_text``.
        ``contracts_read == contracts_priced + sum(excluded.values())``.

    Raises
    ------
    ChainError
        A contract listed twice under an open-interest convention (each contract once:
        only ``convention="signed"`` adds rows of one contract up, like a book of trades);
        ``gamma_source="chain"`` on a chain without a Gamma column.
    """
    return _coverage(chain, _resolve(settings, kwargs))[0]


def _coverage(chain: Chain, s: GexSettings):
    """The coverage dict, and the priced sub-chain with its gamma per option."""
    classic = s.preset == "classic"
    if s.convention != "signed" and chain.duplicate_rows is not None:
        first, repeat = chain.duplicate_rows
        raise error("duplicate_contract", first=first, repeat=repeat)
    expired = None if classic else chain.expired
    base = chain.including_expired() if classic else chain
    selected = base.select(s.expiries)
    if s.gamma_source == "chain":
        listed = [c.chain_gamma for c in (base, expired) if c is not None]
        gammas = np.concatenate(listed)
        if gammas.size and not np.isfinite(gammas).any():
            raise ChainError("xlgex: the chain has no Gamma column; use gamma_source 'model'")
        usable, reason = np.isfinite(selected.chain_gamma), "no_gamma"
    else:
        usable, reason = selected.has_iv, "no_iv"
    used = selected if usable.all() else selected.take(usable)
    n_expired = 0 if expired is None else len(expired)
    oi_expired = 0.0 if expired is None else float(expired.open_interest.sum())
    oi_base = float(base.open_interest.sum())
    oi_selected = float(selected.open_interest.sum())
    oi_used = float(used.open_interest.sum())
    excluded = {"expired": n_expired, "filtered": len(base) - len(selected),
                "no_iv": 0, "no_gamma": 0}  # fmt: skip
    excluded[reason] = len(selected) - len(used)
    oi_read = oi_base + oi_expired
    oi_out = {"expired": oi_expired, "filtered": oi_base - oi_selected, "no_iv": 0.0,
              "no_gamma": 0.0, reason: oi_selected - oi_used}  # fmt: skip
    diag = chain.diagnostics
    cov = {
        "asof": chain.asof,
        "asof_text": f"{chain.asof:%Y-%m-%d %H:%M} New York",
        "asof_source": diag.asof_source,
        "expiries": s.expiries,
        "expiries_text": _expiries_text(s.expiries),
        "gamma_source": s.gamma_source,
        "contracts_read": len(base) + n_expired,
        "contracts_priced": len(used),
        "excluded": excluded,
        "excluded_oi": oi_out,
        "excluded_oi_share": {k: v / oi_read if oi_read > 0 else 0.0 for k, v in oi_out.items()},
        "oi_read": oi_read,
        "oi_priced": oi_used,
        "reader_dropped": {k: v for k, v in diag.dropped.items() if k != "expired"},
    }
    if reason == "no_iv":
        return cov, used, None
    return cov, used, used.chain_gamma


def _priced(chain: Chain, s: GexSettings):
    """The priced contracts under ``s``, their gamma, dealer contracts and the info.

    Raises :class:`NothingPricedError` when no contract is priced: no figure without one.
    """
    cov, used, gamma = _coverage(chain, s)
    if not cov["contracts_priced"]:
        raise NothingPricedError(cov)
    if gamma is None:
        gamma = bs_gamma(used.spot, used.strike, used.t_years, used.iv, s.rate, s.div_yield)
    info = s.info() | {
        "spot": chain.spot,
        "asof": chain.asof.isoformat(timespec="minutes"),
        "contracts_read": cov["contracts_read"],
        "contracts_priced": cov["contracts_priced"],
        "rows_excluded_no_iv": cov["excluded"]["no_iv"],
        "oi_excluded_no_iv": cov["excluded_oi"]["no_iv"],
        "coverage": cov,
    }
    return used, gamma, dealer_contracts(used, s.convention), info


def _overflow(what: str, chain: Chain) -> OverflowXlgexError:
    return error("overflow", what=what, oi=float(np.max(chain.open_interest, initial=0.0)),
                 spot=chain.spot, cls=OverflowXlgexError)  # fmt: skip


def _check_finite(values, what: str, chain: Chain) -> None:
    """Overflow is a message, never an inf or NaN figure."""
    if not np.all(np.isfinite(values)):
        raise _overflow(what, chain)


def _no_overflow(figure):
    """Run a figure with numpy's overflow and invalid operations raising, as a message."""

    @functools.wraps(figure)
    def guarded(chain: Chain, *args, **kwargs):
        with np.errstate(over="raise", invalid="raise"):
            try:
                return figure(chain, *args, **kwargs)
            except FloatingPointError:
                raise _overflow(figure.__name__.replace("_", " "), chain) from None

    return guarded


@_no_overflow
def gex_by_contract(chain: Chain, *, settings: GexSettings | None = None, **kwargs) -> pd.DataFrame:
    """One row per contract: strike, expiry, type, open interest, dealer contracts, gamma, gex."""
    s = _resolve(settings, kwargs)
    used, gamma, dealer, info = _priced(chain, s)
    gex = gex_per_contract(gamma, dealer, used.multiplier, used.spot, s.unit)
    _check_finite(gex, "the GEX of a contract", used)
    df = pd.DataFrame({
        "strike": used.strike, "expiry": used.expiry, "is_call": used.is_call,
        "open_interest": used.open_interest, "dealer_contracts": dealer,
        "gamma": gamma, "gex": gex,
    })  # fmt: skip
    df.attrs.update(info)
    return df


def _contract_gex(chain: Chain, s: GexSettings):
    used, gamma, dealer, info = _priced(chain, s)
    gex = gex_per_contract(gamma, dealer, used.multiplier, used.spot, s.unit)
    _check_finite(gex, "the GEX of a contract", used)
    return used, gex, info


def _by(keys, is_call, gex, groups=None):
    return sum_by_key(keys, np.where(is_call, gex, 0.0), np.where(is_call, 0.0, gex), groups=groups)


@_no_overflow
def gex_by_strike(chain: Chain, *, settings: GexSettings | None = None, **kwargs) -> pd.DataFrame:
    """Dealer GEX per strike: columns ``strike, call_gex, put_gex, net_gex``, sorted by strike.

    Units per ``unit`` (default $ per 1% move). ``df.attrs`` records the settings, rows used
    and rows excluded.
    """
    s = _resolve(settings, kwargs)
    used, gex, info = _contract_gex(chain, s)
    strikes, (calls, puts) = _by(used.strike, used.is_call, gex, used.strike_groups)
    _check_finite(np.concatenate([calls, puts, calls + puts]), "GEX per strike", used)
    df = pd.DataFrame({"strike": strikes, "call_gex": calls, "put_gex": puts,
                       "net_gex": calls + puts})  # fmt: skip
    df.attrs.update(info)
    return df


@_no_overflow
def gex_by_expiry(chain: Chain, *, settings: GexSettings | None = None, **kwargs) -> pd.DataFrame:
    """Dealer GEX per expiry: ``expiry, is_0dte, call_gex, put_gex, net_gex, share_abs``.

    ``share_abs`` is the expiry's share of gross ``|GEX|`` over all contracts.
    """
    s = _resolve(settings, kwargs)
    used, gex, info = _contract_gex(chain, s)
    days, (calls, puts) = _by(used.expiry, used.is_call, gex)
    _, (gross,) = sum_by_key(used.expiry, np.abs(gex))
    total_gross = gross.sum()
    _check_finite(total_gross, "GEX per expiry", used)
    df = pd.DataFrame({
        "expiry": days, "is_0dte": days == np.datetime64(used.asof.date(), "D"),
        "call_gex": calls, "put_gex": puts, "net_gex": calls + puts,
        "share_abs": gross / total_gross if total_gross > 0 else np.zeros_like(gross),
    })  # fmt: skip
    df.attrs.update(info)
    return df


@_no_overflow
def total_gex(chain: Chain, *, settings: GexSettings | None = None, **kwargs) -> Figure:
    """Total dealer GEX at the chain's spot, a float (default $ per 1% move) with ``.info``."""
    s = _resolve(settings, kwargs)
    used, gex, info = _contract_gex(chain, s)
    gross = float(np.abs(gex).sum())
    _check_finite([gross, gex.sum()], "total GEX", used)
    info["share_0dte"] = float(np.abs(gex[used.is_0dte]).sum() / gross) if gross > 0 else 0.0
    return Figure(float(gex.sum()), **info)


@_no_overflow
def gex_walls(chain: Chain, *, anywhere: bool = False, settings: GexSettings | None = None,
              **kwargs) -> dict:  # fmt: skip
    """Walls from per-strike GEX: ``call_wall``, ``put_wall``, ``abs_gamma_strike``.

    call wall = largest ``|call GEX|`` among strikes at or above spot; put wall = largest
    ``|put GEX|`` among strikes at or below spot (the way traders read them);
    ``anywhere=True`` searches every strike (the unrestricted definition). absolute-gamma
    strike = largest ``|call| + |put|`` at any strike. Ties go to the lower strike. NaN when
    a side has no exposure, with a one-line ``reasons[name]``. The dict also carries the
    settings used (``info``) and ``anywhere``.
    """
    by_strike = gex_by_strike(chain, settings=_resolve(settings, kwargs))
    k = by_strike["strike"].to_numpy()
    call, put = by_strike["call_gex"].to_numpy(), by_strike["put_gex"].to_numpy()
    out = walls(k, call, put, spot=None if anywhere else chain.spot)
    where = {"call_wall": "" if anywhere else " at or above spot",
             "put_wall": "" if anywhere else " at or below spot", "abs_gamma_strike": ""}
    reasons = {name: f"none: no {side} exposure{where[name]} among the "
                     f"{by_strike.attrs['contracts_priced']:,} contracts priced" for name, side in
               (("call_wall", "call"), ("put_wall", "put"), ("abs_gamma_strike", "gamma"))
               if np.isnan(out[name])}  # fmt: skip
    return out | {"convention": by_strike.attrs["convention"], "reasons": reasons,
                  "anywhere": bool(anywhere), "info": dict(by_strike.attrs)}  # fmt: skip


@_no_overflow
def exposure_by_strike(chain: Chain, greek: str = "delta", *, settings: GexSettings | None = None,
                       **kwargs) -> pd.DataFrame:  # fmt: skip
    """Dealer delta, vanna, charm (or gamma) exposure per strike, model greeks only.

    Columns ``strike, call, put, net``; units in :data:`EXPOSURE_UNITS`:

    * DEX = delta x dealer contracts x multiplier x S  ($ of underlying);
    * VEX = vanna x dealer contracts x multiplier x S x 0.01  ($ delta per +1 vol point);
    * CEX = charm x dealer contracts x multiplier x S / 365  ($ delta per calendar day);
    * gamma gives GEX in $ per 1% move.
    """
    greek = _choice("greek", str(greek).lower(), tuple(EXPOSURE_UNITS))
    s = _resolve(settings, kwargs)
    if s.gamma_source != "model" and greek != "gamma":
        s = dataclasses.replace(s, gamma_source="model")
    if greek == "gamma":
        s = dataclasses.replace(s, unit="usd_per_1pct")
        by_strike = gex_by_strike(chain, settings=s)
        df = by_strike.rename(columns={"call_gex": "call", "put_gex": "put", "net_gex": "net"})
        df.attrs.update(by_strike.attrs, greek="gamma", unit_text=EXPOSURE_UNITS["gamma"])
        return df
    used, _, dealer, info = _priced(chain, dataclasses.replace(s, gamma_source="model"))
    g = greeks(used.spot, used.strike, used.t_years, used.iv, s.rate, s.div_yield, used.is_call)
    scale = {"delta": 1.0, "vanna": 0.01, "charm": 1.0 / 365.0}[greek]
    value = g[greek] * dealer * used.multiplier * used.spot * scale
    strikes, (calls, puts) = _by(used.strike, used.is_call, value)
    _check_finite(np.concatenate([calls, puts, calls + puts]), f"{greek} exposure per strike", used)
    df = pd.DataFrame({"strike": strikes, "call": calls, "put": puts, "net": calls + puts})
    df.attrs.update(info, greek=greek, unit_text=EXPOSURE_UNITS[greek])
    return df
