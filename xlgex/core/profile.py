r"""Gamma profile kernels: dealer GEX of a whole chain re-priced over hypothetical spots.

The kernel rewrites BSM gamma so that each grid cell costs one multiply-add, one square and
one ``exp``, in cache-sized tiles so memory stays bounded. Within a tile it skips the
contracts whose gamma there is below 3e-18 of their peak (|d1| > 9), which is most of
the short-dated wings:

.. math::
    \Gamma_i(L)\,L^p = L^{p-1}\,a_i\,\exp\!\left(-\tfrac12 (b_i \ln L + c_i)^2\right),\quad
    a_i = \frac{w_i\,e^{-q_iT_i}}{\sqrt{2\pi}\,\sigma_i\sqrt{T_i}},\;
    b_i = \frac{1}{\sigma_i\sqrt{T_i}},\;
    c_i = b_i\left[(r_i - q_i + \sigma_i^2/2)T_i - \ln K_i\right]

The flip needs only the sign of the net sum, over a whole window of spots. Contracts whose
gamma is smooth across the window (long-dated: the window spans few standard deviations
:math:`1/b_i` of log-spot) are summed exactly at a few Chebyshev points and interpolated, with
a proven bound on the interpolation error (:class:`WindowedNet`); short-dated contracts are
priced exactly, where they are in band. A sign that the bound cannot settle is priced exactly.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "profile_kernel", "StickyStrikeGrid", "StickyMoneynessGrid", "WindowedNet", "sticky_moneyness_vols",
    "strict_sign_changes", "refine_brackets", "inverse_cubic_guess", "chebyshev_error_bound",
]  # fmt: skip

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
MAX_BLOCK_CELLS = 1_000_000
"""Grid cells (levels x contracts) computed at once: 8 MB of float64 per temporary."""
BAND_SIGMAS = 9.0
"""Cells with |d1| > 9 are skipped: exp(-40.5) < 3e-18 of the contract's peak gamma."""
BAND_RESIDUE = float(np.exp(-0.5 * BAND_SIGMAS**2))
"""The largest term the band leaves out, relative to the contract's peak."""
MOSTLY_IN_BAND = 0.5
DENSE_REACH = 33.0
"""Entries in band at :data:`MOSTLY_IN_BAND` of the levels or more whose standardized distance
:math:`|b u + c'|` (``u`` a level's log-spot less the middle's, ``c' = c + b x_0``) stays at most
:data:`DENSE_REACH` at every level (:math:`b` times the levels' half-width plus :math:`|c'|`)
are priced at every level in dense tiles (cheaper per cell than gathered banded tiles, which
cost about twice as much per cell and a fixed cost per tile). Their expansion in
:func:`_dense_tiles` then rounds below :math:`4\\cdot10^{-16}\\cdot 33^2 < 5\\cdot10^{-13}` of the
term, and the cells out of band have exponents above -545 (no subnormal results, which
``exp`` computes some 50 times slower)."""
FEW_LEVELS = 32
"""At most this many levels are priced in one masked pass over every entry
(:func:`_masked_tiles`), not in band-selected tiles."""
TILE_GAP = 0.005
"""Levels further apart than this in log-spot (0.5%) never share a banded tile."""
TILE_LEVELS = 16
TILE_CONTRACTS = 4096
"""Tiles of 16 levels x 4096 contracts = 512 KB stay in a 1 MB level-2 cache; against 8 levels,
half the tiles' fixed cost per call (6 to 13% of a 161-level profile at 5,000 to 15,000 entries)."""
SMOOTH_NODES = (9, 17, 33, 65)
"""Chebyshev points tried for smooth contracts, fewest first; each set lies in the next."""
SMOOTH_RTOL = 1e-9
"""Proven interpolation error per contract, relative to its peak term."""
SIGN_RTOL = 1e-12
"""Rounding slack of a net sum relative to its gross (sum of |terms|): closer signs are repriced."""


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
        Block size in grid cells for ``vol_at``; bounds memory to about ``16 * max_cells`` bytes.

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


_NO_VOL = 1e-150
MONEYNESS_BLOCK = 32
"""Levels per block of the sticky-moneyness kernel (its band is per block)."""


def _sticky_moneyness(levels, strike, t_years, weights, rate, div_yield, power, vol_at,
                      max_cells):  # fmt: skip
    """Profile with per-level vols, in blocks of ascending levels (any ``vol_at``).

    A smile from :func:`sticky_moneyness_vols` goes through :class:`StickyMoneynessGrid`.
    Otherwise, when ``vol_at`` has ``high`` (each contract's largest vol at any level), a block
    prices only the contracts that can have :math:`|d_1| \\le` :data:`BAND_SIGMAS` at one of its
    levels: :math:`-9\\sigma\\sqrt T - \\sigma^2T/2 \\le \\ln(L/K) + (r-q)T \\le 9\\sigma\\sqrt T`
    for some :math:`\\sigma \\le` ``high``.
    """
    if isinstance(vol_at, _SmileVols):
        return StickyMoneynessGrid(vol_at, t_years, weights, rate, div_yield)(levels, power)
    strike, t_years, rate, div_yield = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (strike, t_years, rate, div_yield))
    )
    w = weights.reshape(strike.size, -1)
    out = np.zeros((levels.size, w.shape[1]))
    idx = np.flatnonzero((t_years > 0.0) & np.any(w != 0.0, axis=1))
    if idx.size == 0 or levels.size == 0:
        return out
    ref = _reference_strike(strike, idx)
    t, log_k, r, q, w = t_years[idx], np.log(strike[idx] / ref), rate[idx], div_yield[idx], w[idx]
    sqrt_t = np.sqrt(t)
    disc_q = np.exp(-q * t) * _INV_SQRT_2PI
    drift = (r - q) * t - log_k
    high = getattr(vol_at, "high", np.full(strike.size, np.inf))[idx]
    band_low, band_high = _moneyness_band(drift, high, sqrt_t, t)
    order = np.argsort(levels)
    log_levels = np.log(levels[order] / ref)
    step = max(1, min(MONEYNESS_BLOCK, max_cells // idx.size))
    for start in range(0, levels.size, step):
        x = log_levels[start:start + step]
        sub = np.flatnonzero((band_low <= x[-1]) & (band_high >= x[0]))
        if sub.size:
            vs = np.asarray(vol_at(levels[order[start:start + step]], idx[sub]), dtype=float)
            out[order[start:start + step]] = _moneyness_tile(vs, x, sqrt_t[sub], drift[sub]) \
                @ (w[sub] * disc_q[sub, None])
    out *= (levels ** (power - 1))[:, None]
    return out


def _moneyness_band(drift, high, sqrt_t, t) -> tuple[np.ndarray, np.ndarray]:
    """Each contract's band in log-spot where :math:`|d_1|` can be at most :data:`BAND_SIGMAS`
    with some vol up to ``high`` (its largest at any level; NaN: no vol, the band of vol 0)."""
    high = np.nan_to_num(high, nan=0.0, posinf=np.inf)
    return -drift - BAND_SIGMAS * high * sqrt_t - 0.5 * high * high * t, -drift + BAND_SIGMAS * high * sqrt_t


def _reference_strike(strike, idx) -> float:
    """The price log-spot is measured from (:meth:`StickyStrikeGrid.log_level`): one of the
    strikes ``idx`` (1 when there are none)."""
    return float(strike[idx[idx.size // 2]]) if idx.size else 1.0


def _moneyness_tile(vs, x, sqrt_t, drift, positive=False) -> np.ndarray:
    """``exp(-d1**2 / 2) / (sigma sqrt T)`` for the vols ``vs`` (levels ``x`` in rows).

    Cells whose vol is zero, negative or NaN (pushed there by a vol shift) end as 0;
    ``positive=True`` says there are none.
    """
    no_vol = None if positive else ~(vs > 0.0)
    if no_vol is not None:
        np.maximum(vs, _NO_VOL, out=vs)
    vs *= sqrt_t
    inv = np.reciprocal(vs)
    if no_vol is not None:
        inv[no_vol] = 0.0  # the cell ends as exp(0) x 0 = 0
    d1 = np.add.outer(x, drift)
    d1 *= inv
    vs *= 0.5
    d1 += vs
    np.square(d1, out=d1)
    d1 *= -0.5
    np.exp(d1, out=d1)
    d1 *= inv
    return d1


class StickyMoneynessGrid:
    """Contracts prepared once for sticky-moneyness pricing at any spot levels.

    Each expiry's smile (from :func:`sticky_moneyness_vols`) becomes one piece of a single
    piecewise-linear table: smile ``g`` is shifted along the strike axis to lie after smile
    ``g - 1``, and each contract's query ``K S / L`` is clipped to its smile's quoted strikes
    (flat beyond the ends) and shifted likewise, so a whole tile of levels by contracts is read
    in one interpolation, once per strike (calls and puts of a strike share it; each adds its
    own offset). Contracts are priced in cache-sized tiles of :data:`TILE_LEVELS`
    levels by :data:`TILE_CONTRACTS` contracts, only where :math:`|d_1|` can be at most
    :data:`BAND_SIGMAS` (with the contract's largest vol at any level).
    """

    def __init__(self, smile: _SmileVols, t_years, weights, rate=0.0, div_yield=0.0):
        strike, t_years, rate, div_yield = np.broadcast_arrays(
            smile.strike, *(np.asarray(x, dtype=float) for x in (t_years, rate, div_yield))
        )
        weights = np.asarray(weights, dtype=float).reshape(strike.size, -1)
        self.columns = weights.shape[1]
        idx = np.flatnonzero((t_years > 0.0) & np.any(weights != 0.0, axis=1) & (smile.group >= 0))
        idx = idx[np.lexsort((strike[idx], smile.group[idx]))]
        group = smile.group[idx]
        first = np.array([xs[0] for xs, _ in smile.smiles])
        last = np.array([xs[-1] for xs, _ in smile.smiles])
        shift = np.r_[0.0, np.cumsum(last - first + 1.0)[:-1]] - first  # smile g on [s_g, s_g + span]
        self.table_x = np.concatenate([xs + d for (xs, _), d in zip(smile.smiles, shift, strict=True)])
        self.table_y = np.concatenate([ys for _, ys in smile.smiles])
        t = t_years[idx]
        new_key = np.r_[True, (np.diff(group) != 0) | (np.diff(strike[idx]) != 0)]
        self.key = np.cumsum(new_key) - 1  # a call and a put of one strike and expiry share a read
        key_group = group[new_key]
        self.scaled_strike = strike[idx][new_key] * smile.spot  # K S: the smile is read at K S / L
        self.low, self.high, self.shift = first[key_group], last[key_group], shift[key_group]
        self.own = smile.own[idx]
        lowest = np.array([ys.min() for _, ys in smile.smiles])
        self.positive = self.own + lowest[group] > 0.0  # a vol above zero at every level
        self.sqrt_t = np.sqrt(t)
        self.ref = _reference_strike(strike, idx)
        self.drift = (rate[idx] - div_yield[idx]) * t - np.log(strike[idx] / self.ref)
        self.w = weights[idx] * (np.exp(-div_yield[idx] * t) * _INV_SQRT_2PI)[:, None]
        self.band_low, self.band_high = _moneyness_band(self.drift, smile.high[idx], self.sqrt_t, t)

    def __len__(self) -> int:
        return int(self.w.shape[0])

    def __call__(self, levels, power=2, net=False) -> np.ndarray:
        """``(len(levels), columns)`` sums of ``weights * gamma(L) * L**power``; ``net=True``:
        one ``(len(levels),)`` sum over all columns."""
        levels = np.asarray(levels, dtype=float).ravel()
        w = self.w.sum(axis=1, keepdims=True) if net else self.w
        out = np.zeros((levels.size, w.shape[1]))
        order = np.argsort(levels)
        x = np.log(levels[order] / self.ref)
        for start in range(0, levels.size, TILE_LEVELS):
            block = order[start:start + TILE_LEVELS]
            xs = x[start:start + TILE_LEVELS]
            sub = np.flatnonzero((self.band_low <= xs[-1]) & (self.band_high >= xs[0]))
            inverse = 1.0 / levels[block]
            for lo in range(0, sub.size, TILE_CONTRACTS):
                pick = sub[lo:lo + TILE_CONTRACTS]
                keys = slice(self.key[pick[0]], self.key[pick[-1]] + 1)
                query = np.multiply.outer(inverse, self.scaled_strike[keys])
                np.clip(query, self.low[keys], self.high[keys], out=query)
                query += self.shift[keys]
                vs = np.interp(query, self.table_x, self.table_y)
                vs = vs.take(self.key[pick] - keys.start, axis=1)
                vs += self.own[pick]
                tile = _moneyness_tile(vs, xs, self.sqrt_t[pick], self.drift[pick], self.positive[pick].all())
                out[block] += tile @ w[pick]
        out *= (levels ** (power - 1))[:, None]
        return out[:, 0] if net else out


class StickyStrikeGrid:
    """Contracts prepared once, then priced at any spot levels (sticky strike).

    Holds :math:`a_i, b_i, c_i` of the module formula (log-spot measured from one of the
    strikes, :meth:`log_level`), one entry per contract and nonzero weight column (one weight
    vector per column, so each tile is one matrix-vector product), and each entry's band in
    log-spot where :math:`|d_1| \\le` :data:`BAND_SIGMAS`. Work goes in cache-sized tiles of
    :data:`TILE_LEVELS` levels by :data:`TILE_CONTRACTS` in-band entries, so a call never
    holds more than one small tile, whatever the chain size.
    """

    def __init__(self, strike, t_years, vol, weights, rate=0.0, div_yield=0.0):
        strike, t_years, vol, rate, div_yield = np.broadcast_arrays(
            *(np.asarray(x, dtype=float) for x in (strike, t_years, vol, rate, div_yield))
        )
        weights = np.asarray(weights, dtype=float).reshape(strike.size, -1)
        live = (t_years > 0.0) & (vol > 0.0)  # NaN: out
        per_column = [np.flatnonzero(live & (weights[:, j] != 0.0)) for j in range(weights.shape[1])]
        rows = np.concatenate(per_column)  # by column, then row (a column at a time: no strided scan)
        cols = np.repeat(np.arange(len(per_column)), [r.size for r in per_column])
        t, v = t_years[rows], vol[rows]
        flat = rate.strides == (0,) and div_yield.strides == (0,)  # one rate and yield for all
        r, q = (rate[:1], div_yield[:1]) if flat or not rows.size else (rate[rows], div_yield[rows])
        width = v * np.sqrt(t)  # sigma sqrt(T) = 1 / b
        b = 1.0 / width
        ref = _reference_strike(strike, rows)
        c = ((r - q + 0.5 * v * v) * t - np.log(strike[rows] / ref)) * b
        a = np.take(weights, rows * weights.shape[1] + cols) * b  # flat: cheaper than a 2-D gather
        a *= _INV_SQRT_2PI * np.exp(-q * t) if np.any(q) else _INV_SQRT_2PI
        self._set(a, b, c, cols, weights.shape[1], ref, width)

    def _set(self, a, b, c, cols, columns, ref, width=None):
        self.a, self.b, self.c, self.cols, self.columns, self.ref = a, b, c, cols, columns, ref
        width = 1.0 / b if width is None else width
        self.log_low = (-BAND_SIGMAS - c) * width
        self.log_high = (BAND_SIGMAS - c) * width

    def subset(self, mask) -> StickyStrikeGrid:
        """The same kernel over the entries selected by ``mask``."""
        sub = object.__new__(StickyStrikeGrid)
        sub._set(self.a[mask], self.b[mask], self.c[mask], self.cols[mask], self.columns, self.ref)
        return sub

    def log_level(self, levels):
        """The coordinate of spot ``levels`` that :attr:`c`, :attr:`log_low` and :attr:`log_high`
        use: ``ln(L / ref)``, ``ref`` one of the contracts' strikes. Relative to a price near
        the strikes, ``b x + c`` cancels no large logarithms: for a contract minutes from
        settlement (``b`` in the thousands), ``ln L`` and ``ln K`` near 8.5 would leave an error
        of about ``b * 8.5 * 2e-16`` in ``d1``."""
        return np.log(np.asarray(levels, dtype=float) / self.ref)

    def __len__(self) -> int:
        return int(self.a.size)

    def __call__(self, levels, power=2, net=False) -> np.ndarray:
        """``(len(levels), columns)`` sums of ``weights * gamma(L) * L**power``.

        ``net=True``: one ``(len(levels),)`` sum over all columns (one product per tile).
        """
        levels = np.asarray(levels, dtype=float).ravel()
        sums = np.zeros((levels.size, 1 if net else self.columns))
        if levels.size and self.a.size:
            order = np.argsort(levels)
            sums[order] = self._sorted_sums(self.log_level(levels[order]), net)
            sums *= (levels ** (power - 1))[:, None]
        return sums[:, 0] if net else sums

    def _sorted_sums(self, log_sorted, net) -> np.ndarray:
        """Sums at ascending log-levels: entries in band at every level, or at most of them
        (:data:`MOSTLY_IN_BAND`, :data:`DENSE_REACH`), go through dense tiles of contiguous
        memory; the others through banded tiles of gathered entries. At most
        :data:`FEW_LEVELS` levels (a refinement step): every entry in one masked pass."""
        m = log_sorted.size
        out = np.zeros((m, 1 if net else self.columns))
        if m <= FEW_LEVELS:
            _masked_tiles(log_sorted, self.b, self.c, self.a, out, self._bounds(slice(None), net))
            return out
        wide = (self.log_low <= log_sorted[0]) & (self.log_high >= log_sorted[-1])
        rest = np.flatnonzero(~wide)
        first = np.searchsorted(log_sorted, self.log_low[rest], side="left")
        last = np.searchsorted(log_sorted, self.log_high[rest], side="right")
        half, middle = 0.5 * (log_sorted[-1] - log_sorted[0]), 0.5 * (log_sorted[-1] + log_sorted[0])
        b = self.b[rest]
        reach = b * half + np.abs(self.c[rest] + b * middle)
        mostly = (last - first >= MOSTLY_IN_BAND * m) & (reach <= DENSE_REACH)
        dead = None
        if not wide.any():  # levels where no entry is in band: exactly 0, not far tails
            covered = np.cumsum(np.bincount(first, minlength=m + 1) - np.bincount(last, minlength=m + 1))
            dead = covered[:m] == 0
        if mostly.any():
            wide[rest[mostly]] = True
            rest, first, last = rest[~mostly], first[~mostly], last[~mostly]
        if wide.any():
            _dense_tiles(log_sorted, self.b[wide], self.c[wide], self.a[wide], out, self._bounds(wide, net))
        narrow = first < last
        if narrow.any():
            self._banded(log_sorted, rest[narrow], first[narrow], last[narrow], out, net)
        if dead is not None:
            out[dead] = 0.0
        return out

    def _bounds(self, picked, net) -> np.ndarray:
        """Column boundaries within the entries ``picked`` (a mask or ascending indices)."""
        cols = self.cols[picked]
        return np.array([0, cols.size]) if net else np.searchsorted(cols, np.arange(self.columns + 1))

    def _banded(self, log_sorted, narrow, first, last, out, net) -> None:
        """Add the ``narrow`` entries, each only in tiles of levels where it is in band.

        A tile holds ``step`` levels (:data:`TILE_LEVELS`, more when few entries are narrow, so the per-tile
        overhead stays small) and the entries in band at any of them; one product per tile
        gives every column (each entry weighs in its own column only).
        """
        step = min(max(TILE_LEVELS * TILE_CONTRACTS // max(narrow.size, 1), TILE_LEVELS), 4 * TILE_LEVELS)
        buffer = np.empty(step * min(narrow.size, 3 * TILE_CONTRACTS // 2))  # the widest tile
        gaps = np.flatnonzero(np.diff(log_sorted) > TILE_GAP) + 1  # scattered levels: own tiles
        starts = np.arange(0, log_sorted.size, step)
        if gaps.size:
            starts = np.union1d(starts, gaps)
        for start, stop in zip(starts, np.r_[starts[1:], log_sorted.size], strict=True):
            sub = narrow[(first < stop) & (last > start)]
            x = log_sorted[start:stop, None]
            bounds = self._bounds(sub, net)
            width = _tile_width(sub.size)
            for lo in range(0, sub.size, width):
                pick = sub[lo:lo + width]
                tile = buffer[:x.size * pick.size].reshape(x.size, pick.size)
                _gaussian(x, self.b[pick], self.c[pick], tile)
                _add_columns(out[start:stop], tile, self.a[pick], bounds - lo)


def _masked_tiles(x, b, c, a, out, bounds) -> None:
    """``out += g @ a`` with ``g`` of :func:`_gaussian` (0 out of band), for a few levels ``x``
    and every entry, in tiles of contiguous entries (``out`` and ``bounds`` as in
    :func:`_dense_tiles`): no band bookkeeping, whose fixed cost per level dominates a
    refinement step's few scattered levels."""
    columns = out[:, None] if out.ndim == 1 else out
    width = _tile_width(b.size)
    buffer = np.empty(x.size * width)
    x = x[:, None]
    for lo in range(0, b.size, width):
        hi = min(lo + width, b.size)
        tile = buffer[:x.size * (hi - lo)].reshape(x.size, hi - lo)
        _gaussian(x, b[lo:hi], c[lo:hi], tile, band=True)
        _add_columns(columns, tile, a[lo:hi], bounds - lo)


def _gaussian(x, b, c, tile, band=False) -> None:
    """``tile = exp(-(x * b + c)**2 / 2)`` for a column ``x`` and rows ``b``, ``c``, in place;
    ``band=True``: exactly 0 out of band (exponent below -40.5), where ``exp`` is not even
    evaluated. That skips far tails, which ``exp`` computes slowly (results near or below the
    smallest normal number), at the price of a masked ``exp`` (about 3 times slower per cell)."""
    np.multiply(x, b, out=tile)
    tile += c
    np.square(tile, out=tile)
    tile *= -0.5
    if band:
        in_band = tile >= -0.5 * BAND_SIGMAS**2
        np.exp(tile, out=tile, where=in_band)
        tile *= in_band
    else:
        np.exp(tile, out=tile)


def _dense_tiles(x, b, c, a, out, bounds=None) -> None:
    """``out += exp(-(x b + c)**2 / 2) @ a`` in cache-sized tiles of contiguous entries.

    ``out`` is ``(m,)``, or ``(m, k)`` with ``bounds`` (``k + 1`` entry indices): entries
    ``bounds[j]:bounds[j+1]`` add to column ``j``, one pass over each tile for all columns.

    The exponent is expanded around the middle ``x0`` of ``x``: with ``u = x - x0`` and
    ``c' = c + b x0`` it is ``-b**2/2 u**2 - b c' u - c'**2/2``, so each tile is one small
    matrix product ``[u**2, u, 1] @ [[-b**2/2], [-b c'], [-c'**2/2]]`` followed by ``exp``.
    Rounding in the expansion is about ``4e-16 (b |u| + |c'|)**2`` in the exponent: below
    5e-13 for every entry this is used for (``|b u + c'| <=`` :data:`DENSE_REACH`; the smooth
    entries of :class:`WindowedNet` have ``b |u| <= 9`` and ``|c'| <= 18``).
    """
    if not b.size:
        return
    columns = out[:, None] if out.ndim == 1 else out
    bounds = np.asarray([0, b.size] if bounds is None else bounds)  # fmt: skip
    x0 = 0.5 * (x[0] + x[-1])
    u = x - x0
    powers = np.empty((u.size, 3))  # filled in place: stacking copies cost more on small calls
    np.multiply(u, u, out=powers[:, 0])
    powers[:, 1], powers[:, 2] = u, 1.0
    shifted = c + b * x0
    coef = np.empty((3, b.size))
    np.multiply(b, b, out=coef[0])
    coef[0] *= -0.5
    np.multiply(b, shifted, out=coef[1])
    np.negative(coef[1], out=coef[1])
    np.multiply(shifted, shifted, out=coef[2])
    coef[2] *= -0.5
    width = _tile_width(b.size)
    step = max(TILE_LEVELS, TILE_LEVELS * TILE_CONTRACTS // width)  # few entries: taller tiles
    buffer = np.empty(min(step, x.size) * width)
    for start in range(0, x.size, step):
        rows = powers[start:start + step]
        for lo in range(0, b.size, width):
            hi = min(lo + width, b.size)
            tile = buffer[:rows.shape[0] * (hi - lo)].reshape(rows.shape[0], hi - lo)
            np.matmul(rows, coef[:, lo:hi], out=tile)
            np.exp(tile, out=tile)
            _add_columns(columns[start:start + step], tile, a[lo:hi], bounds - lo)


def _tile_width(n: int) -> int:
    """Entries per tile: ``n`` in tiles of equal width, as many as make widths nearest
    :data:`TILE_CONTRACTS` (at most 1.5 times it: no small last tile, fewer products)."""
    tiles = max(1, round(n / TILE_CONTRACTS))
    return max(1, -(-n // tiles))


def _add_columns(out, tile, a, bounds) -> None:
    """``out[:, j] += tile[:, bounds[j]:bounds[j+1]] @ a[...]``, bounds clipped to the tile."""
    width = tile.shape[1]
    for j in range(len(bounds) - 1):
        first, last = max(0, bounds[j]), min(width, bounds[j + 1])
        if first < last:
            out[:, j] += tile[:, first:last] @ a[first:last]


@functools.lru_cache(maxsize=32)
def chebyshev_error_bound(points: int, half_width_sigmas: float) -> float:
    r"""Proven max error of interpolating :math:`e^{-(H z + c)^2/2}` at ``points`` Chebyshev points.

    ``half_width_sigmas`` is :math:`H`, the half-width of the window in standard deviations of
    the Gaussian; any shift :math:`c`. Trefethen, *Approximation Theory and Approximation
    Practice*, Theorem 8.2: for :math:`f` analytic in the Bernstein ellipse
    :math:`E_\rho` with :math:`|f| \le M`, the degree-:math:`n` interpolant errs by at most
    :math:`4M\rho^{-n}/(\rho-1)`. On :math:`E_\rho`, :math:`|\mathrm{Im}\,z| \le (\rho-\rho^{-1})/2`,
    so :math:`|f| \le \exp(H^2(\rho-\rho^{-1})^2/8)`; the bound is minimised over a grid of :math:`\rho`.
    """
    return float(_error_bounds(points, np.array([half_width_sigmas]))[0])


def _error_bounds(points: int, sigmas) -> np.ndarray:
    """:func:`chebyshev_error_bound` for an array of widths (any rho is a valid bound)."""
    rho = np.geomspace(1.0005, 200.0, 1000)[:, None]
    log_bound = (np.log(4.0) + np.asarray(sigmas, dtype=float) ** 2 * (rho - 1.0 / rho) ** 2 / 8.0
                 - (points - 1) * np.log(rho) - np.log(rho - 1.0))  # fmt: skip
    return np.exp(np.minimum(log_bound.min(axis=0), 700.0))  # no overflow: >= 1 means useless


@functools.lru_cache(maxsize=32)
def _smooth_limit(points: int, rtol: float) -> float:
    """The widest window (in sigmas, half-width) that ``points`` interpolate to ``rtol``."""
    ok = _error_row(points) <= rtol
    return float(_TABLE_SIGMAS[ok][-1]) if ok.any() else 0.0


class WindowedNet:
    """Net sum of a :class:`StickyStrikeGrid` at spots inside ``[low, high]``, with known signs.

    Entries whose gamma spans at most a few standard deviations over the window (long-dated)
    are summed exactly at Chebyshev points of the window and interpolated; the number of
    points per entry is the smallest of :data:`SMOOTH_NODES` that proves an error of at most
    :data:`SMOOTH_RTOL` of the entry's peak (:func:`chebyshev_error_bound`), and only if that is
    fewer than the ``levels_hint`` levels the entry would be priced at. The others are priced
    exactly where in band. Entries out of band over the whole window contribute nothing.
    :meth:`signed` reprices exactly every level whose value is within the error bound of zero,
    so its signs are those of the exact kernel.
    """

    def __init__(self, grid: StickyStrikeGrid, low: float, high: float, power: int = 2,
                 levels_hint: int = 161, rtol: float = SMOOTH_RTOL):  # fmt: skip
        self.grid, self.power = grid, power
        lo, hi = grid.log_level(low), grid.log_level(high)
        center, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
        kind, in_window = _smooth_classes(grid, lo, hi, levels_hint, rtol)
        sigmas = grid.b * half
        magnitude = np.abs(grid.a)
        self.exact = grid.subset(kind == -1)
        self.in_window = int(in_window.sum())
        bound = SIGN_RTOL * magnitude[in_window].sum()
        counts = np.bincount(kind + 2, minlength=len(SMOOTH_NODES) + 2)[2:]  # per class
        used = [k for k in range(len(SMOOTH_NODES)) if counts[k]]
        self.nodes = self.values = self.weights = None
        if used:  # one interpolant, at points that contain every used class's points
            fine = min(p for p in SMOOTH_NODES if all((p - 1) % (SMOOTH_NODES[k] - 1) == 0 for k in used))
            self.nodes = center + half * np.cos(np.pi * np.arange(fine) / (fine - 1))
            self.weights = _chebyshev_weights(fine)
            self.values = np.zeros(fine)
            for k in used:
                members, points = kind == k, SMOOTH_NODES[k]
                own = self.nodes[::(fine - 1) // (points - 1)]
                values = np.zeros(points)
                _dense_tiles(own, grid.b[members], grid.c[members], grid.a[members], values)
                self.values += _transfer(points, fine) @ values
                errors = _error_table(points, sigmas[members]) + BAND_RESIDUE
                bound += _sum_of_products(magnitude[members], errors)
        self.bound = bound
        """Error bound of :meth:`approximate` at level ``L`` is ``bound * L**(power - 1)``."""
        self.counts = {"exact": len(self.exact), "smooth": int((kind >= 0).sum()),
                       "outside": int((kind == -2).sum())}  # fmt: skip

    @classmethod
    def on_grid(cls, grid: StickyStrikeGrid, levels, power: int = 2):
        """``(net, values)`` for ascending ``levels``: a WindowedNet and its :meth:`signed` values."""
        levels = np.asarray(levels, dtype=float)
        net = cls(grid, levels[0], levels[-1], power, levels.size)
        return net, net.signed(levels)

    def unsure(self, levels, values) -> np.ndarray:
        """Indices of ``values`` (at ``levels``) whose sign the error bound does not prove."""
        return np.flatnonzero(np.abs(values) <= self.bound * levels ** (self.power - 1))

    def approximate(self, levels) -> np.ndarray:
        """Net sum at ``levels`` (inside the window), within ``bound * L**(power-1)``."""
        levels = np.asarray(levels, dtype=float)
        x = self.grid.log_level(levels)
        total = self.exact(levels, power=1, net=True)
        if self.nodes is not None:
            total += _barycentric(x, self.nodes, self.values, self.weights)
        return total * levels ** (self.power - 1)

    def signed(self, levels) -> np.ndarray:
        """:meth:`approximate`, repriced exactly where its sign is not proven."""
        levels = np.asarray(levels, dtype=float)
        values = self.approximate(levels)
        unsure = self.unsure(levels, values)
        if unsure.size:
            values[unsure] = self.grid(levels[unsure], self.power, net=True)
        return values


_TABLE_SIGMAS = np.linspace(0.0, 30.0, 301)


@functools.lru_cache(maxsize=16)
def _error_row(points: int) -> np.ndarray:
    return _error_bounds(points, _TABLE_SIGMAS)


def _error_table(points: int, sigmas) -> np.ndarray:
    """:func:`chebyshev_error_bound` per entry, read at the next tabulated width up (a bound)."""
    sigmas = np.asarray(sigmas, dtype=float)
    step = _TABLE_SIGMAS[1] - _TABLE_SIGMAS[0]
    at = np.minimum(np.ceil(sigmas / step * (1 + 1e-12)), _TABLE_SIGMAS.size - 1).astype(int)
    return np.where(sigmas <= _TABLE_SIGMAS[-1], _error_row(points)[at], np.inf)


def _smooth_classes(grid: StickyStrikeGrid, lo: float, hi: float, levels_hint: int, rtol: float):
    """Per entry: index into :data:`SMOOTH_NODES` (interpolated), -1 (priced exactly) or -2
    (out of band over the whole window ``[lo, hi]`` of log-spot); and the in-window mask."""
    in_window = (grid.log_high >= lo) & (grid.log_low <= hi)
    sigmas = grid.b * (0.5 * (hi - lo))
    band_share = np.minimum(grid.log_high, hi) - np.maximum(grid.log_low, lo)
    exact_cost = levels_hint * band_share / max(hi - lo, 1e-300)
    limits = np.maximum.accumulate([_smooth_limit(points, rtol) for points in SMOOTH_NODES])
    fewest = np.searchsorted(limits, sigmas, side="left")  # the first class wide enough, if any
    cheaper = exact_cost > np.array([*SMOOTH_NODES, np.inf])[fewest]  # than pricing each level
    kind = np.where(in_window, np.where(cheaper, fewest, -1), -2)
    return kind, in_window


def _sum_of_products(x, y) -> float:
    """``x @ y`` without BLAS: OpenBLAS splits dot products over 10,000 entries across threads,
    whose start-up costs more than the product itself (milliseconds on a busy machine)."""
    return float(np.einsum("i,i->", x, y))


@functools.lru_cache(maxsize=16)
def _transfer(points: int, fine: int) -> np.ndarray:
    """``(fine, points)`` matrix taking values at ``points`` Chebyshev points of a window to
    their interpolant's values at ``fine`` points of the same window (every coarse point is a
    fine one). Barycentric weights do not change under an affine map of the window, so one
    matrix serves every window."""
    fine_nodes = np.cos(np.pi * np.arange(fine) / (fine - 1))
    coarse = fine_nodes[::(fine - 1) // (points - 1)]
    weights = _chebyshev_weights(points)
    matrix = np.column_stack([_barycentric(fine_nodes, coarse, unit, weights) for unit in np.eye(points)])
    matrix.flags.writeable = False
    return matrix


@functools.lru_cache(maxsize=16)
def _chebyshev_weights(points: int) -> np.ndarray:
    """Barycentric weights of ``points`` Chebyshev points of the second kind."""
    weights = np.where(np.arange(points) % 2, -1.0, 1.0)
    weights[[0, -1]] *= 0.5
    weights.flags.writeable = False
    return weights


def _barycentric(x, nodes, values, weights) -> np.ndarray:
    """Barycentric interpolation (second form) at ``x`` through Chebyshev ``nodes``."""
    diff = x[:, None] - nodes
    hit = diff == 0.0
    diff[hit] = 1.0
    ratio = weights / diff
    out = np.einsum("ij,j->i", ratio, values) / ratio.sum(axis=1)  # no BLAS threads: see _sum_of_products
    rows, cols = np.nonzero(hit)
    out[rows] = values[cols]
    return out


def sticky_moneyness_vols(spot, strike, vol, group):
    """A ``vol_at`` for :func:`profile_kernel` that keeps each smile fixed in moneyness K/S.

    At hypothetical spot ``L`` contract ``i`` gets its own vol plus the change of its expiry's
    smile (``group``) between strike ``K_i`` and ``K_i * spot / L``: the smile is read
    linearly between quoted strikes (one vol per strike, flat beyond the ends), and each
    contract keeps its own vol at today's spot. Contracts with no vol (NaN or <= 0) keep zero
    gamma. ``vol_at(levels, idx)`` gives the ``(len(levels), len(idx))`` vols of contracts
    ``idx`` (all when None); ``vol_at.high`` is each contract's largest vol at any level.
    """
    return _SmileVols(spot, strike, vol, group)


class _SmileVols:
    """Each expiry's smile (strikes ``xs``, vols ``ys``) and each contract's offset from it."""

    def __init__(self, spot, strike, vol, group):
        self.spot = float(spot)
        self.strike = np.asarray(strike, dtype=float)
        vol = np.asarray(vol, dtype=float)
        has_vol = np.isfinite(vol) & (vol > 0)
        keys, group_index = np.unique(np.asarray(group), return_inverse=True)
        self.group = np.full(self.strike.size, -1)
        self.own = np.zeros(self.strike.size)
        self.high = np.full(self.strike.size, np.nan)
        self.smiles = []
        for g in range(keys.size):
            quoted = np.flatnonzero((group_index == g) & has_vol)
            if quoted.size == 0:
                continue
            order = np.argsort(self.strike[quoted], kind="stable")
            xs, first = np.unique(self.strike[quoted][order], return_index=True)  # calls first
            ys = vol[quoted][order][first]
            self.group[quoted] = len(self.smiles)
            self.own[quoted] = vol[quoted] - np.interp(self.strike[quoted], xs, ys)
            self.high[quoted] = self.own[quoted] + ys.max()
            self.smiles.append((xs, ys))

    def __call__(self, levels, idx=None) -> np.ndarray:
        levels = np.asarray(levels, dtype=float)
        idx = np.arange(self.strike.size) if idx is None else np.asarray(idx)
        out = np.zeros((levels.size, idx.size))
        groups = self.group[idx]
        ratio = self.spot / levels
        for g, (xs, ys) in enumerate(self.smiles):
            cols = np.flatnonzero(groups == g)
            if cols.size:
                rows = idx[cols]
                out[:, cols] = np.interp(np.multiply.outer(ratio, self.strike[rows]), xs, ys) + self.own[rows]
        return out


def strict_sign_changes(values) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs ``(lo, hi)`` where ``values`` changes sign strictly.

    ``values[lo]`` and ``values[hi]`` are nonzero with opposite signs and every value between
    them is exactly zero: a run of zeros between opposite signs is one change, reported once;
    between equal signs it is none.
    """
    values = np.asarray(values, dtype=float)
    nonzero = np.flatnonzero(values != 0.0)
    signs = np.sign(values[nonzero])
    k = np.flatnonzero(signs[:-1] * signs[1:] < 0.0)
    return nonzero[k], nonzero[k + 1]


def inverse_cubic_guess(x, y, lo, hi) -> np.ndarray:
    """First estimates of the roots in brackets ``[x[lo], x[hi]]`` of the sampled ``y``.

    Inverse cubic interpolation through ``lo - 1, lo, hi, hi + 1`` where those four values
    are strictly monotone (the root's neighbourhood looks like one smooth crossing), else the
    secant of the bracket; always inside the bracket.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    secant = x[hi] - (x[hi] - x[lo]) * (y[hi] / (y[hi] - y[lo]))
    idx = np.stack([np.maximum(lo - 1, 0), lo, hi, np.minimum(hi + 1, x.size - 1)])
    xs, ys = x[idx], y[idx]
    steps = np.diff(ys, axis=0)
    ok = (np.all(steps > 0, axis=0) | np.all(steps < 0, axis=0)) & (idx[0] < idx[1]) & (idx[2] < idx[3])
    diagonal = np.arange(4)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # bad nodes: secant
        factors = -ys[None] / (ys[:, None] - ys[None])  # [i, j]: (0 - y_j) / (y_i - y_j)
        factors[diagonal, diagonal] = 1.0
        guess = np.sum(xs * np.prod(factors, axis=1), axis=0)  # Lagrange form of x(y) at y = 0
    inside = ok & np.isfinite(guess) & (guess > x[lo]) & (guess < x[hi])
    return np.where(inside, guess, secant)


def refine_brackets(func, lo, hi, f_lo, f_hi, xtol: float = 0.01, max_iter: int = 100,
                    guess=None) -> np.ndarray:  # fmt: skip
    """Roots of ``func`` in every bracket ``[lo[k], hi[k]]`` to within ``xtol``, all at once.

    ``func(points) -> values`` is called once per iteration with the trial points of every
    open bracket. The bracket ends' values ``f_lo``, ``f_hi`` (nonzero, opposite signs) are
    taken as given, never recomputed. Each iteration takes an estimate (``guess`` first, the
    secant of the bracket when there is none; then the secant through the last two trial
    points when it falls inside the bracket, else the bracket's midpoint) and evaluates the two
    points ``0.45 * xtol`` either side of it: a good estimate closes its bracket at once, and
    a bracket at least halves otherwise.
    Returns the linear interpolation inside each final bracket (width <= ``xtol``), or the
    point where ``func`` is exactly zero.
    """
    a, b = np.array(lo, dtype=float), np.array(hi, dtype=float)
    fa, fb = np.array(f_lo, dtype=float), np.array(f_hi, dtype=float)
    roots = np.full(a.size, np.nan)
    estimate = _secant(a, b, fa, fb) if guess is None else np.array(guess, dtype=float)
    for _ in range(max_iter):
        open_ = np.flatnonzero(np.isnan(roots) & (b - a > xtol))
        if open_.size == 0:
            break
        c = np.clip(estimate[open_], a[open_], b[open_])
        p1 = np.maximum(c - 0.45 * xtol, 0.5 * (a[open_] + c))
        p2 = np.minimum(c + 0.45 * xtol, 0.5 * (c + b[open_]))
        f = np.asarray(func(np.concatenate([p1, p2])), dtype=float)
        f1, f2 = f[:open_.size], f[open_.size:]
        roots[open_] = np.where(f1 == 0.0, p1, np.where(f2 == 0.0, p2, np.nan))
        left = np.sign(f1) != np.sign(fa[open_])  # the root is in [a, p1]
        middle = ~left & (np.sign(f2) != np.sign(f1))  # in [p1, p2]
        a[open_], fa[open_] = np.where(left, a[open_], np.where(middle, p1, p2)), \
            np.where(left, fa[open_], np.where(middle, f1, f2))
        b[open_], fb[open_] = np.where(left, p1, np.where(middle, p2, b[open_])), \
            np.where(left, f1, np.where(middle, f2, fb[open_]))
        local = _secant(p1, p2, f1, f2)
        inside = (local > a[open_]) & (local < b[open_])
        estimate[open_] = np.where(inside, local, 0.5 * (a[open_] + b[open_]))
    todo = np.isnan(roots)
    roots[todo] = _secant(a[todo], b[todo], fa[todo], fb[todo])
    return roots


def _secant(x0, x1, y0, y1) -> np.ndarray:
    """Where the line through ``(x0, y0)`` and ``(x1, y1)`` crosses zero (NaN if flat)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return x1 - (x1 - x0) * (y1 / (y1 - y0))
