"""Packaging: a silent, honest pyproject.toml, and the lowest-versions constraints CI derives."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest needs tomli before Python 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _lowest_module():
    spec = importlib.util.spec_from_file_location("ci_lowest", ROOT / ".ci" / "lowest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _all_requirements() -> list[str]:
    project = PYPROJECT["project"]
    extras = [r for reqs in project.get("optional-dependencies", {}).values() for r in reqs]
    return [*project["dependencies"], *extras]


def test_licence_is_an_spdx_expression_without_a_classifier():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]
    setuptools = [r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools")]
    floor = re.search(r">=\s*(\d+)", setuptools[0])
    assert int(floor[1]) >= 77  # the first setuptools reading an SPDX `license` string


def test_every_requirement_is_a_range_with_both_ends():
    for req in _all_requirements():
        spec = req.split(";")[0]
        assert ">=" in spec, req
        if not spec.lower().startswith("tzdata"):  # time-zone rules: the newest is always right
            assert "<" in spec.replace("<=", ""), req
        assert "==" not in spec, f"{req}: a range, not a pin"


def test_tzdata_is_required_everywhere():
    tzdata = [r for r in PYPROJECT["project"]["dependencies"] if r.lower().startswith("tzdata")]
    assert tzdata and ";" not in tzdata[0]  # no platform marker: minimal Linux lacks zone files too


@pytest.mark.parametrize(("requirement", "pin"), [
    ("numpy>=1.24.1,<3", "numpy==1.24.1"),
    ("dask[distributed]>=2024.12.1,<2027", "dask==2024.12.1"),
    ("tzdata>=2023.3; platform_system == 'Windows'", "tzdata==2023.3; platform_system == 'Windows'"),
    ("pyarrow >= 14, < 27", "pyarrow==14"),
])  # fmt: skip
def test_lowest_pins_each_floor(requirement, pin):
    assert _lowest_module().lowest(requirement) == pin


def test_lowest_refuses_a_requirement_without_a_floor():
    with pytest.raises(SystemExit, match="no '>=' lower bound"):
        _lowest_module().lowest("numpy<3")


def test_lowest_covers_every_requirement_of_pyproject():
    module = _lowest_module()
    pins = [module.lowest(r) for r in _all_requirements()]
    names = {re.split(r"[=\[;<> ]", r, maxsplit=1)[0].lower() for r in _all_requirements()}
    assert {p.split("==")[0].lower() for p in pins} == names


def test_release_numbers_compare_without_trailing_zeros():
    release = _lowest_module()._release
    assert release("1.24") == release("1.24.0") == (1, 24)
    assert release("2023.3") != release("2023.3.1")
    assert release("2.0.0rc1") == (2,)
