"""The layering of docs/architecture.md holds, and the check that guards it can fail.

`make test` runs `lint-imports` on the tree; these tests show that the contract catches an
upward import (a copy of the package with one added on purpose) and that no app reaches
into another through an import hidden inside a function.
"""

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import ilp

SRC = Path(ilp.__file__).parent
ROOT = SRC.parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
APPS = {"core", "accounts", "audit", "notifications", "licensing", "rollout", "web"}


def _lint(package_parent: Path, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=package_parent,
        env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory):
    """A copy of src/ilp and of the contract in pyproject.toml, to break on purpose."""
    root = tmp_path_factory.mktemp("layers")
    shutil.copytree(SRC, root / "ilp", ignore=shutil.ignore_patterns("locale", "__pycache__"))
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    lines = ["[importlinter]", f"root_package = {config['root_package']}"]
    for contract in config["contracts"]:
        lines += [f"[importlinter:contract:{contract['id']}]", f"name = {contract['name']}"]
        lines += [f"type = {contract['type']}", "layers ="]
        lines += [f"    {layer}" for layer in contract["layers"]]
    (root / "layers.ini").write_text("\n".join(lines) + "\n")
    clean = _lint(root, root / "layers.ini")
    assert clean.returncode == 0, clean.stdout  # the copy as it is keeps the contract
    return root


@pytest.mark.parametrize(
    "module, upward",
    [
        ("core/upward.py", "from ilp.accounts import models\n"),
        ("licensing/upward.py", "def f():\n    import ilp.rollout.models\n"),
        ("audit/upward.py", "from ilp.notifications import services\n"),  # siblings
    ],
)
def test_the_layers_contract_fails_on_an_upward_import(package_copy, module, upward):
    target = package_copy / "ilp" / module
    target.write_text(upward)
    try:
        result = _lint(package_copy, package_copy / "layers.ini")
    finally:
        target.unlink()
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and module.split("/")[0] in result.stdout


def _function_local_imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield func.name, node.module, node.lineno
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield func.name, alias.name, node.lineno


def test_no_app_imports_another_inside_a_function():
    """An import of another app inside a function hides a dependency from the contract's
    readers (and usually dodges a cycle). Only AppConfig.ready() may do it: that is where
    an app registers its receivers and resolvers."""
    found = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if "migrations" in rel.parts or rel.name == "apps.py" or len(rel.parts) < 2:
            continue
        own = rel.parts[0]
        for func, module, line in _function_local_imports(path):
            parts = module.split(".")
            if parts[0] == "ilp" and len(parts) > 1 and parts[1] in APPS and parts[1] != own:
                found.append(f"{rel}:{line} {func}() imports {module}")
    assert not found, "\n".join(found)
