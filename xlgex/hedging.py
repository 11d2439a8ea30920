r"""Dealer delta hedges: the trade after a fill or a move, and rehedge ladders along a path.

:func:`hedge_trade` answers "what does the dealer trade now?" for one option position;
:func:`hedge_ladder` replays that decision step by step along a spot path and books the
hedge and gamma P&L. Both validate here and do their arithmetic in :mod:`xlgex.core.hedge`.

Sign conventions
----------------
* ``contracts`` is the dealer's signed position: -200 means the dealer sold 200 contracts.
* Deltas of the book are in underlying units (shares; index units for SPX, so one SPX
  contract at delta 1 is 100 units = 2 ES).
* Hedges and trades are in hedge units: + long / buy, - short / sell.

A short-gamma book (dealer sold options) buys as spot rises and sells as it falls; a
long-gamma book does the opposite ("Inside the Machine: How Market Makers Actually Hedge
Gamma", Part 2; Unusual Whales, "How To Interpret Periscope Net Gamma Exposure").
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np
import pandas as pd

from .conventions import CONTRACT_MULTIPLIER, DAYS_PER_YEAR, HEDGE_INSTRUMENTS, INDEX_FUTURES
from .core import hedge as core
from .core.greeks import greeks
from .errors import HedgeError, error

__all__ = ["hedge_trade", "hedge_ladder", "LADDER_COLUMNS", "SETTLED_WITHIN_YEARS"]

HOURS_PER_YEAR = DAYS_PER_YEAR * 24.0
"""ACT/365 hours per year, used to roll time to settlement in :func:`hedge_ladder`."""

SETTLED_WITHIN_YEARS = 1e-12
"""Rolled time to settlement below this (about 30 microseconds) counts as settled. Rolling
``t_years`` by whole steps can leave float residue such as 1.7e-21 years exactly where the
clock should read zero, which would turn an at-the-money gamma into ~1e8."""

LADDER_COLUMNS = (
    "step",
    "spot",
    "option_delta",
    "option_gamma",
    "position_delta",
    "net_delta_before",
    "band_triggered",
    "trade",
    "hedge_held",
    "residual_delta",
    "hedge_pnl_cum",
    "gamma_pnl_cum",
    "option_theta",
    "theta_pnl_cum",
    "option_pnl_cum",
    "breakeven_move",
)
"""Columns of the :func:`hedge_ladder` frame, in order."""

# --------------------------------------------------------------------------- validation


def _short(value) -> str:
    """``repr(value)``, cut so that a message stays one short line."""
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _finite(value, what: str) -> float:
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise error("hedge_not_finite", what=what, value=_short(value), cls=HedgeError)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise error("hedge_not_finite", what=what, value=_short(value), cls=HedgeError) from None
    if not math.isfinite(number):
        raise error("hedge_not_finite", what=what, value=_short(number), cls=HedgeError)
    return number


def _positive(value, what: str) -> float:
    number = _finite(value, what)
    if number <= 0.0:
        raise error("not_positive", what=what, value=number, cls=HedgeError)
    return number


def _non_negative(value, what: str) -> float:
    number = _finite(value, what)
    if number < 0.0:
        raise error("negative", what=what, value=number, cls=HedgeError)
    return number


def _delta(value, what: str) -> float:
    number = _finite(value, what)
    if not -1.0 <= number <= 1.0:
        raise error("hedge_delta_range", what=what, value=number, cls=HedgeError)
    return number


def _contracts(value) -> float:
    number = _finite(value, "contracts")
    if number == 0.0:
        raise error("hedge_zero_contracts", cls=HedgeError)
    return number


def _call_put(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("c", "call"):
            return True
        if word in ("p", "put"):
            return False
    elif isinstance(value, numbers.Real) and value in (0, 1):
        return bool(value)
    raise error("hedge_not_call_put", value=value, cls=HedgeError)


def _terms(**given) -> dict | None:
    """Validated option terms, or None when none were given. Partial terms raise."""
    missing = [name for name, value in given.items() if value is None]
    if len(missing) == len(given):
        return None
    if missing:
        raise error("hedge_partial_terms", missing=", ".join(missing), cls=HedgeError)
    terms = {}
    for name, value in given.items():
        if name == "is_call":
            terms[name] = _call_put(value)
        elif name in ("spot", "strike"):
            terms[name] = _positive(value, name)
        else:  # t_years, vol: 0 is allowed (expired / zero-vol limits of greeks)
            terms[name] = _non_negative(value, name)
    return terms


def _hedge_units(hedge, spot, index_level) -> tuple[float, str]:
    """Underlying units per hedge unit, and the rule used in one line.

    ES and MES: with ``spot`` and ``index_level`` by notional; with neither, the underlying
    is the S&P 500 index itself (SPX); with only one of them, an error naming both.
    """
    if not (isinstance(hedge, str) and hedge.strip().upper() in INDEX_FUTURES):
        units = core.units_per_hedge(hedge)
        return units, f"{units:g} underlying units per hedge unit"
    name = hedge.strip().upper()
    point = INDEX_FUTURES[name]
    if spot is None and index_level is None:
        return core.units_per_hedge(name), f"{name} = ${point:g} x SPX point: {point:g} index units"
    if spot is None or index_level is None:
        raise error("hedge_notional", hedge=name, cls=HedgeError)
    spot, level = _positive(spot, "spot"), _positive(index_level, "index_level")
    units = core.units_per_hedge(name, spot, level)
    return units, (f"{name} by notional: ${point:g} x index {level:,.2f} / spot {spot:,.2f} "
                   f"= {units:,.6g} units")  # fmt: skip


def _spot_path(path, moves, spot0) -> np.ndarray:
    """Spot levels of the ladder, step 0 first, as a 1-D float array."""
    if path is not None and moves is not None:
        raise error("hedge_path", why="not both", cls=HedgeError)
    if path is None and moves is None:
        raise error("hedge_path", why="got neither", cls=HedgeError)
    if path is not None:
        spots = _vector(path, "path")
        if spots.size == 0:
            raise error("hedge_path", why="path is empty", cls=HedgeError)
        if spot0 is not None and _finite(spot0, "spot0") != spots[0]:
            raise error("hedge_path", why="spot0 differs from path[0]", cls=HedgeError)
    else:
        if spot0 is None:
            raise error("hedge_path", why="moves need spot0", cls=HedgeError)
        steps = _vector(moves, "moves")
        spots = _finite(spot0, "spot0") + np.concatenate(([0.0], np.cumsum(steps)))
    bad = np.flatnonzero(spots <= 0.0)
    if bad.size:
        raise error("not_positive", what=f"spot at step {bad[0]}", value=spots[bad[0]],
                    cls=HedgeError)
    return spots


def _vector(values, what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        items = np.asarray(values, dtype=object).ravel()
        if all(np.ndim(item) == 0 for item in items):  # name the first entry not a number
            for i, item in enumerate(items):
                _finite(item, f"{what}[{i}]")
        raise error("hedge_path", why=f"{what} must be one row or column", cls=HedgeError) from None
    if array.ndim > 1 and sum(n > 1 for n in array.shape) <= 1:
        array = array.ravel()  # one Excel row or column
    if array.ndim != 1:
        raise error("hedge_path", why=f"{what} must be one row or column", cls=HedgeError)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise error("hedge_not_finite", what=f"{what}[{bad[0]}]", value=_short(array[bad[0]]),
                    cls=HedgeError)
    return array


def _clipped_linear_value(raw, delta0, gamma, moves) -> np.ndarray:
    r"""Option value change, per option, when delta is :math:`\operatorname{clip}(u, -1, 1)`
    with :math:`u = \Delta_0 + \Gamma\,dS`: the integral of that delta over spot.

    With :math:`H(u) = u^2/2` for :math:`|u| \le 1` and :math:`|u| - 1/2` beyond,
    :math:`dV = (H(u) - H(\Delta_0)) / \Gamma`; for :math:`\Gamma = 0` it is
    :math:`\Delta_0\,dS`.
    """
    if gamma == 0.0:
        return delta0 * moves

    def huber(u):
        return np.where(np.abs(u) <= 1.0, 0.5 * u * u, np.abs(u) - 0.5)

    return (huber(raw) - huber(delta0)) / gamma


def _no_overflow(func):
    """Run a hedge computation with numpy's overflow raising, and check its numbers: an
    overflow is a one-line message, never an inf or NaN trade."""

    @functools.wraps(func)
    def guarded(*args, **kwargs):
        what = func.__name__.replace("_", " ")
        with np.errstate(over="raise", invalid="raise"):
            try:
                out = func(*args, **kwargs)
            except FloatingPointError:
                raise error("hedge_overflow", what=what, cls=HedgeError) from None
        if isinstance(out, pd.DataFrame):
            numbers = out.select_dtypes("number").to_numpy(dtype=float)
        else:  # position_gamma is NaN by design when no gamma is known
            numbers = [v for k, v in out.items() if isinstance(v, float) and k != "position_gamma"]
        if not np.all(np.isfinite(numbers)):
            raise error("hedge_overflow", what=what, cls=HedgeError)
        return out

    return guarded


# --------------------------------------------------------------------------- public API


@_no_overflow
def hedge_trade(
    contracts,
    delta,
    *,
    multiplier=CONTRACT_MULTIPLIER,
    hedge="shares",
    current_hedge=0.0,
    gamma=None,
    spot_move=0.0,
    new_delta=None,
    band=0.0,
    whole_units=True,
    spot=None,
    strike=None,
    t_years=None,
    vol=None,
    rate=0.0,
    div_yield=0.0,
    is_call=None,
    index_level=None,
) -> dict:
    r"""The delta hedge a dealer trades now for one option position.

    Parameters
    ----------
    contracts : float
        Dealer's signed option position, contracts: -200 means the dealer sold 200.
        Must be nonzero.
    delta : float or None
        Per-option delta before any move, d(price)/d(spot), in [-1, 1]. May be None when
        the option terms are given (it is then the BSM delta at ``spot``).
    multiplier : float, default 100
        Underlying units per contract (shares per SPY contract, index units per SPX
        contract). > 0.
    hedge : {"shares", "ES", "MES"} or float, default "shares"
        Hedge instrument, case-insensitive, or a positive number of underlying units per
        hedge unit. ``"ES"`` ($50 x S&P 500) and ``"MES"`` ($5 x S&P 500) are sized by
        notional with ``spot`` and ``index_level``; with neither the underlying is SPX itself
        (50 and 5 index units: one SPX contract delta unit of 100 = 2 ES); with only one of
        them they are refused.
    current_hedge : float, default 0
        Hedge already held, hedge units (+ long, - short).
    gamma : float, optional
        Per-option gamma before the move, change in delta per 1.00 move in spot, >= 0 (the
        position's sign goes in ``contracts``).
    spot_move : float, default 0
        Move in spot since ``delta`` (and ``current_hedge``) were set, spot units.
    new_delta : float, optional
        Per-option delta after the move, in [-1, 1]. Overrides every other way of
        getting the delta.
    band : float, default 0
        Tolerance band, underlying units (shares/deltas) >= 0: trade only when the book's
        net delta before the trade exceeds it in absolute value ("Inside the Machine",
        Part 4). 0 rehedges on any drift.
    whole_units : bool, default True
        Round the target to whole hedge units, halves away from zero.
    spot : float, optional
        The underlying's price before the move, > 0 (SPY 445): an option term for full
        repricing, and the price that sizes ES/MES by notional.
    strike : float, optional
        Option term for full repricing, same price units as spot, > 0.
    t_years : float, optional
        ACT/365 year fraction to settlement, >= 0.
    vol : float, optional
        Implied volatility, decimal per year (0.18, not 18), >= 0.
    rate, div_yield : float, default 0
        Continuously compounded rate and dividend yield, decimals per year.
    is_call : bool or {"C", "P"}, optional
        Option type, needed with the other terms.
    index_level : float, optional
        S&P 500 index level (4,450), > 0, with ``spot`` for ES/MES on an underlying other
        than SPX: futures = underlying units x spot / (point value x index_level).

    Returns
    -------
    dict
        ``hedge``             instrument name (or the number given);
        ``units_per_hedge``   underlying units per hedge unit;
        ``hedge_rule``        how ``units_per_hedge`` was sized, one line;
        ``option_delta``      per-option delta used (after the move);
        ``delta_source``      ``"delta"``, ``"new_delta"``, ``"linear"`` or ``"repriced"``;
        ``position_delta``    ``contracts x option_delta x multiplier``, underlying units;
        ``position_gamma``    ``contracts x gamma x multiplier`` before the move, underlying
        units per 1.00 move (NaN when neither ``gamma`` nor the terms are given);
        ``current_hedge``     hedge units held before the trade;
        ``net_delta_before``  ``position_delta + current_hedge x units_per_hedge``;
        ``triggered``         ``|net_delta_before| > band``;
        ``target``            hedge position making the book delta-neutral, hedge units
        (whole units if ``whole_units``), reported even when the band holds the trade;
        ``trade``             hedge units to trade now, + buy - sell (0 unless triggered);
        ``hedge_after``       ``current_hedge + trade``;
        ``residual_delta``    book delta after the trade, underlying units (the rounding
        residual when triggered).

    Raises
    ------
    HedgeError
        Zero contracts, an unknown hedge, a delta outside [-1, 1], a negative band or
        gamma, a non-finite number, a non-positive multiplier, or incomplete option terms.

    Notes
    -----
    The per-option delta after the move is, in order of precedence: ``new_delta``;
    ``delta`` itself when ``spot_move`` is 0; :math:`\Delta + \Gamma\,dS` when ``gamma``
    is given (an error if that leaves [-1, 1]); else the BSM delta at
    ``spot + spot_move`` from :func:`xlgex.core.greeks.greeks`. Then, with :math:`u` units
    per hedge unit:

    .. math::
        D = n\,\Delta\,m,\qquad N = D + h\,u,\qquad h^* = \operatorname{round}(-D/u),\qquad
        \text{trade} = h^* - h \text{ if } |N| > b \text{ else } 0

    Examples
    --------
    Dealer sold 100 SPY 450C at delta 0.35, then SPY rallied and delta is 0.50
    ("Inside the Machine: How Market Makers Actually Hedge Gamma", Part 1):

    >>> hedge_trade(-100, 0.35)["trade"]
    3500.0
    >>> hedge_trade(-100, 0.35, new_delta=0.50, current_hedge=3500)["trade"]
    1500.0

    Dealer sold 200 SPX 5700P (delta -0.25, gamma 0.01), hedged in ES; SPX drops 1 point:

    >>> hedge_trade(-200, -0.25, gamma=0.01, hedge="ES", current_hedge=-100,
    ...             spot_move=-1)["trade"]
    -4.0

    The SPY dealer of the first example hedging in ES, SPY at 445 and the S&P 500 at 4,450:
    3,500 shares x 445 / (50 x 4,450) = 7 ES.

    >>> hedge_trade(-100, 0.35, hedge="ES", spot=445, index_level=4450)["trade"]
    7.0
    """
    n = _contracts(contracts)
    mult = _positive(multiplier, "multiplier")
    units, rule = _hedge_units(hedge, spot, index_level)
    held = _finite(current_hedge, "current_hedge")
    move = _finite(spot_move, "spot_move")
    band = _non_negative(band, "band")
    delta = None if delta is None else _delta(delta, "delta")
    gamma = None if gamma is None else _non_negative(gamma, "gamma")
    new_delta = None if new_delta is None else _delta(new_delta, "new_delta")
    others = (strike, t_years, vol, is_call)
    terms = None if all(v is None for v in others) else _terms(
        spot=spot, strike=strike, t_years=t_years, vol=vol, is_call=is_call)
    rate = _finite(rate, "rate")
    div_yield = _finite(div_yield, "div_yield")

    def reprice(at_spot):
        if at_spot <= 0.0:
            raise error("not_positive", what="spot + spot_move", value=at_spot, cls=HedgeError)
        out = greeks(at_spot, terms["strike"], terms["t_years"], terms["vol"], rate,
                     div_yield, terms["is_call"])
        return float(out["delta"]), float(out["gamma"])

    before = reprice(terms["spot"]) if terms is not None else None
    delta_given = delta is not None
    if not delta_given:
        if before is None:
            raise error("hedge_no_delta", cls=HedgeError)
        delta = before[0]
    gamma_before = gamma if gamma is not None else (before[1] if before else math.nan)

    if new_delta is not None:
        option_delta, source = new_delta, "new_delta"
    elif move == 0.0:
        option_delta, source = delta, ("delta" if delta_given else "repriced")
    elif gamma is not None:
        option_delta, source = float(core.linear_delta(delta, gamma, move)), "linear"
        _delta(option_delta, "delta + gamma x spot_move")
    elif terms is not None:
        option_delta, source = reprice(terms["spot"] + move)[0], "repriced"
    else:
        raise error("hedge_no_reprice", value=move, cls=HedgeError)

    position = float(core.position_delta(n, option_delta, mult))
    step = core.rebalance(position, held, units, band, whole_units)
    if isinstance(hedge, str):  # canonical spelling: "es" -> "ES"
        hedge = next(name for name in HEDGE_INSTRUMENTS if name.lower() == hedge.strip().lower())
    return {
        "hedge": hedge,
        "units_per_hedge": units,
        "hedge_rule": rule,
        "option_delta": option_delta,
        "delta_source": source,
        "position_delta": position,
        "position_gamma": n * gamma_before * mult,
        "current_hedge": held,
        "net_delta_before": float(step["net_delta_before"]),
        "triggered": bool(step["triggered"]),
        "target": float(step["target"]),
        "trade": float(step["trade"]),
        "hedge_after": float(step["hedge_after"]),
        "residual_delta": float(step["residual_delta"]),
    }


@_no_overflow
def hedge_ladder(
    contracts,
    *,
    path=None,
    moves=None,
    spot0=None,
    delta=None,
    gamma=None,
    strike=None,
    t_years=None,
    vol=None,
    rate=0.0,
    div_yield=0.0,
    is_call=None,
    multiplier=CONTRACT_MULTIPLIER,
    hedge="shares",
    band=0.0,
    whole_units=True,
    hours_per_step=0.0,
    spot=None,
    index_level=None,
) -> pd.DataFrame:
    r"""Rehedge one option position step by step along a spot path.

    Step 0 places the initial hedge (from flat); every later step moves spot, re-evaluates
    the option delta and applies the same decision as :func:`hedge_trade` (band test,
    neutral target, rounding) to the hedge carried from the step before.

    Parameters
    ----------
    contracts : float
        Dealer's signed option position, contracts (-200 = dealer sold 200). Nonzero.
    path : sequence of float, optional
        Spot levels, spot units, step 0 first. One Excel row or column is fine.
    moves : sequence of float, optional
        Per-step spot changes, spot units, applied successively from ``spot0``
        (``spot_i = spot0 + moves_1 + ... + moves_i``). Give ``path`` or
        ``spot0`` and ``moves``.
    spot0 : float, optional
        Starting spot, spot units. With ``path`` it must equal ``path[0]`` if given.
    delta : float, optional
        Per-option delta at step 0, in [-1, 1] (linear mode).
    gamma : float, optional
        Per-option gamma, change in delta per 1.00 move in spot, >= 0 (linear mode).
    strike : float, optional
        Strike, spot units, > 0 (full-repricing mode).
    t_years : float, optional
        ACT/365 year fraction to settlement at step 0, >= 0 (full-repricing mode).
    vol : float, optional
        Implied volatility, decimal per year, >= 0 (full-repricing mode).
    rate, div_yield : float, default 0
        Continuously compounded rate and dividend yield, decimals per year.
    is_call : bool or {"C", "P"}, optional
        Option type (full-repricing mode).
    multiplier : float, default 100
        Underlying units per contract, > 0.
    hedge : {"shares", "ES", "MES"} or float, default "shares"
        Hedge instrument or underlying units per hedge unit (see :func:`hedge_trade`).
    spot, index_level : float, optional
        For ES/MES on an underlying other than SPX: its price and the S&P 500 level that
        size one future by notional (see :func:`hedge_trade`). The ratio is held along the
        path (the index moves in proportion to the underlying).
    band : float, default 0
        Tolerance band on the net delta before trading, underlying units, >= 0.
    whole_units : bool, default True
        Trade whole hedge units, halves rounded away from zero.
    hours_per_step : float, default 0
        Calendar hours that pass per step, >= 0; rolls ``t_years`` down by
        ``hours_per_step / (24 x 365)`` each step in full-repricing mode. At and past
        settlement (time left below :data:`SETTLED_WITHIN_YEARS`) the option takes its
        expiry limit: intrinsic delta, zero gamma. Ignored in linear mode.

    Returns
    -------
    pandas.DataFrame
        One row per step, columns :data:`LADDER_COLUMNS`:
        ``step``; ``spot``; ``option_delta`` and ``option_gamma`` (per option, at the
        step's spot); ``position_delta`` (underlying units); ``net_delta_before``
        (options plus the hedge carried in, underlying units); ``band_triggered``;
        ``trade`` (hedge units, + buy - sell); ``hedge_held`` (hedge units after the
        trade, held over the next step); ``residual_delta`` (underlying units after the
        trade); ``hedge_pnl_cum`` and ``gamma_pnl_cum`` ($ per 1.00 of spot units, i.e.
        $ for shares and SPX index units, cumulative); ``option_theta`` (per option, d(price)/dt
        per year at the step); ``theta_pnl_cum`` and ``option_pnl_cum`` ($, cumulative: time
        decay and the option position's whole change in value); ``breakeven_move`` (spot
        units: the move over the step just taken at which gamma and theta P&L cancel,
        :math:`\sigma S_{i-1} \sqrt{dt}`; 0 at step 0 and when no time passes).

    Raises
    ------
    HedgeError
        Bad inputs as in :func:`hedge_trade`; neither or both of ``path`` and ``moves``;
        a non-positive spot on the path; ``delta``/``gamma`` together with the option terms;
        linear mode without both ``delta`` and ``gamma``.

    Notes
    -----
    *Full repricing* (``strike, t_years, vol, is_call`` given): delta and gamma are the
    BSM values from :func:`xlgex.core.greeks.greeks` at each step's spot and rolled time.
    *Linear* (``delta, gamma`` given):
    :math:`\Delta_i = \operatorname{clip}(\Delta_0 + \Gamma (S_i - S_0), -1, 1)`, and the
    option gamma is :math:`\Gamma` where the unclipped delta is inside (-1, 1), else 0.

    With :math:`dS_i = S_i - S_{i-1}`, hedge :math:`h_{i-1}` carried into step :math:`i`,
    :math:`u` units per hedge unit, :math:`n` contracts and multiplier :math:`m`:

    .. math::
        \text{hedge P\&L}_i = h_{i-1}\,dS_i\,u,\qquad
        \text{gamma P\&L}_i = \tfrac12\,\Gamma_{i-1}\,dS_i^2\,n\,m

    both cumulated from 0 at step 0. The gamma P&L is the second-order term of the
    hedged book's P&L ("Gamma — the second derivative"): negative for a short-gamma
    book on every move, positive for a long one. With :math:`dt_i` the year fraction the
    step takes (``hours_per_step``, stopping at settlement):

    .. math::
        \text{theta P\&L}_i = \Theta_{i-1}\,dt_i\,n\,m,\qquad
        \text{option P\&L}_i = (V_i - V_{i-1})\,n\,m,\qquad
        \text{break-even move}_i = \sigma\,S_{i-1}\sqrt{dt_i}

    Over a small step the hedged book earns option plus hedge P&L, close to gamma plus
    theta P&L; with no rate or dividend :math:`\Theta = -\tfrac12\sigma^2S^2\Gamma`, so a
    move of exactly the break-even size makes gamma and theta P&L cancel: a long,
    hedged option earns when realized moves beat implied vol, a short one when they fall
    short. In linear mode no time passes (theta 0, break-even 0) and the option value
    follows the clipped linear delta exactly (its integral over spot).
    """
    n = _contracts(contracts)
    mult = _positive(multiplier, "multiplier")
    units = _hedge_units(hedge, spot, index_level)[0]
    band = _non_negative(band, "band")
    hours = _non_negative(hours_per_step, "hours_per_step")
    rate = _finite(rate, "rate")
    div_yield = _finite(div_yield, "div_yield")
    spots = _spot_path(path, moves, spot0)
    steps = np.arange(spots.size)
    terms = _terms(strike=strike, t_years=t_years, vol=vol, is_call=is_call)

    if terms is not None:
        if delta is not None or gamma is not None:
            raise error("hedge_delta_and_terms", cls=HedgeError)
        t_step = terms["t_years"] - steps * hours / HOURS_PER_YEAR
        t_step = np.where(t_step < SETTLED_WITHIN_YEARS, 0.0, t_step)
        out = greeks(spots, terms["strike"], t_step, terms["vol"], rate, div_yield,
                     terms["is_call"])
        deltas, gammas, thetas = out["delta"], out["gamma"], out["theta"]
        values = out["price"] - out["price"][0]
        dt_step = -np.diff(t_step)
        breakeven = terms["vol"] * spots[:-1] * np.sqrt(dt_step)
    else:
        if delta is None or gamma is None:
            raise error("hedge_no_gamma", cls=HedgeError)
        delta = _delta(delta, "delta")
        gamma = _non_negative(gamma, "gamma")
        raw = core.linear_delta(delta, gamma, spots - spots[0])
        deltas = np.clip(raw, -1.0, 1.0)
        gammas = np.where((raw > -1.0) & (raw < 1.0), gamma, 0.0)
        values = _clipped_linear_value(raw, delta, gamma, spots - spots[0])
        thetas = np.zeros(spots.size)
        dt_step = breakeven = np.zeros(spots.size - 1)

    position = core.position_delta(n, deltas, mult)
    decisions = []
    held = 0.0
    for pos in position:  # sequential: the band makes each step depend on the hedge held
        decision = core.rebalance(pos, held, units, band, whole_units)
        held = float(decision["hedge_after"])
        decisions.append(decision)

    hedge_held = np.array([float(d["hedge_after"]) for d in decisions])
    d_spot = np.diff(spots)
    hedge_pnl = hedge_held[:-1] * d_spot * units
    gamma_pnl = 0.5 * gammas[:-1] * d_spot**2 * n * mult
    theta_pnl = thetas[:-1] * dt_step * n * mult
    return pd.DataFrame(
        {
            "step": steps,
            "spot": spots,
            "option_delta": deltas,
            "option_gamma": gammas,
            "position_delta": position,
            "net_delta_before": [float(d["net_delta_before"]) for d in decisions],
            "band_triggered": [bool(d["triggered"]) for d in decisions],
            "trade": [float(d["trade"]) for d in decisions],
            "hedge_held": hedge_held,
            "residual_delta": [float(d["residual_delta"]) for d in decisions],
            "hedge_pnl_cum": np.concatenate(([0.0], np.cumsum(hedge_pnl))),
            "gamma_pnl_cum": np.concatenate(([0.0], np.cumsum(gamma_pnl))),
            "option_theta": thetas,
            "theta_pnl_cum": np.concatenate(([0.0], np.cumsum(theta_pnl))),
            "option_pnl_cum": values * n * mult,
            "breakeven_move": np.concatenate(([0.0], breakeven)),
        },
        columns=list(LADDER_COLUMNS),
    )
