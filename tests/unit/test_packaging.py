"""The package metadata users see on PyPI and in ``pip show``: license, classifiers,
versions kept in step. The built wheel and sdist themselves are checked by ``make dist``
(scripts/dist.sh), which ``make test`` runs."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def project() -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return data


def test_license_is_an_spdx_expression_with_its_file() -> None:
    meta = project()["project"]
    assert meta["license"] == "Apache-2.0"
    assert meta["license-files"] == ["LICENSE"]
    # PEP 639: a license expression replaces the License :: classifiers (setuptools refuses both).
    assert not [c for c in meta["classifiers"] if c.startswith("License ::")]
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text and "APPENDIX: How to apply the Apache License" in text


def test_build_backend_reads_pep_639() -> None:
    requires = project()["build-system"]["requires"]
    assert requires == ["setuptools>=77"]


def test_classifiers_match_requires_python() -> None:
    meta = project()["project"]
    assert meta["requires-python"] == ">=3.11"
    pythons = {c.rsplit(" :: ", 1)[1] for c in meta["classifiers"] if c.startswith("Programming Language :: Python :: 3.")}
    assert min(pythons, key=lambda v: tuple(map(int, v.split(".")))) == "3.11"
    assert "Typing :: Typed" in meta["classifiers"] and (ROOT / "provgraph" / "py.typed").exists()


def test_chart_app_version_is_the_package_version() -> None:
    chart = yaml.safe_load((ROOT / "helm" / "provgraph" / "Chart.yaml").read_text())
    assert chart["appVersion"] == project()["project"]["version"]


def test_changelog_has_an_unreleased_section_and_this_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[0] == "## [Unreleased]"
    assert any(h.startswith(f"## [{project()['project']['version']}]") for h in headings)
