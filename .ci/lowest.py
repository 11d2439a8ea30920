"""Print pip constraints pinning every requirement in pyproject.toml to its lowest allowed version.

    python .ci/lowest.py [--build] [pyproject.toml] > lowest.txt
    pip install -c lowest.txt ".[test]"
    python .ci/lowest.py --check lowest.txt      # in that environment: were the pins installed?

Reads ``[project] dependencies`` and every ``[project.optional-dependencies]`` extra (or, with
``--build``, ``[build-system] requires``) and turns each ``name>=X,<Y; marker`` into
``name==X; marker``. A requirement without a ``>=`` floor is an error: every range must have a
lower end that CI can install and test. Writing constraints needs Python 3.11+ (``tomllib``);
``--check`` runs on any supported Python.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")
_FLOOR = re.compile(r">=\s*([^,\s;]+)")


def lowest(requirement: str) -> str:
    """``"numpy>=1.24,<3; python_version<'3.13'"`` -> ``"numpy==1.24; python_version<'3.13'"``."""
    spec, _, marker = requirement.partition(";")
    match = _NAME.match(spec)
    if not match:
        raise SystemExit(f"lowest.py: cannot read requirement {requirement!r}")
    name, _extras, versions = match.groups()
    floor = _FLOOR.search(versions)
    if not floor:
        raise SystemExit(f"lowest.py: {requirement!r} has no '>=' lower bound")
    pin = f"{name}=={floor.group(1)}"
    return f"{pin}; {marker.strip()}" if marker.strip() else pin


def requirements(pyproject: dict, build: bool) -> list[str]:
    """The requirement strings to pin: the build system's, or the project's and its extras'."""
    if build:
        return list(pyproject["build-system"]["requires"])
    project = pyproject["project"]
    reqs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return reqs


def _release(version: str) -> tuple[int, ...]:
    """``"1.24"`` and ``"1.24.0"`` -> ``(1, 24)``: the release numbers, trailing zeros dropped."""
    parts = [int(p) for p in re.match(r"\d+(?:\.\d+)*", version)[0].split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def check(constraints: Path) -> int:
    """Exit status 1, naming them, when installed versions differ from the pins in ``constraints``."""
    wrong = []
    for line in constraints.read_text(encoding="utf-8").splitlines():
        if not line.strip() or ";" in line:  # markers: not every pin applies everywhere
            continue
        name, pinned = line.split("==")
        try:
            installed = metadata.version(name.strip())
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} not installed (pinned {pinned})")
            continue
        if _release(installed) != _release(pinned):
            wrong.append(f"{name} {installed} installed, pinned {pinned}")
    for text in wrong:
        print(f"lowest.py: {text}", file=sys.stderr)
    if not wrong:
        print(f"lowest.py: every pin of {constraints} is installed")
    return 1 if wrong else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--check"]:
        return check(Path(argv[1]))
    import tomllib

    build = "--build" in argv
    paths = [a for a in argv if a != "--build"]
    path = Path(paths[0]) if paths else Path(__file__).resolve().parent.parent / "pyproject.toml"
    pyproject = tomllib.loads(path.read_text(encoding="utf-8"))
    pins: dict[str, str] = {}
    for req in requirements(pyproject, build):
        pin = lowest(req)
        key = re.split(r"[=;\s]", pin, maxsplit=1)[0].lower().replace("_", "-")
        if pins.setdefault(key, pin) != pin:
            raise SystemExit(f"lowest.py: {key} has two different floors: {pins[key]!r} and {pin!r}")
    print("\n".join(pins.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
