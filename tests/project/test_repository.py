"""The repository a user clones: links that resolve, the contract documented, one version."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

import oms_plan
from oms_plan.schema import TABLES

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _markdown_files() -> list[Path]:
    top = [ROOT / name for name in ("README.md", "CONTRIBUTING.md", "CHANGELOG.md")]
    return top + sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "benchmarks/instances/README.md"]


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve_inside_the_repository(path: Path) -> None:
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        resolved = (path.parent / target.split("#")[0]).resolve()
        assert resolved.is_relative_to(ROOT), f"{path.name}: {target} leaves the repository"
        assert resolved.exists(), f"{path.name}: {target} does not exist"


def test_readme_never_points_at_a_machine_path() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    # Spelt in parts so this file does not itself contain the path it looks for.
    assert "/".join(["", "work", ""]) not in text
    assert "shared/" not in text


def test_every_contract_column_is_documented_under_its_table() -> None:
    text = (ROOT / "docs" / "dataset.md").read_text(encoding="utf-8")
    for name, spec in TABLES.items():
        match = re.search(rf"^### `{name}`\n(.*?)(?=^#)", text, flags=re.M | re.S)
        assert match, f"docs/dataset.md has no section for table {name!r}"
        documented = set(re.findall(r"^\| `([a-z_]+)` \|", match.group(1), flags=re.M))
        assert documented == set(spec.column_names), name


def test_the_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert version("oms-plan") == oms_plan.__version__


def test_the_licence_file_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in licence and "Version 2.0, January 2004" in licence
