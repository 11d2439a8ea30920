"""xlwings Lite: the worksheet functions live in Excel on Mac, Windows and the web.

xlwings Lite (a free Excel add-in) runs Python in the browser with Pyodide. A workbook's
``requirements.txt`` lists what micropip installs (numpy, scipy and pandas come with
Pyodide; xlgex's wheel and its pure-Python dependencies are fetched), and its ``main.py``
declares the functions: one import of :mod:`xlgex.udfs` registers them all.

While xlgex is on no package index, ``xlgex lite`` builds the wheel from the source folder
and prints both texts; host the wheel where the browser can fetch it (any static HTTPS host
that allows cross-origin requests, such as GitHub Pages) and pass that address with ``--url``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import __version__
from .errors import XlgexError

__all__ = ["MAIN_PY", "requirements_txt", "wheel_name", "source_folder", "build_wheel", "run"]

MAIN_PY = '''"""Dealer gamma exposure (GEX) worksheet functions: GEX_TOTAL, GEX_FLIP, GEX_PROFILE, ..."""

from xlgex.udfs import *  # noqa: F403 -- registers every xlgex function in this workbook
'''
"""The whole ``main.py`` of an xlwings Lite workbook that uses xlgex."""


def wheel_name(version: str = __version__) -> str:
    """File name of the xlgex wheel (pure Python, any platform)."""
    return f"xlgex-{version}-py3-none-any.whl"


def requirements_txt(url: str | None = None) -> str:
    """The ``requirements.txt`` of an xlwings Lite workbook: the xlgex wheel's address.

    numpy, scipy and pandas come with Pyodide and xlwings with the add-in; micropip fetches
    tzdata, XlsxWriter and openpyxl (pure Python) from PyPI as the wheel's dependencies.
    """
    where = url.rstrip("/") + "/" + wheel_name() if url and not url.endswith(".whl") else url
    return (where or f"https://YOUR-HOST/{wheel_name()}") + "\n"


def source_folder() -> Path:
    """The xlgex source folder (the one with pyproject.toml), or a one-line error."""
    root = Path(__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "xlgex"' in pyproject.read_text(encoding="utf-8"):
        return root
    raise XlgexError("xlgex: building the wheel needs the xlgex source folder (with pyproject.toml); "
                     "run `xlgex lite` from a source checkout installed with pip install -e")  # fmt: skip


def build_wheel(out_dir, *, force: bool = False) -> Path:
    """Build the xlgex wheel into ``out_dir`` (``pip wheel --no-deps``); returns its path.

    The wheel is built in a temporary folder and moved into place atomically; an existing
    wheel of the same name is kept unless ``force``.
    """
    from .files import check_output, replace_atomically

    Path(out_dir).mkdir(parents=True, exist_ok=True)  # `dist` need not exist on a fresh checkout
    target = check_output(Path(out_dir) / wheel_name(), force=force, suffixes=(".whl",))
    command = [sys.executable, "-m", "pip", "wheel", str(source_folder()), "--no-deps",
               "--quiet", "--disable-pip-version-check"]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="xlgex-wheel-") as tmp:
        done = subprocess.run([*command, "-w", tmp], capture_output=True, text=True, check=False)
        built = Path(tmp) / wheel_name()
        if done.returncode != 0 or not built.is_file():
            last = (done.stderr.strip().splitlines() or ["no wheel was written"])[-1]
            raise XlgexError(f"xlgex: pip wheel failed: {last}")
        with replace_atomically(target) as partial:
            shutil.copyfile(built, partial)
    return target


def run(out_dir="dist", *, url: str | None = None, force: bool = False, build: bool = True) -> str:
    """What ``xlgex lite`` prints: where the wheel is, then requirements.txt and main.py."""
    lines = []
    if build:
        wheel = build_wheel(out_dir, force=force)
        lines += [f"Built {wheel}", "Host it at an HTTPS address the browser can fetch, then in "
                  "the xlwings Lite editor (add the line to requirements.txt):", ""]  # fmt: skip
    lines += ["--- requirements.txt ---", requirements_txt(url).rstrip("\n"), "",
              "--- main.py ---", MAIN_PY.rstrip("\n")]  # fmt: skip
    return "\n".join(lines) + "\n"
