"""Render the README's pictures: the dashboard template and a report, as LibreOffice prints them.

    python scripts/render_pictures.py

Needs LibreOffice (``soffice``) and poppler-utils (``pdftoppm``). The dashboard comes from
``workbooks/``; the report is written for the bundled sample chain. Each sheet is printed to
PDF by LibreOffice Calc, headless, through the same driver the tests use
(``tests/libreoffice.py``), and the first page of each PDF becomes a PNG in ``docs/images/``.
What you see is what a user without the xlgex functions sees: the stored numbers, with the
banner that says the functions are not running.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.libreoffice import SOFFICE, Job, LibreOffice  # noqa: E402 (after the path is set)

PICTURES = {
    "dashboard": ("Dashboard",),
    "report": ("Summary", "By strike", "Profile"),
}
"""Which sheets of which workbook become pictures: ``docs/images/<workbook>_<sheet>.png``."""
CROP = {("dashboard", "Dashboard"): (0.0, 0.0, 0.649, 0.52)}
"""Part of the first page kept, as fractions (left, top, right, bottom): the dashboard's page
is one page wide with its long strike and profile tables; the picture shows the charts."""
NAMES = {("dashboard", "Dashboard"): "dashboard", ("report", "By strike"): "report"}
"""The pictures the README shows; the others are named ``<workbook>_<sheet>.png``."""
DPI = 150


def _crop(pdf: Path, box) -> list:
    """pdftoppm's crop options for ``box`` (fractions of the first page), or none."""
    if box is None:
        return []
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    size = next(line for line in info.stdout.splitlines() if line.startswith("Page size:"))
    width_pt, height_pt = (float(v) for v in size.split()[2:5:2])
    w, h = width_pt / 72 * DPI, height_pt / 72 * DPI
    x0, y0, x1, y1 = box
    return ["-x", str(round(x0 * w)), "-y", str(round(y0 * h)), "-W", str(round((x1 - x0) * w)),
            "-H", str(round((y1 - y0) * h))]


def render(out_dir: Path = ROOT / "docs" / "images") -> list[Path]:
    from xlgex.readers import read_chain
    from xlgex.report import write_report
    from xlgex.sample import SAMPLE_PATH

    if SOFFICE is None:
        raise SystemExit("render_pictures: LibreOffice (soffice) is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        report = write_report(read_chain(SAMPLE_PATH), tmp / "sample_report.xlsx",
                              title="sample_chain.csv", price_unit="index points")  # fmt: skip
        sources = {"dashboard": ROOT / "workbooks" / "xlgex_dashboard.xlsx", "report": report}
        jobs = {name: Job(sources[name], tmp / f"{name}.xlsx", pdf_sheets=sheets)
                for name, sheets in PICTURES.items()}  # fmt: skip
        LibreOffice(tmp).run(jobs.values())
        for name, job in jobs.items():
            for sheet in job.pdf_sheets:
                stem = NAMES.get((name, sheet), f"{name}_{sheet.lower().replace(' ', '_')}")
                target = out_dir / stem
                subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1",
                                *_crop(job.pdf(sheet), CROP.get((name, sheet))),
                                "-singlefile", str(job.pdf(sheet)), str(target)], check=True)
                written.append(target.with_suffix(".png"))
    return written


if __name__ == "__main__":
    for path in render():
        print(path.relative_to(ROOT))
