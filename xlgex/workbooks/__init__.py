"""Build the template workbooks in ``workbooks/`` with XlsxWriter (``xlgex workbooks``).

Three templates, each a plain ``.xlsx`` with an ``xlwings.conf`` sheet (``UDF Modules`` =
``xlgex.udfs``):

* ``xlgex_hedging.xlsx``: the delta-hedging walkthroughs of "Inside the Machine: How Market
  Makers Actually Hedge Gamma" and Unusual Whales' "How To Interpret Periscope Net Gamma
  Exposure", one sheet each, every trade worked out in plain Excel beside ``=HEDGE_TRADE()``,
  and a rehedge ladder with a tolerance band (``=HEDGE_LADDER()``);
* ``xlgex_dashboard.xlsx``: the bundled sample chain as an Excel Table, and a dashboard of
  ``GEX_STRIKE``, ``GEX_FLIP``, ``GEX_REGIME``, ``GEX_WALLS``, ``GEX_INFO``, ``GEX_PROFILE``
  with native charts;
* ``xlgex_whatif.xlsx``: net GEX, the flip and the dealer hedge under spot shocks, vol shifts
  and clock rolls, and the profile before and after the 0DTE expiry.

Every formula cell stores the value xlgex computes for it at build time (spilled results:
the dynamic-array formula in the anchor, the values in the spill cells), so a template reads
correctly before its functions are imported: in Excel, in file previewers, in Python readers.
The values come from calling the worksheet functions of :mod:`xlgex.udfs` with the cells'
contents, exactly as Excel would pass them. The workbook does not ask Excel for a full
recalculation on load (no ``fullCalcOnLoad``, the current ``calcId``), so the stored values stay
until an input changes. LibreOffice always recalculates array formulas on load (its OOXML import
sets matrix cells without their cached results), so there spilled results show ``#NAME?``;
single-cell formulas keep their stored values when these are numbers or text (a stored
TRUE/FALSE, or an empty text, is recalculated too), even when they read cells of a spill.
The hedging workbook therefore has no spills:
its tables are read cell by cell, ``=INDEX(HEDGE_TRADE(..., TRUE),k,2)`` and
``=INDEX(HEDGE_LADDER(...),r,c)`` (:meth:`_Sheet.udf_cells`; HEDGE_TRADE and HEDGE_LADDER need
no chain, so one call per cell is cheap), with the fixed labels and headers as plain text, and
it reads correctly in LibreOffice too. The dashboard and what-if keep their spills (live in
Excel) on a sheet of their own (``Live``, ``Workings``) and show them on the visible sheets
with single-cell mirrors, ``=IF(Live!J7="","",Live!J7)`` (:meth:`_Sheet.mirror`), sized to
the build-time result plus 20% blank rows for the chain-dependent tables; the charts plot the
mirrors, so these workbooks read correctly in LibreOffice except their spill sheet.

Rebuilds are deterministic: fixed document properties, fixed zip timestamps (XlsxWriter), and
values from deterministic code.
"""

from __future__ import annotations

from pathlib import Path

from .chainsheet import _sample
from .dashboard import build_dashboard
from .hedging import build_hedging
from .kit import BUILD_DATE, CHAIN_NAME, TEMPLATES
from .whatif import build_whatif

__all__ = [
    "build_all",
    "build_hedging",
    "build_dashboard",
    "build_whatif",
    "TEMPLATES",
    "BUILD_DATE",
    "CHAIN_NAME",
]


def build_all(out_dir) -> list[Path]:
    """Build every template into ``out_dir`` (created if needed); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame, label = _sample()
    return [
        build_hedging(out / TEMPLATES[0]),
        build_dashboard(out / TEMPLATES[1], frame, label),
        build_whatif(out / TEMPLATES[2], frame, label),
    ]
