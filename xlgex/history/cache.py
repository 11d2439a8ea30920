"""The resumable cache: one small JSON file per finished snapshot.

A snapshot's key is the sha256 of its source file's bytes, its part within the file, the
settings and the xlgex version, so an edited file, other settings or a new xlgex compute it
again while an interrupted run continues where it stopped. Every file is written to a
temporary name and renamed into place: an interruption leaves no half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .. import __version__

__all__ = ["RowCache", "settings_digest"]


def settings_digest(settings: dict) -> str:
    """Hash of the settings and xlgex version (hex)."""
    text = json.dumps({"settings": settings, "xlgex": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file in ``path``'s folder, then rename it onto ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RowCache:
    """Finished rows under ``folder/rows``; many-snapshot files split under ``folder/parts``."""

    def __init__(self, folder: Path, settings: dict):
        self.folder = Path(folder)
        self.rows = self.folder / "rows"
        self.parts = self.folder / "parts"
        self.rows.mkdir(parents=True, exist_ok=True)
        self.parts.mkdir(parents=True, exist_ok=True)
        self._settings = settings_digest(settings)

    def key(self, task: dict) -> str:
        text = "\0".join((task["digest"], task["part"], self._settings))
        return hashlib.sha256(text.encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.rows / f"{key}.json"

    def has(self, key: str) -> bool:
        return self._path(key).exists()

    def get(self, key: str) -> dict:
        return json.loads(self._path(key).read_text(encoding="utf-8"))

    def put(self, key: str, result: dict) -> None:
        write_atomically(self._path(key), json.dumps(result, allow_nan=False))
