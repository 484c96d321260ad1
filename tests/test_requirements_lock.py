"""requirements.lock (what scripts/setup.sh installs) and pyproject.toml (what the project
asks for) cannot drift apart: scripts/lock.sh is to be run after each change of the latter."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def locked_versions() -> dict[str, Version]:
    text = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text, flags=re.MULTILINE)
    return {canonicalize_name(name): Version(version) for name, version in pins}


def declared_requirements() -> list[Requirement]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(line) for line in declared + pyproject["build-system"]["requires"]]


def test_the_lock_pins_every_dependency_of_pyproject_in_a_version_it_allows():
    locked = locked_versions()
    missing, outside = [], []
    for requirement in declared_requirements():
        name = canonicalize_name(requirement.name)
        if name not in locked:
            missing.append(requirement.name)
        elif not requirement.specifier.contains(locked[name], prereleases=True):
            outside.append(f"{requirement} (locked: {locked[name]})")
    assert missing == [], "not in requirements.lock: run scripts/lock.sh"
    assert outside == [], "locked outside pyproject.toml's range: run scripts/lock.sh"


def test_every_pin_in_the_lock_carries_its_hashes():
    """`pip install --require-hashes` refuses a lock where one pin has none."""
    hashes: dict[str, int] = {}
    current = None
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if pin := re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==", line):
            current = pin.group(1)
            hashes[current] = 0
        if current and "--hash=sha256:" in line:
            hashes[current] += 1
    assert len(hashes) > 100
    assert [name for name, count in hashes.items() if not count] == []
