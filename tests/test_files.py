"""Writing files: output paths are checked, and files are replaced atomically."""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import sys

import pytest

from tests.conftest import subprocess_env
from xlgex.errors import XlgexError
from xlgex.files import check_output, replace_atomically


def _one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert text.startswith("xlgex: ") and "\n" not in text
    return text


# -- check_output ----------------------------------------------------------------------------
def test_a_new_xlsx_in_an_existing_folder_is_fine(tmp_path):
    assert check_output(tmp_path / "r.xlsx") == tmp_path / "r.xlsx"
    assert check_output(str(tmp_path / "R.XLSX")) == tmp_path / "R.XLSX"  # suffix without case


@pytest.mark.parametrize("name", ["out.csv", "out.xlsx.csv", "out", "out.xls"])
def test_a_wrong_suffix_is_refused(tmp_path, name):
    with pytest.raises(XlgexError) as err:
        check_output(tmp_path / name, what="--output")
    assert "--output" in _one_line(err) and "must end in .xlsx" in str(err.value)
    assert not (tmp_path / name).exists()


def test_other_suffixes_can_be_allowed(tmp_path):
    assert check_output(tmp_path / "a.whl", suffixes=(".whl",)).name == "a.whl"
    with pytest.raises(XlgexError, match=r"\.whl"):
        check_output(tmp_path / "a.xlsx", suffixes=(".whl",))


def test_an_existing_file_needs_force(tmp_path):
    target = tmp_path / "mine.xlsx"
    target.write_bytes(b"edited by the user")
    with pytest.raises(XlgexError) as err:
        check_output(target)
    assert "already exists" in _one_line(err) and "--force" in str(err.value)
    assert "force=True" not in str(err.value)
    assert check_output(target, force=True) == target
    assert target.read_bytes() == b"edited by the user"  # checking never writes


def test_the_input_file_is_never_an_output(tmp_path, monkeypatch):
    chain = tmp_path / "chain.xlsx"
    chain.write_bytes(b"the user's chain")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.xlsx").symlink_to(chain)
    for out in (chain, "chain.xlsx", "sub/../chain.xlsx", "link.xlsx"):
        with pytest.raises(XlgexError) as err:
            check_output(out, force=True, inputs=[None, str(chain)])
        assert "is the input file" in _one_line(err)
    assert chain.read_bytes() == b"the user's chain"
    assert check_output("other.xlsx", inputs=[chain]).name == "other.xlsx"


def test_a_missing_folder_or_a_folder_as_output_is_a_message(tmp_path):
    with pytest.raises(XlgexError) as err:
        check_output(tmp_path / "no" / "such" / "r.xlsx")
    assert "does not exist" in _one_line(err) and str(tmp_path / "no" / "such") in str(err.value)
    (tmp_path / "dir.xlsx").mkdir()
    with pytest.raises(XlgexError) as err:
        check_output(tmp_path / "dir.xlsx", force=True)
    assert "is a folder" in _one_line(err)
    (tmp_path / "file").write_text("x")
    with pytest.raises(XlgexError) as err:
        check_output(tmp_path / "file" / "r.xlsx")
    assert "is not a folder" in _one_line(err)


def test_a_read_only_folder_is_a_message(read_only_folder):
    for force in (False, True):
        with pytest.raises(XlgexError) as err:
            check_output(read_only_folder / "new.xlsx", force=force)
        assert _one_line(err).startswith("xlgex: cannot write") and "is not writable" in str(err.value)
    with pytest.raises(XlgexError) as err:
        with replace_atomically(read_only_folder / "old.xlsx") as tmp:
            tmp.write_bytes(b"new")  # pragma: no cover
    assert _one_line(err).startswith(f"xlgex: cannot write '{read_only_folder / 'old.xlsx'}'")
    assert (read_only_folder / "old.xlsx").read_bytes() == b"old"
    assert sorted(p.name for p in read_only_folder.iterdir()) == ["old.xlsx"]


# -- replace_atomically ----------------------------------------------------------------------
def test_a_finished_write_replaces_the_file(tmp_path):
    target = tmp_path / "r.xlsx"
    target.write_bytes(b"old")
    with replace_atomically(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".xlsx" and tmp.exists()
        assert tmp != target and target.read_bytes() == b"old"  # untouched while writing
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


def test_a_failed_write_leaves_the_old_file(tmp_path):
    target = tmp_path / "r.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="writer failed"):
        with replace_atomically(target) as tmp:
            tmp.write_bytes(b"half a workbo")
            raise RuntimeError("writer failed")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]  # no stray temporary file


def test_a_full_disk_is_a_message_and_leaves_the_old_file(tmp_path):
    target = tmp_path / "r.xlsx"
    target.write_bytes(b"old")
    with pytest.raises(XlgexError) as err:
        with replace_atomically(target) as tmp:
            tmp.write_bytes(b"half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert "No space left on device" in _one_line(err) and str(target) in str(err.value)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.xlsx"]


def test_a_missing_folder_is_a_message(tmp_path):
    with pytest.raises(XlgexError) as err:
        with replace_atomically(tmp_path / "gone" / "r.xlsx"):
            pytest.fail("the body must not run")  # pragma: no cover
    assert "cannot write" in _one_line(err)


def test_a_new_file_gets_ordinary_permissions_and_a_replaced_one_keeps_its_own(tmp_path):
    umask = os.umask(0o022)
    try:
        with replace_atomically(tmp_path / "new.xlsx") as tmp:
            tmp.write_bytes(b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.xlsx").stat().st_mode) == 0o644  # not mkstemp's 0600
    old = tmp_path / "old.xlsx"
    old.write_bytes(b"old")
    old.chmod(0o640)
    with replace_atomically(old) as tmp:
        tmp.write_bytes(b"new")
    assert stat.S_IMODE(old.stat().st_mode) == 0o640 and old.read_bytes() == b"new"


_KILLED_WRITER = """
import sys, time
from xlgex.files import replace_atomically
with replace_atomically(sys.argv[1]) as tmp:
    with open(tmp, "wb") as f:
        f.write(b"PK" + b"half-written " * 10000)
        f.flush()
        print("writing", flush=True)
        time.sleep(60)
        f.write(b"end")
"""


def test_a_killed_writer_leaves_the_old_file(tmp_path):
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"the good report")
    with subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(target)], env=subprocess_env(),
                          stdout=subprocess.PIPE, text=True) as proc:  # fmt: skip
        assert proc.stdout.readline() == "writing\n"  # the temporary file is half written now
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"the good report"
    strays = [p for p in tmp_path.iterdir() if p != target]
    assert [p.name.startswith(".report.") and p.name.endswith(".tmp.xlsx") for p in strays] == [True]
    assert strays[0].stat().st_size > 10000  # the kill came mid-write, not before it
