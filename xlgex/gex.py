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
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .chain import Chain
from .conventions import CONVENTIONS, DEFAULT_CONVENTION, DEFAULT_GEX_UNIT, GEX_UNITS
from .core.exposure import dealer_sign, gex_per_contract, sum_by_key, walls
from .core.greeks import bs_gamma, greeks
from .errors import ChainError, error
from .results import Figure

__all__ = [
    "GexSettings",
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


def _priced(chain: Chain, s: GexSettings):
    """The rows that carry gamma under ``s``, their gamma, dealer contracts and the info."""
    chain = chain.including_expired() if s.preset == "classic" else chain
    chain = chain.select(s.expiries)
    info = s.info() | {
        "spot": chain.spot,
        "asof": chain.asof.isoformat(timespec="minutes"),
        "expired_dropped": chain.diagnostics.dropped.get("expired", 0),
        "rows_in_chain": len(chain),
    }
    if s.gamma_source == "chain":
        usable = np.isfinite(chain.chain_gamma)
        if len(chain) and not usable.any():
            raise ChainError("xlgex: the chain has no Gamma column; use gamma_source 'model'")
        info["rows_excluded_no_gamma"] = int((~usable).sum())
        used = chain.take(usable) if not usable.all() else chain
        gamma = used.chain_gamma
    else:
        usable = chain.has_iv
        info["rows_excluded_no_iv"] = int((~usable).sum())
        info["oi_excluded_no_iv"] = float(chain.open_interest[~usable].sum())
        used = chain.take(usable) if not usable.all() else chain
        gamma = bs_gamma(used.spot, used.strike, used.t_years, used.iv, s.rate, s.div_yield)
    info["rows_used"] = len(used)
    return used, gamma, dealer_contracts(used, s.convention), info


def gex_by_contract(chain: Chain, *, settings: GexSettings | None = None, **kwargs) -> pd.DataFrame:
    """One row per contract: strike, expiry, type, open interest, dealer contracts, gamma, gex."""
    s = _resolve(settings, kwargs)
    used, gamma, dealer, info = _priced(chain, s)
    gex = gex_per_contract(gamma, dealer, used.multiplier, used.spot, s.unit)
    df = pd.DataFrame({
        "strike": used.strike, "expiry": used.expiry, "is_call": used.is_call,
        "open_interest": used.open_interest, "dealer_contracts": dealer,
        "gamma": gamma, "gex": gex,
    })  # fmt: skip
    df.attrs.update(info)
    return df


def _contract_gex(chain: Chain, s: GexSettings):
    used, gamma, dealer, info = _priced(chain, s)
    return used, gex_per_contract(gamma, dealer, used.multiplier, used.spot, s.unit), info


def _by(keys, is_call, gex, groups=None):
    return sum_by_key(keys, np.where(is_call, gex, 0.0), np.where(is_call, 0.0, gex), groups=groups)


def gex_by_strike(chain: Chain, *, settings: GexSettings | None = None, **kwargs) -> pd.DataFrame:
    """Dealer GEX per strike: columns ``strike, call_gex, put_gex, net_gex``, sorted by strike.

    Units per ``unit`` (default $ per 1% move). ``df.attrs`` records the settings, rows used
    and rows excluded.
    """
    s = _resolve(settings, kwargs)
    used, gex, info = _contract_gex(chain, s)
    strikes, (calls, puts) = _by(used.strike, used.is_call, gex, used.strike_groups)
    df = pd.DataFrame({"strike": strikes, "call_gex": calls, "put_gex": puts,
                       "net_gex": calls + puts})  # fmt: skip
    df.attrs.update(info)
    return df


def gex_by_expiry(chain: Chain, *, settings: GexSettings | None = None, **kwargs) -> pd.DataFrame:
    """Dealer GEX per expiry: ``expiry, is_0dte, call_gex, put_gex, net_gex, share_abs``.

    ``share_abs`` is the expiry's share of gross ``|GEX|`` over all contracts.
    """
    s = _resolve(settings, kwargs)
    used, gex, info = _contract_gex(chain, s)
    days, (calls, puts) = _by(used.expiry, used.is_call, gex)
    _, (gross,) = sum_by_key(used.expiry, np.abs(gex))
    total_gross = gross.sum()
    df = pd.DataFrame({
        "expiry": days, "is_0dte": days == np.datetime64(used.asof.date(), "D"),
        "call_gex": calls, "put_gex": puts, "net_gex": calls + puts,
        "share_abs": gross / total_gross if total_gross > 0 else np.zeros_like(gross),
    })  # fmt: skip
    df.attrs.update(info)
    return df


def total_gex(chain: Chain, *, settings: GexSettings | None = None, **kwargs) -> Figure:
    """Total dealer GEX at the chain's spot, a float (default $ per 1% move) with ``.info``."""
    s = _resolve(settings, kwargs)
    used, gex, info = _contract_gex(chain, s)
    gross = float(np.abs(gex).sum())
    info["share_0dte"] = float(np.abs(gex[used.is_0dte]).sum() / gross) if gross > 0 else 0.0
    return Figure(float(gex.sum()), **info)


def gex_walls(chain: Chain, *, settings: GexSettings | None = None, **kwargs) -> dict:
    """Walls from per-strike GEX: ``call_wall``, ``put_wall``, ``abs_gamma_strike``.

    call wall = largest ``|call GEX|``; put wall = largest ``|put GEX|``; absolute-gamma
    strike = largest ``|call| + |put|``. NaN when a side has no exposure. The dict also
    carries the settings used.
    """
    by_strike = gex_by_strike(chain, settings=_resolve(settings, kwargs))
    out = walls(by_strike["strike"], by_strike["call_gex"], by_strike["put_gex"])
    return out | {"convention": by_strike.attrs["convention"], "info": dict(by_strike.attrs)}


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
    df = pd.DataFrame({"strike": strikes, "call": calls, "put": puts, "net": calls + puts})
    df.attrs.update(info, greek=greek, unit_text=EXPOSURE_UNITS[greek])
    return df
