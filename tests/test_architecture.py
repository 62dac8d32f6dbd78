"""The import contracts in pyproject.toml hold, and they would catch a violation (not a contract that cannot fail)."""

import ast
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = tuple(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"])


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"]
    return subprocess.run(command, cwd=root, env={"PYTHONPATH": str(root), "PATH": ""}, capture_output=True, text=True, timeout=120)


def copy_of_the_code(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "migrations", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold_on_this_tree() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "broken" in result.stdout and "0 broken" in result.stdout


def test_the_layers_contract_names_every_package_and_ignores_nothing() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")
    named = {name.strip() for layer in layers["layers"] for name in re.split(r"[|:]", layer)}
    assert named == set(PACKAGES)
    assert all("ignore_imports" not in contract for contract in config["contracts"])
    on_disk = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert on_disk == set(PACKAGES), "a new top-level package needs a place in the layers"


def test_routing_calling_up_into_the_engine_breaks_the_layers(tmp_path: Path) -> None:
    root = copy_of_the_code(tmp_path)
    planted = root / "agents" / "services.py"
    planted.write_text(planted.read_text() + "\n\ndef _sneaky() -> None:\n    from escalation_engine import sla  # noqa\n")
    result = lint_imports(root)
    assert result.returncode != 0 and "agents.services -> escalation_engine.sla" in result.stdout, result.stdout[-3000:]


def _function_level_cross_package_imports(root: Path) -> list[str]:
    """Imports of another top-level package of this project placed inside a function (a hidden cycle, or a dodge)."""
    found = []
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for func in ast.walk(tree):
                if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(func):
                    names: list[str] = []
                    if not isinstance(node, (ast.Import, ast.ImportFrom)):
                        continue
                    if isinstance(node, ast.Import):
                        names = [alias.name for alias in node.names]
                    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                        names = [node.module]
                    for name in names:
                        top = name.split(".")[0]
                        if top in PACKAGES and top != package:
                            found.append(f"{path.relative_to(root)}:{node.lineno} imports {name}")
    return sorted(set(found))


def test_no_app_imports_another_inside_a_function() -> None:
    assert _function_level_cross_package_imports(ROOT) == []


def test_the_check_finds_an_import_hidden_in_a_function(tmp_path: Path) -> None:
    root = copy_of_the_code(tmp_path)
    planted = root / "tickets" / "selectors.py"
    planted.write_text(planted.read_text() + "\n\ndef _sneaky() -> None:\n    from agents.models import Agent  # noqa\n")
    line = len(planted.read_text().splitlines())
    assert _function_level_cross_package_imports(root) == [f"tickets/selectors.py:{line} imports agents.models"]


def test_an_upward_import_into_the_platform_breaks_the_contract(tmp_path: Path) -> None:
    root = copy_of_the_code(tmp_path)
    planted = root / "foundation" / "patterns.py"
    planted.write_text(planted.read_text() + "\n\ndef _sneaky() -> None:\n    from tickets.models import Ticket  # noqa\n")
    result = lint_imports(root)
    assert result.returncode != 0 and "foundation.patterns -> tickets.models" in result.stdout, result.stdout[-3000:]


def test_django_in_a_pure_core_breaks_the_contract(tmp_path: Path) -> None:
    root = copy_of_the_code(tmp_path)
    planted = root / "agents" / "routing_core.py"
    planted.write_text("from django.utils import timezone  # noqa\n" + planted.read_text())
    result = lint_imports(root)
    assert result.returncode != 0 and "agents.routing_core -> django" in result.stdout, result.stdout[-3000:]


def test_every_event_has_a_listener_and_the_readme_lists_each_one() -> None:
    from foundation.events import describe

    readme = (ROOT / "README.md").read_text()
    rows = {
        (match.group(1), match.group(2), match.group(3).strip())
        for match in re.finditer(r"^\| `(\w+)` \([^)]*\) \| `([\w.]+)`[^|]*\| ([a-z ]+) \|$", readme, re.M)
    }
    registered = set()
    for event in describe():
        assert event["listeners"], f"{event['event']} is announced but nobody listens"
        for listener in event["listeners"]:
            registered.add((event["event"], listener["listener"], listener["when"].replace("_", " ")))
    assert rows == registered
