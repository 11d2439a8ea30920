"""The core imports only numpy, scipy and the standard library; ``import xlgex`` stays light.

The imports are observed in a fresh interpreter, since this one has already imported pandas,
QuantLib and whatever else the rest of the suite needed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CORE_ALLOWED = {"numpy", "scipy", "xlgex"}

# Runs `stages` one after the other and records, after each, the owners of the modules it
# imported beyond those already loaded (by interpreter start-up: site hooks, editable-install
# finders; or by an earlier stage). The owner is the first part of the name in the module's
# spec, because compiled scipy extensions also register under a bare name
# (scipy.sparse._csparsetools shows up as `_csparsetools` too).
PROBE = """
import importlib, json, pkgutil, sys
seen = set(sys.modules)
result = {}

def record(label):
    global seen
    owners = set()
    for name in set(sys.modules) - seen:
        spec = getattr(sys.modules[name], "__spec__", None)
        owners.add((spec.name if spec is not None and spec.name else name).partition(".")[0])
    result[label] = sorted(owners)
    seen = set(sys.modules)
"""

STAGES = """
import xlgex
record("import xlgex")
xlgex.greeks, xlgex.bs_gamma
record("xlgex.greeks")
import xlgex.core
modules = [info.name for info in pkgutil.walk_packages(xlgex.core.__path__, "xlgex.core.")]
for name in modules:
    importlib.import_module(name)
record("xlgex.core.*")
result["modules"] = modules
"""


def probe(stages: str) -> dict:
    code = PROBE + stages + "print(json.dumps(result))\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def is_stdlib(name: str) -> bool:
    """Standard library, or one of the few runtime modules that belong to no package."""
    return (name in sys.stdlib_module_names
            # the platform-specific name of sysconfig's data module
            or name.startswith("_sysconfigdata_")
            # created by Cython-compiled extensions (scipy's); no file of their own
            or name == "cython_runtime" or name.startswith("_cython_"))


@pytest.fixture(scope="module")
def imports():
    return probe(STAGES)


def test_core_imports_only_numpy_scipy_and_stdlib(imports):
    assert "xlgex.core.greeks" in imports["modules"]
    everything = {*imports["import xlgex"], *imports["xlgex.greeks"], *imports["xlgex.core.*"]}
    foreign = sorted(name for name in everything
                     if name not in CORE_ALLOWED and not is_stdlib(name))
    assert foreign == [], f"xlgex.core pulled in {foreign}"
    assert "pandas" not in everything
    assert "xlwings" not in everything


def test_import_xlgex_does_not_import_xlwings(imports):
    assert "xlwings" not in imports["import xlgex"]


def test_lazy_core_export_stays_pure(imports):
    """``xlgex.greeks`` is resolved lazily from the core: reaching it imports no Excel layer."""
    assert "xlwings" not in imports["xlgex.greeks"]
    assert "pandas" not in imports["xlgex.greeks"]


def test_probe_sees_a_foreign_import():
    """The probe is not blind: a third-party import (packaging, which pytest needs) shows up."""
    result = probe('import packaging.version\nrecord("packaging")\n')
    assert "packaging" in result["packaging"]
    assert not is_stdlib("packaging")
