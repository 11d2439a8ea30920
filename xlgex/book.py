r"""A combined book: several chains (SPX, SPY, XSP, options on ES) in one index's points.

Chain ``i`` with spot :math:`S_i` is re-expressed in the first chain's points with the spot
ratio :math:`k_i = S_0 / S_i`: strikes :math:`K k_i`, spot :math:`S_0`, multiplier
:math:`m / k_i` (units of the first underlying per contract, e.g. 100 SPY shares at 450 are
about 10 SPX units at 4500), IVs and settlement times unchanged. BSM gamma is homogeneous of
degree -1 in (spot, strike), so each contract's dollar GEX
:math:`\Gamma\,n\,m\,S^2\,0.01` is unchanged and the combined figures (total, flip, walls) are
those of one chain in the first chain's points. The as-of is the first chain's; contracts of
the other chains settled by then are expired and left out.

ES and MES points: ES and MES futures share the S&P 500 futures price, so a level ``L`` in the
first chain's points is ``L * F / S_0`` in ES (and MES) points, with ``F`` the ES futures
price: ``es_price`` when given, else the spot of a chain of options on ES in the book
(recognised by its $50 multiplier). The dealer hedge per 1% move in futures is
GEX / (point value x ``F``) contracts ($50 for ES, $5 for MES).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .chain import Chain, epoch_minutes
from .conventions import ES_POINT_VALUE, MES_POINT_VALUE
from .errors import XlgexError

__all__ = ["combined_chain", "combined_book", "check_chains", "S_AND_P_500"]


def combined_chain(chains) -> Chain:
    """One chain of every live contract, in the first chain's points (module docstring)."""
    chains = list(chains)
    if not chains:
        raise XlgexError("xlgex: a combined book needs at least one chain")
    first = chains[0]
    now = epoch_minutes(first.asof)
    parts = []
    for chain in chains:
        k = first.spot / chain.spot
        live = chain.including_expired()
        live = live.take(live.settle_minutes > now)
        parts.append(dataclasses.replace(live, strike=live.strike * k,
                                         multiplier=live.multiplier / k))  # fmt: skip
    signed = all(p.dealer_position is not None for p in parts)
    arrays = {}
    for name in Chain._ARRAYS:
        if name == "dealer_position" and not signed:
            arrays[name] = None
        else:
            arrays[name] = np.concatenate([getattr(p, name) for p in parts])
    n_expired = sum(len(c.including_expired()) for c in chains) - len(arrays["strike"])
    diag = dataclasses.replace(first.diagnostics, dropped={"expired": n_expired},
                               assumptions=list(first.diagnostics.assumptions))  # fmt: skip
    diag.rows_used = len(arrays["strike"])
    return Chain(**arrays, spot=first.spot, asof=first.asof, diagnostics=diag, expired=None)


def _es_price(chains, es_price) -> tuple[float, str]:
    if es_price is not None:
        return float(es_price), "argument es_price"
    for i, chain in enumerate(chains):
        if len(chain) and np.all(chain.multiplier == ES_POINT_VALUE):
            return float(chain.spot), f"spot of chain {i + 1} (options on ES, $50 multiplier)"
    return float("nan"), "not available from these chains (none of options on ES, $50 multiplier)"


S_AND_P_500 = ("SPX", "SPY", "XSP", "ES", "MES")
"""Underlyings a combined book adds up: options on the S&P 500 index, its ETF and futures."""


def check_chains(chains, underlyings=()) -> None:
    """Refuse a chain that repeats an earlier one, or whose named underlying is not the S&P 500.

    ``underlyings`` gives each chain's underlying (``"NDX"``; None or "" when unknown); a chain
    of options on S&P 500 futures ($50 or $5 multiplier) passes under any root (EW1, E3A, ...).
    """
    futures = (ES_POINT_VALUE, MES_POINT_VALUE)
    for i, name in enumerate(underlyings):
        on_futures = i < len(chains) and bool(np.isin(chains[i].multiplier, futures).all())
        if name and name.upper() not in S_AND_P_500 and not on_futures:
            raise XlgexError(f"xlgex: chain {i + 1} is options on {name}: a combined book adds "
                             f"S&P 500 chains only ({', '.join(S_AND_P_500)})")  # fmt: skip
    for i, chain in enumerate(chains):
        for j in range(i):
            if _same(chains[j], chain):
                raise XlgexError(f"xlgex: chain {i + 1} repeats chain {j + 1}: give each chain once")


def _same(a: Chain, b: Chain) -> bool:
    """The same contracts at the same spot (one range given twice)."""
    if a is b:
        return True
    a, b = a.including_expired(), b.including_expired()
    return (len(a) == len(b) and a.spot == b.spot
            and all(np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True)
                    for name in ("strike", "is_call", "expiry", "open_interest", "iv")))  # fmt: skip


def combined_book(chains, *, es_price: float | None = None, underlyings=(), settings=None,
                  **kwargs) -> dict:  # fmt: skip
    """Combined dealer GEX of several chains in the first chain's points.

    Parameters
    ----------
    chains : sequence of Chain
        The first sets the points, the spot and the as-of.
    es_price : float, optional
        ES futures price, for the levels in ES/MES points and the hedge in futures.
    underlyings : sequence of str, optional
        Each chain's underlying when known, checked by :func:`check_chains`.
    settings, **kwargs
        GEX settings as in :mod:`xlgex.gex` (convention, expiries, rate, ...).

    Returns
    -------
    dict
        ``total_gex`` ($ per 1% move), ``flip`` (NaN with ``flip_reason``), ``crossings``,
        ``call_wall`` and ``put_wall`` (by GEX, on their side of spot as in
        :func:`xlgex.gex.gex_walls`), ``abs_gamma_strike`` (first chain's points),
        ``spot``, ``ratios`` (spot ratio per chain), ``es_price`` and ``es_source``,
        ``levels_es`` (the same levels in ES/MES points, NaN without an ES price),
        ``es_contracts_per_1pct`` and ``mes_contracts_per_1pct``, ``chain`` (the combined chain).
    """
    from .flip import gamma_flip
    from .gex import _resolve, gex_walls, total_gex

    s = _resolve(settings, kwargs)
    if s.unit != "usd_per_1pct":
        s = dataclasses.replace(s, unit="usd_per_1pct")
    chains = list(chains)
    check_chains(chains, underlyings)
    book = combined_chain(chains)
    total = float(total_gex(book, settings=s))
    flip = gamma_flip(book, settings=s)
    walls = gex_walls(book, settings=s)  # call and put walls on their side of spot
    levels = {"flip": float(flip), "call_wall": walls["call_wall"], "put_wall": walls["put_wall"],
              "abs_gamma_strike": walls["abs_gamma_strike"]}  # fmt: skip
    es, source = _es_price(chains, es_price)
    return levels | {
        "total_gex": total, "flip_reason": flip.reason, "crossings": flip.crossings,
        "spot": book.spot, "ratios": [book.spot / c.spot for c in chains],
        "es_price": es, "es_source": source,
        "levels_es": {name: value * es / book.spot for name, value in levels.items()},
        "es_contracts_per_1pct": total / (ES_POINT_VALUE * es),
        "mes_contracts_per_1pct": total / (MES_POINT_VALUE * es),
        "chain": book,
    }  # fmt: skip
