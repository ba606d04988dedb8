"""The fast lane's code checks: ruff's lint and format on everything in the repository, mypy on the package.
Their settings are in pyproject.toml; a failure prints what the tool said."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ["newsflow", "tests", "bench", "evaluation", "deploy"]


def tool(name: str) -> list[str]:
    exe = Path(sys.executable).parent / name
    if exe.exists():
        return [str(exe)]
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: it is a dev dependency (pip install -e '.[dev]')")
    return [found]


def run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing_to_lint():
    done = run([*tool("ruff"), "check", "--no-cache", *CHECKED])
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_code_is_formatted_as_ruff_formats_it():
    done = run([*tool("ruff"), "format", "--check", "--no-cache", *CHECKED])
    assert done.returncode == 0, "run `ruff format` on:\n" + done.stdout + done.stderr


def test_mypy_finds_no_type_error_in_the_package(tmp_path):
    done = run([*tool("mypy"), "--cache-dir", str(tmp_path / "mypy"), "--no-error-summary"])
    assert done.returncode == 0, done.stdout + done.stderr
