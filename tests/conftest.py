"""Fixtures shared by the test modules: running this checkout's xlgex in a subprocess, and as
a user who cannot write a folder (root ignores folder permissions, so a read-only folder needs
another user when the tests run as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parent.parent)


def subprocess_env() -> dict:
    """The environment for a subprocess that must import this checkout's xlgex."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))}


@pytest.fixture(scope="session")
def unprivileged_python() -> list[str]:
    """The command that runs this Python as a user without write access to ``read_only_folder``.

    As root that is ``nobody`` through ``setpriv``; skips when no such user can run this Python
    and import xlgex (e.g. the environment sits in a private folder).
    """
    if os.geteuid() != 0:
        return [sys.executable]
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: no user lacks write permission")
    cmd = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable]
    probe = subprocess.run([*cmd, "-c", "import xlgex.cli"], env=subprocess_env(), cwd="/",
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    if probe.returncode:
        pytest.skip(f"user nobody cannot run {sys.executable} with xlgex: {probe.stderr[-200:]}")
    return cmd


@pytest.fixture
def read_only_folder():
    """A folder holding ``old.xlsx`` (b"old") that ``unprivileged_python`` cannot write to."""
    folder = Path(tempfile.mkdtemp(prefix="xlgex-ro-"))
    (folder / "old.xlsx").write_bytes(b"old")
    (folder / "old.xlsx").chmod(0o644)
    folder.chmod(0o755 if os.geteuid() == 0 else 0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)
