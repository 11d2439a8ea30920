"""Writing files safely: every file xlgex writes goes through this module.

:func:`check_output` refuses, with a one-line :class:`~xlgex.errors.XlgexError`, an output
path that would lose the user's work or cannot be written: a wrong suffix, an existing file
without ``force``, a file that is one of the inputs, a missing or read-only folder.

:func:`replace_atomically` lets a writer write a temporary file in the target folder and
renames it onto the target only when the writer finished. A crash, a kill or a full disk
mid-write leaves the old file as it was (and at most a stray ``.*.tmp`` file beside it).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import XlgexError

__all__ = ["check_output", "replace_atomically"]


def _same_file(a: Path, b: Path) -> bool:
    """True when ``a`` and ``b`` name one file (through links, case and ``..`` too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return a.resolve() == b.resolve()


def _folder_problem(folder: Path) -> str | None:
    """Why nothing can be written in ``folder``, or None when it looks writable."""
    if not folder.exists():
        return f"folder '{folder}' does not exist"
    if not folder.is_dir():
        return f"'{folder}' is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"folder '{folder}' is not writable"
    return None


def check_output(path, *, force: bool = False, suffixes=(".xlsx",), inputs: Iterable = (),
                 what: str = "output") -> Path:
    """Check that ``path`` may be written and return it as a :class:`~pathlib.Path`.

    Refused (one-line ``XlgexError``): a suffix not in ``suffixes`` (compared without case),
    a path that exists while ``force`` is False (the message names ``--force``), a path that
    is one of ``inputs`` (even with ``force``), an existing folder at ``path``, and a folder
    that is missing or not writable. ``what`` names the path in messages (the command line
    passes its flag, ``--output``).
    """
    path = Path(path)
    wanted = tuple(s.lower() for s in suffixes)
    if wanted and path.suffix.lower() not in wanted:
        raise XlgexError(f"xlgex: {what} '{path}' must end in {' or '.join(wanted)}")
    for source in inputs:
        if source is not None and _same_file(path, Path(source)):
            raise XlgexError(f"xlgex: {what} '{path}' is the input file; choose another name")
    if path.is_dir():
        raise XlgexError(f"xlgex: {what} '{path}' is a folder; give a file name")
    problem = _folder_problem(path.parent)  # "." for a bare file name
    if problem:
        raise XlgexError(f"xlgex: cannot write '{path}': {problem}")
    if path.exists() and not force:
        raise XlgexError(f"xlgex: '{path}' already exists; use --force to replace it")
    return path


def _new_file_mode(target: Path) -> int:
    """Permissions for the finished file: the old file's, else what a plain ``open`` gives."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync(path: Path) -> None:
    """Push ``path``'s bytes to the disk, so the rename never exposes an unwritten file."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())


@contextlib.contextmanager
def replace_atomically(path) -> Iterator[Path]:
    """Yield a temporary path in ``path``'s folder; on success rename it onto ``path``.

    The temporary file exists (empty) and keeps ``path``'s suffix, so writers that look at
    the suffix behave. If the ``with`` body raises (or the process dies) ``path`` is left
    untouched; the temporary file is removed whenever Python still runs. Folder and disk
    errors (missing folder, no permission, disk full, file locked by Excel) become a
    one-line ``XlgexError``.
    """
    path = Path(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    except OSError as err:
        raise XlgexError(f"xlgex: cannot write '{path}': {err.strerror or err}") from err
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _new_file_mode(path))
        _fsync(tmp)
        os.replace(tmp, path)
    except OSError as err:
        hint = " (is it open in another program?)" if isinstance(err, PermissionError) else ""
        raise XlgexError(f"xlgex: cannot write '{path}': {err.strerror or err}{hint}") from err
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
