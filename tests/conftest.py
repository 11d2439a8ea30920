"""Fixtures shared by the test modules: xlgex's worksheet functions through the Windows call
path, running this checkout's xlgex in a subprocess, and a folder nothing can be written to
(also when the tests run as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parent.parent)


@pytest.fixture(scope="module")
def xl():
    """xlgex's worksheet functions called as Excel on Windows calls them (one harness per module)."""
    from .xlharness import UDFHarness

    with UDFHarness("xlgex.udfs") as harness:
        yield harness


def subprocess_env() -> dict:
    """The environment for a subprocess that must import this checkout's xlgex."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))}


@pytest.fixture
def read_only_folder():
    """A folder holding ``old.xlsx`` (b"old") in which this process cannot create files.

    Not as root, the folder is mode 0555. Root ignores modes, so as root the folder is made
    immutable (``chattr +i``: no file created, renamed or removed, even by root); skips where
    the file system does not support that.
    """
    folder = Path(tempfile.mkdtemp(prefix="xlgex-ro-"))
    (folder / "old.xlsx").write_bytes(b"old")
    immutable = os.geteuid() == 0
    try:
        if immutable:
            chattr = shutil.which("chattr")
            done = chattr and subprocess.run([chattr, "+i", str(folder)], capture_output=True)
            if not done or done.returncode:
                pytest.skip("running as root where chattr +i is unavailable: no read-only folder")
        else:
            folder.chmod(0o555)
        yield folder
    finally:
        if immutable and shutil.which("chattr"):
            subprocess.run([shutil.which("chattr"), "-i", str(folder)], capture_output=True)
        folder.chmod(0o755)
        shutil.rmtree(folder)


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """``xlgex`` with ``argv`` in this process: (exit status, stdout, stderr)."""
    from xlgex.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def user_error(code: int, out: str, err: str) -> str:
    """Exit status 2 and exactly one line on stderr, starting ``xlgex:``."""
    assert code == 2, (out, err)
    assert err.startswith("xlgex: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err
