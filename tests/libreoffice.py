"""Drive LibreOffice Calc headless: open workbooks, edit inputs, recalculate, save, print.

One ``soffice`` process runs a batch of :class:`Job` s through a small LibreOffice Basic
macro kept in a private user profile (so the user's own profile is never touched, and the
macro runs as a trusted "My Macros" macro). The profile sets "recalculation on file load"
for Excel files to *never*, as LibreOffice ships it; a job with ``recalc=True`` then asks
for a hard recalculation (``calculateAll``, Ctrl+Shift+F9) after loading. Edits are made
after loading, as a user types them, so LibreOffice recalculates what depends on them.

Each job saves the document as ``.xlsx`` (LibreOffice stores every cell's value, which
:func:`values` reads back with openpyxl) and prints the named sheets to PDF, one file each.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path
from xml.sax.saxutils import escape

__all__ = ["SOFFICE", "Job", "LibreOffice", "values", "pdf_pages"]

SOFFICE = shutil.which("soffice")

_MACRO = r"""
Sub Run(jobFile As String)
    Dim line As String, f As Integer
    f = FreeFile()
    Open jobFile For Input As #f
    Do While Not EOF(f)
        Line Input #f, line
        If Len(line) > 0 Then DoJob(Split(line, Chr(9)))
    Loop
    Close #f
End Sub

Sub DoJob(job)
    ' job: 0 input url, 1 recalc 0/1, 2 edits "Sheet!A1=value|...", 3 output url,
    '      4 pdf url prefix, 5 sheets to print "A|B"
    On Error GoTo Failed
    Dim args(0) As New com.sun.star.beans.PropertyValue
    args(0).Name = "Hidden" : args(0).Value = True
    Dim doc As Object
    doc = StarDesktop.loadComponentFromURL(job(0), "_blank", 0, args())
    If job(1) = "1" Then doc.calculateAll()
    Dim edits, e, i As Integer, cell As Object, value As String, bang As Integer, eq As Integer
    If Len(job(2)) > 0 Then
        edits = Split(job(2), "|")
        For i = 0 To UBound(edits)
            e = edits(i)
            bang = InStr(e, "!") : eq = InStr(e, "=")
            cell = doc.Sheets.getByName(Left(e, bang - 1)).getCellRangeByName(Mid(e, bang + 1, eq - bang - 1))
            value = Mid(e, eq + 1)
            If value = "" Then
                cell.setFormula("")
            ElseIf Left(value, 1) = "'" Then
                cell.setString(Mid(value, 2))
            Else
                cell.setValue(CDbl(value))
            End If
        Next i
    End If
    Dim out(0) As New com.sun.star.beans.PropertyValue
    out(0).Name = "FilterName" : out(0).Value = "Calc Office Open XML"
    doc.storeToURL(job(3), out())
    Dim names, k As Integer
    Dim fd(0) As New com.sun.star.beans.PropertyValue
    Dim pdf(1) As New com.sun.star.beans.PropertyValue
    If Len(job(5)) > 0 Then
        names = Split(job(5), "|")
        For k = 0 To UBound(names)
            pdf(0).Name = "FilterName" : pdf(0).Value = "calc_pdf_Export"
            If names(k) = "*" Then
                Dim whole(0) As New com.sun.star.beans.PropertyValue
                whole(0).Name = "FilterName" : whole(0).Value = "calc_pdf_Export"
                doc.storeToURL(job(4) & k & ".pdf", whole())
            Else
                fd(0).Name = "Selection" : fd(0).Value = doc.Sheets.getByName(names(k))
                pdf(1).Name = "FilterData" : pdf(1).Value = fd()
                doc.storeToURL(job(4) & k & ".pdf", pdf())
            End If
        Next k
    End If
    doc.close(True)
    Exit Sub
Failed:
    Dim g As Integer
    g = FreeFile()
    Open ConvertFromURL(job(3)) & ".error.txt" For Output As #g
    Print #g, "line " & Erl & ": " & Error$
    Close #g
End Sub
"""

_RECALC_NEVER = (
    '<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" '
    'oor:op="fuse"><value>1</value></prop></item>\n'
)


@dataclasses.dataclass(frozen=True)
class Job:
    """Open ``source``, optionally recalculate, apply ``edits``, save ``out``, print sheets.

    ``edits`` maps ``(sheet, "B6")`` to a number, a text or ``""`` (clear the cell).
    ``pdf_sheets`` are printed one file each: ``out``'s stem + ``_0.pdf``, ``_1.pdf`` ...;
    ``"*"`` prints the whole workbook, as File > Export as PDF does.
    """

    source: Path
    out: Path
    recalc: bool = False
    edits: tuple = ()
    pdf_sheets: tuple = ()

    def pdf(self, sheet: str) -> Path:
        return self.out.with_name(f"{self.out.stem}_{self.pdf_sheets.index(sheet)}.pdf")

    def line(self) -> str:
        edits = []
        for (sheet, cell), value in self.edits:
            text = value if value == "" else (f"'{value}" if isinstance(value, str) else repr(float(value)))
            edits.append(f"{sheet}!{cell}={text}")
        prefix = self.out.with_name(self.out.stem + "_").absolute().as_uri()
        return "\t".join([Path(self.source).absolute().as_uri(), "1" if self.recalc else "0",
                          "|".join(edits), self.out.absolute().as_uri(), prefix,
                          "|".join(self.pdf_sheets)])  # fmt: skip


class LibreOffice:
    """A private LibreOffice profile in ``folder`` with the batch macro installed."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.profile = self.folder / "profile"
        self._run(["--terminate_after_init"])
        user = self.profile / "user"
        module = user / "basic" / "Standard" / "Module1.xba"
        module.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE script:module PUBLIC '
            '"-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">\n<script:module '
            'xmlns:script="http://openoffice.org/2000/script" script:name="Module1" '
            f'script:language="StarBasic">{escape(_MACRO)}</script:module>\n', encoding="utf-8")
        settings = user / "registrymodifications.xcu"
        text = settings.read_text(encoding="utf-8")
        settings.write_text(text.replace("</oor:items>", _RECALC_NEVER + "</oor:items>"),
                            encoding="utf-8")  # fmt: skip

    def _run(self, args, timeout: float = 180.0) -> None:
        subprocess.run([SOFFICE, f"-env:UserInstallation={self.profile.absolute().as_uri()}",
                        "--headless", "--norestore", *args], check=True, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def run(self, jobs) -> None:
        """Run ``jobs`` in one LibreOffice process; raise if any did not write its file."""
        jobs = list(jobs)
        job_file = self.folder / "jobs.txt"
        job_file.write_text("\n".join(job.line() for job in jobs) + "\n", encoding="utf-8")
        self._run([f'macro:///Standard.Module1.Run("{job_file.absolute()}")'])
        for job in jobs:
            error = job.out.with_name(job.out.name + ".error.txt")
            if error.exists():
                raise RuntimeError(f"LibreOffice on {job.source.name}: {error.read_text()}")
            if not job.out.is_file():
                raise RuntimeError(f"LibreOffice wrote no {job.out.name}")


def values(path) -> dict:
    """``{sheet: {"A1": value}}`` of the values LibreOffice saved (errors as "#NAME?" ...)."""
    import openpyxl

    book = openpyxl.load_workbook(path, data_only=True)
    out = {ws.title: {c.coordinate: c.value for row in ws.iter_rows() for c in row
                      if c.value is not None} for ws in book.worksheets}  # fmt: skip
    book.close()
    return out


def pdf_pages(path) -> int:
    """Pages of a PDF, by ``pdfinfo`` (poppler-utils)."""
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True)
    return int(next(line.split()[-1] for line in info.stdout.splitlines()
                    if line.startswith("Pages:")))  # fmt: skip
