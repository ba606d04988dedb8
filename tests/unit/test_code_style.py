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


def test_every_package_the_code_imports_is_a_pinned_dependency():
    """A package only this checkout's environment holds passes every other test here and fails on a fresh
    install (it did: the gazetteer's data, and every article was dead-lettered)."""
    import ast
    import importlib.metadata
    import re
    import tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    canonical = lambda name: re.sub(r"[-_.]+", "-", name).lower()  # noqa: E731
    pins = {canonical(re.split(r"[=<>\[;~! ]", d)[0]): d for d in pyproject["project"]["dependencies"]}
    assert all("==" in pin for pin in pins.values()), [p for p in pins.values() if "==" not in p]
    distributions = importlib.metadata.packages_distributions()
    imported: set[str] = set()
    for path in [*(ROOT / "newsflow").rglob("*.py"), *(ROOT / "evaluation").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    ours = {"newsflow", "evaluation", "bench", "tests"}
    undeclared = sorted(
        m
        for m in imported - ours - set(sys.stdlib_module_names)
        if not any(canonical(d) in pins for d in distributions.get(m, []))
    )
    assert not undeclared, f"imported but not a pinned dependency in pyproject.toml: {undeclared}"
