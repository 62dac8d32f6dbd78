"""The import contracts in pyproject.toml hold, and they would catch a violation (not a contract that cannot fail)."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("foundation", "tickets", "agents", "analytics", "helpcenter", "escalation")


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
