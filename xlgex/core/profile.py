r"""Gamma profile kernels: dealer GEX of a whole chain re-priced over hypothetical spots.

The kernel rewrites BSM gamma so that each grid cell costs one multiply-add, one square and
one ``exp``, and works through the grid in blocks so memory stays bounded. Within a block it skips the
contracts whose gamma there is below 3e-18 of their peak (|d1| > 9), which is most of
the short-dated wings:

.. math::
    \Gamma_i(L)\,L^p = L^{p-1}\,a_i\,\exp\!\left(-\tfrac12 (b_i \ln L + c_i)^2\right),\quad
    a_i = \frac{e^{-q_iT_i}}{\sqrt{2\pi}\,\sigma_i\sqrt{T_i}},\;
    b_i = \frac{1}{\sigma_i\sqrt{T_i}},\;
    c_i = b_i\left[(r_i - q_i + \sigma_i^2/2)T_i - \ln K_i\right]
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

__all__ = ["profile_kernel", "StickyStrikeGrid", "sticky_moneyness_vols", "sign_changes", "refine_root"]

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
_INV_SQRT_2 = 1.0 / np.sqrt(2.0)
_MIN_EXPONENT = -700.0
"""Exponents are floored here in the bounds: exp(-700) ~ 1e-304 is still a normal double."""
_BOUND_RTOL = 1e-9
"""Relative slack of the interval bounds for rounding (sums of up to ~1e6 terms)."""
MAX_BLOCK_CELLS = 1_000_000
"""Grid cells (levels x contracts) computed at once: 8 MB of float64 per temporary."""
BAND_SIGMAS = 9.0
"""Cells with |d1| > 9 are skipped: exp(-40.5) < 3e-18 of the contract's peak gamma."""
TILE_LEVELS = 8
TILE_CONTRACTS = 4096
"""Sticky-strike tiles: 8 levels x 4096 contracts = 256 KB, small enough to stay in cache."""


def profile_kernel(levels, strike, t_years, vol, weights, rate=0.0, div_yield=0.0, power=2,
                   vol_at=None, max_cells=MAX_BLOCK_CELLS):  # fmt: skip
    r"""Sum of ``weights * gamma(L) * L**power`` over contracts, for every level ``L``.

    Parameters
    ----------
    levels : array_like, shape (m,)
        Hypothetical spot levels, spot units, > 0.
    strike, t_years, vol : array_like, shape (n,)
        Per contract; ``t_years`` ACT/365, ``vol`` decimal. Contracts with ``t_years <= 0``
        or ``vol <= 0`` have zero gamma and are skipped.
    weights : array_like, shape (n,) or (n, k)
        Per-contract weights, e.g. dealer contracts x multiplier x 0.01; several columns give
        several sums (calls and puts) in one pass.
    rate, div_yield : array_like
        Decimals per year, continuous.
    power : int
        2 for $ per 1% (with 0.01 in the weights), 1 for $ per point, 0 for units per point.
    vol_at : callable, optional
        ``vol_at(levels_block) -> (len(block), n)`` vols per level (sticky moneyness).
        Default: ``vol`` at every level (sticky strike).
    max_cells : int
        Block size in grid cells; bounds memory to about ``16 * max_cells`` bytes.

    Returns
    -------
    ndarray, shape (m,) or (m, k)
    """
    weights = np.asarray(weights, dtype=float)
    squeeze = weights.ndim == 1
    if vol_at is None:
        out = StickyStrikeGrid(strike, t_years, vol, weights, rate, div_yield)(levels, power)
    else:
        out = _sticky_moneyness(np.asarray(levels, dtype=float), strike, t_years, weights,
                                rate, div_yield, power, vol_at, max_cells)  # fmt: skip
    return out[:, 0] if squeeze else out


def _sticky_moneyness(levels, strike, t_years, weights, rate, div_yield, power, vol_at,
                      max_cells):  # fmt: skip
    """Profile with per-level vols: blocks of levels, every contract, no band to exploit."""
    strike, t_years, rate, div_yield = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (strike, t_years, rate, div_yield))
    )
    w = weights.reshape(strike.size, -1)
    out = np.zeros((levels.size, w.shape[1]))
    idx = np.flatnonzero((t_years > 0.0) & np.any(w != 0.0, axis=1))
    if idx.size == 0 or levels.size == 0:
        return out
    t, log_k, r, q, w = t_years[idx], np.log(strike[idx]), rate[idx], div_yield[idx], w[idx]
    sqrt_t = np.sqrt(t)
    disc_q = np.exp(-q * t) * _INV_SQRT_2PI
    log_levels = np.log(levels)
    step = max(1, max_cells // idx.size)
    for start in range(0, levels.size, step):
        v = np.asarray(vol_at(levels[start:start + step]), dtype=float)[:, idx]
        ok = v > 0.0
        v = np.where(ok, v, 1.0)
        vs = v * sqrt_t
        d1 = (log_levels[start:start + step, None] - log_k + (r - q + 0.5 * v * v) * t) / vs
        block = np.where(ok, disc_q * np.exp(-0.5 * d1 * d1) / vs, 0.0)
        out[start:start + step] = block @ w
    out *= (levels ** (power - 1))[:, None]
    return out


class StickyStrikeGrid:
    """Contracts prepared once, then priced at any spot levels (sticky strike).

    Holds :math:`a_i, b_i, c_i` of the module formula and each contract's band in log-spot
    where :math:`|d_1| \\le` :data:`BAND_SIGMAS`. Work goes in cache-sized tiles of
    :data:`TILE_LEVELS` levels by :data:`TILE_CONTRACTS` in-band contracts, so a call never
    holds more than one small tile, whatever the chain size.
    """

    def __init__(self, strike, t_years, vol, weights, rate=0.0, div_yield=0.0):
        strike, t_years, vol, rate, div_yield = np.broadcast_arrays(
            *(np.asarray(x, dtype=float) for x in (strike, t_years, vol, rate, div_yield))
        )
        weights = np.asarray(weights, dtype=float).reshape(strike.size, -1)
        live = (t_years > 0.0) & (vol > 0.0) & (np.abs(weights).sum(axis=1) > 0.0)  # NaN: out
        t, v, r, q = t_years[live], vol[live], rate[live], div_yield[live]
        self.b = 1.0 / (v * np.sqrt(t))
        self.c = ((r - q + 0.5 * v * v) * t - np.log(strike[live])) * self.b
        self.a = weights[live] * (np.exp(-q * t) * self.b * _INV_SQRT_2PI)[:, None]
        self.log_low = (-BAND_SIGMAS - self.c) / self.b
        self.log_high = (BAND_SIGMAS - self.c) / self.b
        self.columns = weights.shape[1]

    def __call__(self, levels, power=2) -> np.ndarray:
        """``(len(levels), columns)`` sums of ``weights * gamma(L) * L**power``."""
        levels = np.asarray(levels, dtype=float).ravel()
        out = np.zeros((levels.size, self.columns))
        if levels.size == 0 or self.b.size == 0:
            return out
        order = np.argsort(levels)
        log_sorted = np.log(levels[order])
        first = np.searchsorted(log_sorted, self.log_low, side="left")
        last = np.searchsorted(log_sorted, self.log_high, side="right")
        sorted_out = np.zeros_like(out)
        for start in range(0, levels.size, TILE_LEVELS):
            stop = min(start + TILE_LEVELS, levels.size)
            sub = np.flatnonzero((first < stop) & (last > start))
            log_block = log_sorted[start:stop, None]
            for lo in range(0, sub.size, TILE_CONTRACTS):
                pick = sub[lo:lo + TILE_CONTRACTS]
                tile = log_block * self.b[pick]
                tile += self.c[pick]
                np.square(tile, out=tile)
                tile *= -0.5
                np.exp(tile, out=tile)
                sorted_out[start:stop] += tile @ self.a[pick]
        out[order] = sorted_out
        out *= (levels ** (power - 1))[:, None]
        return out

    def net_bounds(self, levels, power=2, max_cells=MAX_BLOCK_CELLS):
        r"""Net sum (over contracts and columns) at ascending ``levels``, with proven bounds.

        Returns ``(net, lower, upper, tol)``: ``net[j]`` at ``levels[j]`` and, for every
        interval ``[levels[j], levels[j+1]]``, ``lower[j] <= net(L) <= upper[j]`` for every
        ``L`` in it, up to ``tol[j]`` of rounding.

        Notes
        -----
        Each term :math:`g_i(L) = |a_i| e^{-(b_i \ln L + c_i)^2/2} L^{p-1}` is log-concave in
        :math:`\ln L`, so on an interval its minimum is at an end, and so is its maximum unless
        its mode :math:`\ln L^* = ((p-1)/b_i - c_i)/b_i` lies inside, where
        :math:`|a_i| \max L^{p-1}` bounds it. Hence
        :math:`\sum_+ \min_{ends} g - \sum_- \max g \le net \le
        \sum_+ \max g - \sum_- \min_{ends} g`.
        """
        log_levels = np.log(np.asarray(levels, dtype=float))
        m = log_levels.size
        weight = sum((self.a[:, j] for j in range(self.columns)), np.zeros(self.b.size))
        keep = np.flatnonzero(weight != 0.0)
        order = keep[np.argsort(weight[keep] < 0.0, kind="stable")]  # positive terms first
        n_pos = int(np.count_nonzero(weight > 0.0))
        mag, b, c = np.abs(weight[order]), self.b[order], self.c[order]
        log_mag = np.log(mag)
        tilt = (power - 1) * log_levels
        scale = np.exp(tilt)
        scale_max = np.maximum(scale[:-1], scale[1:])
        net = np.zeros(m)
        end_min = np.zeros((2, m - 1))  # rows: positive terms, negative terms
        end_max = np.zeros((2, m - 1))
        mode = ((power - 1) / b - c) / b
        where = np.searchsorted(log_levels, mode, side="right") - 1
        chunk = max(1, max_cells // m)
        for start in range(0, mag.size, chunk):
            stop = min(start + chunk, mag.size)
            g = np.multiply.outer(log_levels, b[start:stop] * _INV_SQRT_2)
            g += c[start:stop] * _INV_SQRT_2
            np.square(g, out=g)
            np.subtract(log_mag[start:stop], g, out=g)
            g += tilt[:, None]
            np.maximum(g, _MIN_EXPONENT, out=g)  # no slow subnormals: <= exp(-700) per term, in tol
            np.exp(g, out=g)
            low = np.minimum(g[:-1], g[1:])
            high = np.maximum(g[:-1], g[1:])
            split = min(max(n_pos - start, 0), stop - start)
            for side, cols in ((0, slice(0, split)), (1, slice(split, stop - start))):
                if cols.start < cols.stop:
                    total = np.add.reduce(g[:, cols], axis=1)
                    net += total if side == 0 else -total
                    end_min[side] += np.add.reduce(low[:, cols], axis=1)
                    end_max[side] += np.add.reduce(high[:, cols], axis=1)
            j = where[start:stop]
            inner = np.flatnonzero((j >= 0) & (j < m - 1))
            inner = inner[mode[start:stop][inner] > log_levels[j[inner]]]
            if inner.size:
                jj = j[inner]
                extra = mag[start:stop][inner] * scale_max[jj] - high[jj, inner]
                side = (inner + start >= n_pos).astype(int)
                for s in (0, 1):
                    end_max[s] += np.bincount(jj[side == s], extra[side == s], minlength=m - 1)
        lower = end_min[0] - end_max[1]
        upper = end_max[0] - end_min[1]
        tol = _BOUND_RTOL * (end_max[0] + end_max[1]) + np.exp(_MIN_EXPONENT) * mag.size
        return net, lower, upper, tol


def sticky_moneyness_vols(spot, strike, vol, group):
    """A ``vol_at`` for :func:`profile_kernel` that keeps each smile fixed in moneyness K/S.

    At hypothetical spot ``L`` contract ``i`` gets its own vol plus the change of its expiry's
    smile (``group``) between strike ``K_i`` and ``K_i * spot / L``: the smile is read
    linearly between quoted strikes (one vol per strike, flat beyond the ends), and each
    contract keeps its own vol at today's spot. Contracts with no vol (NaN or <= 0) keep zero
    gamma.
    """
    strike = np.asarray(strike, dtype=float)
    vol = np.asarray(vol, dtype=float)
    has_vol = np.isfinite(vol) & (vol > 0)
    groups = [np.flatnonzero(np.asarray(group) == g) for g in np.unique(group)]
    smiles = []
    for rows in groups:
        quoted = rows[has_vol[rows]]
        if quoted.size == 0:
            continue
        order = np.argsort(strike[quoted])
        xs, ys = strike[quoted][order], vol[quoted][order]
        xs, first = np.unique(xs, return_index=True)  # one vol per strike (calls first)
        smiles.append((quoted, xs, ys[first], vol[quoted] - np.interp(strike[quoted], xs, ys[first])))

    def vol_at(levels):
        levels = np.asarray(levels, dtype=float)
        out = np.zeros((levels.size, strike.size))
        for rows, xs, ys, own in smiles:
            query = np.multiply.outer(spot / levels, strike[rows])
            out[:, rows] = np.interp(query, xs, ys) + own
        return out

    return vol_at


def sign_changes(values) -> np.ndarray:
    """Indices ``i`` where ``values[i]`` and ``values[i+1]`` bracket a zero.

    A grid value of exactly zero counts once, as the bracket that ends on it.
    """
    s = np.sign(np.asarray(values, dtype=float))
    lo, hi = s[:-1], s[1:]
    return np.flatnonzero((lo * hi < 0) | ((hi == 0) & (lo != 0)))


def refine_root(func, lo: float, hi: float, xtol: float = 0.01) -> float:
    """Root of ``func`` in the bracket ``[lo, hi]`` to within ``xtol`` (Brent's method)."""
    f_lo, f_hi = func(lo), func(hi)
    if f_lo == 0.0:
        return float(lo)
    if f_hi == 0.0:
        return float(hi)
    known = {lo: f_lo, hi: f_hi}  # brentq starts by evaluating both ends again
    # scipy wraps the function in a self-referencing closure (a reference cycle): reach
    # ``func`` through a box emptied afterwards, so the cycle cannot keep func's data alive.
    box = [func]

    def cached(x):
        return known[x] if x in known else box[0](x)

    try:
        return float(brentq(cached, lo, hi, xtol=xtol))
    finally:
        box.clear()
