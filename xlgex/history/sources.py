"""From SOURCES (folders, globs, files) to snapshot tasks.

A *snapshot* is one chain at one quote time. A file holds one snapshot (a CBOE download, a
long table with a single quote time), or many: a long table whose quote-time column (and
underlying or root column) takes several values, in CSV or Parquet. Such a file is split once,
streaming, into one part per (underlying, quote time) under the cache's ``parts`` folder, so
every snapshot is analysed by the same path as a one-snapshot file and memory stays flat.

The underlying of a snapshot is, in order: an ``Underlying`` / ``Underlying Symbol`` /
``Ticker`` column; the option root (``Root`` column, or the prefix of a CBOE option symbol)
with the weekly/PM suffix removed (``SPXW`` -> ``SPX``, ``NDXP`` -> ``NDX``); otherwise
:data:`UNNAMED`. File names are never read for it.
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import XlgexError
from ..readers import FIELDS
from ..readers.values import _key  # column names compared as the reader compares them

__all__ = ["Task", "expand_sources", "plan_tasks", "file_digest", "file_underlying", "underlying_in_rows",
           "UNNAMED", "SUFFIXES"]

SUFFIXES = (".csv", ".dat", ".txt", ".json", ".parquet", ".pq", ".xlsx", ".xlsm")
"""File types a folder is searched for (a file or glob named explicitly is always read);
Excel's ``~$`` lock files of open workbooks are not."""
PARQUET = (".parquet", ".pq")
TEXT_TABLES = (".csv", ".dat", ".txt")
"""Text files whose first line is looked at for a long table; other types go to read_chain whole."""
CACHE_SUFFIX = ".xlgex-cache"
"""A history cache folder's name ends so: ``<output stem>.xlgex-cache``."""
UNNAMED = "(unnamed)"
"""Underlying label when a snapshot names none."""
UNDERLYING_COLUMNS = ("Underlying", "Underlying Symbol", "Underlying Ticker", "Ticker")
ROOT_SUFFIXES = {"SPXW": "SPX", "SPXPM": "SPX", "NDXP": "NDX", "RUTW": "RUT", "VIXW": "VIX",
                 "XSPW": "XSP", "DJXW": "DJX"}  # fmt: skip
"""Weekly/PM-settled roots and the index they are options on."""
_OPTION_SYMBOL = re.compile(r"^\^?([A-Z]{1,6})\d{6}[CP]\d+$")
_CHUNK_ROWS = 200_000
_PEEK_LINES = 30


@dataclass(frozen=True)
class Task:
    """One snapshot to analyse: where its rows are and what identifies it."""

    source: str
    """The user's file, as shown in the output."""
    path: str
    """The file a worker reads: the source itself, or a part split from it."""
    part: str
    """Within a many-snapshot file: ``"<underlying> @ <quote time as written>"``; else ``""``."""
    digest: str
    """Content hash of the source file (sha256, hex)."""
    underlying: str

    def as_dict(self) -> dict:
        return asdict(self)


_ASOF_KEYS = tuple(_key(a) for a in FIELDS["asof"])
_STRIKE_KEYS = tuple(_key(a) for a in FIELDS["strike"])
_ROOT_KEYS = (_key("Root"),)
_UNDERLYING_KEYS = tuple(_key(a) for a in UNDERLYING_COLUMNS)


def normalise_root(root) -> str:
    """``"SPXW"`` -> ``"SPX"``; ``"^spx"``, ``"$SPX"`` (Schwab), ``"_SPX"`` (CBOE) -> ``"SPX"``;
    blank -> :data:`UNNAMED`."""
    text = str(root or "").strip().upper().lstrip("^$_")
    return ROOT_SUFFIXES.get(text, text) or UNNAMED


# -- sources -> files ---------------------------------------------------------------------------
def _ours(path: Path, exclude: set) -> bool:
    """A file xlgex wrote: the output, its settings file, anything in a history cache."""
    return str(path.resolve()) in exclude or any(p.endswith(CACHE_SUFFIX) for p in path.parts[:-1])


def expand_sources(sources, exclude=()) -> tuple[list[Path], list[dict]]:
    """Files named by ``sources`` (sorted, each once) and the sources that named none.

    A folder gives its files with a suffix in :data:`SUFFIXES` (not recursive); a pattern
    with ``*``, ``?`` or ``[`` is a glob (``**`` recurses); anything else is a file. Folders
    and globs skip the files in ``exclude`` and in history caches (``*.xlgex-cache``), so an
    output written among its sources is not read back as a chain.
    """
    exclude = {str(Path(p).resolve()) for p in exclude}
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    files: dict[str, Path] = {}
    missing = []
    for source in sources:
        text = os.fspath(source)
        path = Path(text).expanduser()
        is_glob = any(ch in text for ch in "*?[")
        if path.is_dir():
            found = [p for p in sorted(path.iterdir())
                     if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("~$")
                     and not _ours(p, exclude)]  # fmt: skip
        elif is_glob:
            found = [Path(p) for p in sorted(glob.glob(os.path.expanduser(text), recursive=True))
                     if Path(p).is_file() and not _ours(Path(p), exclude)]  # fmt: skip
        else:
            found = [path] if path.is_file() else []
        if not found:
            why = ("no chain files in it" if path.is_dir() else "no file matches" if is_glob
                   else "no such file")  # fmt: skip
            missing.append({"source": text, "part": "", "message": f"xlgex: {text}: {why}"})
        for p in found:
            files.setdefault(str(p.resolve()), p)
    return list(files.values()), missing


def file_digest(path: Path) -> str:
    """sha256 of the file's bytes, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- one file -> tasks ----------------------------------------------------------------------------
def plan_tasks(path: Path, parts_dir: Path, peek: bool = True) -> list[Task]:
    """The snapshots in one file (splitting a many-snapshot table into ``parts_dir``).

    ``peek=False`` leaves the underlying of a JSON file or workbook blank, for the worker to
    name (:func:`file_underlying`): telling it takes reading the whole file, which a history
    run then does only for snapshots not in its cache, in parallel.
    Raises :class:`XlgexError` when the file cannot be read at all.
    """
    digest = file_digest(path)
    suffix = path.suffix.lower()
    dialect = None
    if suffix in PARQUET:
        header, first = _parquet_header(path), None
    elif suffix in TEXT_TABLES:
        dialect = _sniff(path)
        header, first = _csv_header(path, dialect)
    else:
        return [Task(str(path), str(path), "", digest, file_underlying(path) if peek else "")]
    if header is None:
        return [Task(str(path), str(path), "", digest, _cboe_underlying(path, dialect))]
    columns = _grouping_columns(header) | {"dialect": dialect}
    if columns["asof"] is None:
        return [Task(str(path), str(path), "", digest, _constant_underlying(columns, first))]
    return _split(path, digest, columns, parts_dir)


def _sniff(path: Path) -> dict | None:
    """Encoding (a UTF-16 byte-order mark, else UTF-8) and delimiter (the most frequent of
    comma, semicolon, tab on the first non-blank line) of a text table; None when it is not UTF text."""
    try:
        with open(path, "rb") as handle:
            start = handle.read(1 << 16)
    except OSError as err:
        raise XlgexError(f"xlgex: cannot read '{path}': {err.strerror}") from None
    encoding = "utf-16" if start[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        text = start.decode(encoding)
    except UnicodeDecodeError as err:
        if err.start < len(start) - 4:  # not merely a character cut at the end of the block
            return None
        text = start[: err.start].decode(encoding)
    line = next((line for line in text.splitlines() if line.strip()), "")
    sep = max((",", ";", "\t"), key=line.count)
    return {"encoding": encoding, "sep": sep}


def _csv_header(path: Path, dialect: dict | None):
    """(header, first data row) when line 1 is a long-table header; else (None, None)."""
    if dialect is None:  # not UTF text: read_chain has the last word on what it is
        return None, None
    with open(path, encoding=dialect["encoding"], newline="") as handle:
        head = [handle.readline() for _ in range(2)]
    rows = list(csv.reader(io.StringIO("".join(head)), delimiter=dialect["sep"]))
    if not rows or not any(_key(c) in _STRIKE_KEYS for c in rows[0]):
        return None, None
    return rows[0], rows[1] if len(rows) > 1 else None


def _parquet_header(path: Path) -> list:
    pq = _pyarrow_parquet()
    try:
        return list(pq.ParquetFile(path).schema_arrow.names)
    except Exception as err:  # pyarrow raises several types for a file that is not Parquet
        raise XlgexError(f"xlgex: cannot read '{path}' as Parquet: {err}") from None


def _pyarrow_parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise XlgexError("xlgex: reading Parquet needs pyarrow (pip install pyarrow)") from None
    return pq


def _find(header, keys) -> str | None:
    for k in keys:  # aliases in order of preference
        for name in header:
            if _key(name) == k:
                return name
    return None


def _grouping_columns(header) -> dict:
    return {"asof": _find(header, _ASOF_KEYS), "underlying": _find(header, _UNDERLYING_KEYS),
            "root": _find(header, _ROOT_KEYS), "header": list(header)}  # fmt: skip


def _label_column(columns: dict) -> str | None:
    """The column that names a row's underlying: an Underlying column, else a Root column."""
    return columns["underlying"] or columns["root"]


def _constant_underlying(columns: dict, first) -> str:
    name = _label_column(columns)
    if first is None or not name:
        return UNNAMED
    return normalise_root(dict(zip(columns["header"], first, strict=False)).get(name))


def file_underlying(path: Path) -> str:
    """The underlying a JSON chain or a workbook names (:data:`UNNAMED` when none, or for any
    other file read whole)."""
    peek = {".json": _json_underlying, ".xlsx": _workbook_underlying, ".xlsm": _workbook_underlying}
    suffix = Path(path).suffix.lower()
    return peek[suffix](Path(path)) if suffix in peek else UNNAMED


def _json_underlying(path: Path) -> str:
    """The ``symbol`` of a TD/Schwab chain or CBOE delayed-quotes JSON (top level or under
    ``data``; Schwab's ``$SPX`` and CBOE's ``_SPX`` -> ``SPX``); :data:`UNNAMED` when absent
    or not JSON (the worker then gives the file's own message)."""
    try:
        with open(path, "rb") as handle:
            document = json.load(handle)
    except (OSError, ValueError):
        return UNNAMED
    inner = document.get("data") if isinstance(document, dict) else None
    for holder in (document, inner):
        symbol = holder.get("symbol") if isinstance(holder, dict) else None
        if isinstance(symbol, str) and symbol.strip():
            return normalise_root(symbol)
    return UNNAMED


def _workbook_underlying(path: Path) -> str:
    """The underlying named in the first rows of a workbook's sheets (as in a text table);
    :data:`UNNAMED` when none names it or the file is no workbook (the worker says why)."""
    from ..readers.xlsx import open_book

    try:
        with open_book(path) as book:
            for sheet in book.worksheets:
                rows = sheet.iter_rows(max_row=_PEEK_LINES, values_only=True)
                found = underlying_in_rows(list(rows))
                if found:
                    return found
    except Exception:  # noqa: BLE001 -- any damage: the worker reads the file and gives the message
        return UNNAMED
    return UNNAMED


def _cboe_underlying(path: Path, dialect: dict | None = None) -> str:
    """The underlying of a file read by its own encoding and delimiter (``SPXW220207C...`` -> SPX)."""
    encoding = dialect["encoding"] if dialect else "utf-8-sig"
    sep = dialect["sep"] if dialect else ","
    try:
        with open(path, encoding=encoding, errors="replace", newline="") as handle:
            lines = [line for _, line in zip(range(_PEEK_LINES), handle, strict=False)]
    except OSError as err:
        raise XlgexError(f"xlgex: cannot read '{path}': {err.strerror}") from None
    return underlying_in_rows(csv.reader(lines, delimiter=sep)) or UNNAMED


def underlying_in_rows(rows, limit: int = _PEEK_LINES) -> str | None:
    """The underlying named in the first ``limit`` rows of a table (cells as read or as Excel
    passes a range): an Underlying / Ticker / Root column's first value, else the root of the
    first option symbol (``SPXW220207C04700000`` -> ``SPX``); None when nothing names it."""
    wanted = _UNDERLYING_KEYS + _ROOT_KEYS
    column = None
    for _, row in zip(range(limit), rows, strict=False):
        cells = list(row) if isinstance(row, (list, tuple)) else [row]
        if column is not None:
            value = cells[column] if column < len(cells) else None
            return normalise_root(value) if isinstance(value, str) and value.strip() else None
        text = [cell.strip() if isinstance(cell, str) else "" for cell in cells]
        for cell in text:
            match = _OPTION_SYMBOL.match(cell)
            if match:
                return normalise_root(match.group(1))
        keys = [_key(cell) for cell in text]
        column = next((keys.index(k) for k in wanted if k in keys), None)
    return None


# -- splitting a many-snapshot table ----------------------------------------------------------
def _frames(path: Path, dialect: dict | None):
    """The table in chunks of text columns (CSV) or typed columns (Parquet)."""
    import pandas as pd

    if path.suffix.lower() in PARQUET:
        pq = _pyarrow_parquet()
        for batch in pq.ParquetFile(path).iter_batches(batch_size=_CHUNK_ROWS):
            yield batch.to_pandas()
        return
    with pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=_CHUNK_ROWS,
                     encoding=dialect["encoding"], sep=dialect["sep"]) as chunks:  # fmt: skip
        yield from chunks


def _labels(frame, columns: dict):
    name = _label_column(columns)
    if name:
        return frame[name].map(normalise_root)
    return frame[columns["asof"]].map(lambda _: UNNAMED)


def _split(path: Path, digest: str, columns: dict, parts_dir: Path) -> list[Task]:
    """Tasks for each (underlying, quote time) group; parts written once, then reused."""
    folder = parts_dir / digest
    manifest = folder / "manifest.json"
    if not manifest.exists():
        _write_parts(path, columns, folder)
    groups = json.loads(manifest.read_text(encoding="utf-8"))
    if len(groups) == 1:  # one snapshot: read the file itself
        g = groups[0]
        return [Task(str(path), str(path), "", digest, g["underlying"])]
    return [Task(str(path), str(folder / g["file"]), g["part"], digest, g["underlying"])
            for g in groups]  # fmt: skip


def _write_parts(path: Path, columns: dict, folder: Path) -> None:
    """Stream the table into one part per group, in a temporary folder renamed at the end."""
    parquet = path.suffix.lower() in PARQUET
    tmp = folder.with_name(f"{folder.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    groups: dict[tuple, dict] = {}
    try:
        for n_chunk, frame in enumerate(_frames(path, columns["dialect"])):
            labels = _labels(frame, columns)
            times = frame[columns["asof"]].astype(str)
            for (label, when), rows in frame.groupby([labels, times], sort=False):
                g = groups.setdefault((label, when), {
                    "part": f"{label} @ {when}", "underlying": label,
                    "file": f"{len(groups):06d}" + ("" if parquet else ".csv"),
                })  # fmt: skip
                if parquet:
                    (tmp / g["file"]).mkdir(exist_ok=True)
                    rows.to_parquet(tmp / g["file"] / f"{n_chunk:06d}.parquet", index=False)
                else:
                    target = tmp / g["file"]
                    rows.to_csv(target, mode="a", header=not target.exists(), index=False,
                                sep=columns["dialect"]["sep"])  # decimal commas stay as written
        (tmp / "manifest.json").write_text(json.dumps(list(groups.values())), encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except XlgexError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except Exception as err:  # any parser failure: the file is listed as bad, the run goes on
        shutil.rmtree(tmp, ignore_errors=True)
        raise XlgexError(f"xlgex: cannot split '{path}' into snapshots: {err}") from None
