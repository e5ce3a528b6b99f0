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


# --- domain events are notifications: nobody reads what a signal's receivers return ----------


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _signal_sends_read(source: str) -> list[int]:
    """Lines where a signal of an events module (`events.x.send(...)`, or a signal imported
    from an `…events` module) is sent and the call's value is used: anything but a bare
    expression statement."""
    tree = ast.parse(source)
    modules, signals = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                name = alias.asname or alias.name
                if alias.name == "events" or alias.name.endswith("_events"):
                    modules.add(name)
                elif (node.module or "").split(".")[-1] == "events":
                    signals.add(name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[-1] == "events":
                    modules.add(alias.asname or alias.name.split(".")[0])
    parents = _parents(tree)
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"send", "send_robust"}
        ):
            continue
        target = node.func.value
        is_signal = (isinstance(target, ast.Name) and target.id in signals) or (
            isinstance(target, ast.Attribute)
            and (
                (isinstance(target.value, ast.Name) and target.value.id in modules)
                or (isinstance(target.value, ast.Attribute) and target.value.attr == "events")
            )
        )
        if is_signal and not isinstance(parents.get(node), ast.Expr):
            found.append(node.lineno)
    return found


@pytest.mark.parametrize(
    "source, lines",
    [
        ("from .. import events\nevents.packs_extended.send(sender=1, packs=[])\n", []),
        ("from .. import events\nanswers = events.packs_created.send(sender=1)\n", [2]),
        ("from ilp.licensing import events\nfor r, a in events.x.send_robust(sender=1): a\n", [2]),
        ("from ilp.licensing.events import packs_created\nx = packs_created.send(sender=1)\n", [2]),
        ("import ilp.licensing.events\nf(ilp.licensing.events.x.send(sender=1))\n", [2]),
    ],
)
def test_the_signal_check_catches_a_read_return_value(source, lines):
    assert _signal_sends_read(source) == lines


def test_no_code_reads_what_a_domain_event_s_receivers_return():
    """A signal whose answer the sender reads (or whose receiver must succeed) is a required
    call upward in disguise; the higher app orchestrates such work instead (architecture.md,
    "Domain events")."""
    found = [
        f"{path.relative_to(SRC)}:{line}"
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts
        for line in _signal_sends_read(path.read_text())
    ]
    assert not found, "a signal's return value is used at " + ", ".join(found)


# --- one owner of the seat ledger ---------------------------------------------------------------

SEAT_LEDGER = Path("licensing/services/seats.py")
_WRITES = {"update", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update"}
_OTHER_MODELS_WITH_SEATS_USED = {"SeatSnapshot"}  # a dated copy of the figures, not the ledger


def _chain_names(node: ast.AST) -> set[str]:
    """Every plain name in a call chain such as `ProductPack.objects.filter(…).update`."""
    names = set()
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Name):
            names.add(node.id)
            return names
        else:
            return names


def _mentions_seats_used(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == "seats_used" for n in ast.walk(node))


def _seat_writes(source: str) -> list[int]:
    """Lines that write `ProductPack.seats_used`: a queryset write or `ProductPack(...)` with a
    `seats_used` keyword, `update_fields`/`bulk_update` naming it, or an assignment to an
    object's `.seats_used` (unless the function works on SeatSnapshot rows)."""
    tree = ast.parse(source)
    parents = _parents(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            method = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if _chain_names(node.func) & _OTHER_MODELS_WITH_SEATS_USED:
                continue
            constructs = isinstance(node.func, ast.Name) and node.func.id == "ProductPack"
            kwargs = {k.arg for k in node.keywords}
            if "seats_used" in kwargs and (method in _WRITES or constructs):
                found.append(node.lineno)
            elif method == "bulk_update" and any(map(_mentions_seats_used, node.args[1:])):
                found.append(node.lineno)
            elif any(
                k.arg == "update_fields" and _mentions_seats_used(k.value) for k in node.keywords
            ):
                found.append(node.lineno)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if not any(isinstance(t, ast.Attribute) and t.attr == "seats_used" for t in targets):
                continue
            scope = node
            while scope in parents and not isinstance(scope, ast.FunctionDef):
                scope = parents[scope]
            names = {n.id for n in ast.walk(scope) if isinstance(n, ast.Name)}
            if not names & _OTHER_MODELS_WITH_SEATS_USED:
                found.append(node.lineno)
    return sorted(set(found))


@pytest.mark.parametrize(
    "source, lines",
    [
        ("ProductPack.objects.filter(pk=1).update(seats_used=F('seats_used') + 1)\n", [1]),
        (
            "def f(pack):\n    pack.seats_used += 1\n    pack.save(update_fields=['seats_used'])\n",
            [2, 3],
        ),  # fmt: skip
        ("def f(qs):\n    qs.update(seats_used=0)\n", [2]),
        ("ProductPack(seats=2, seats_used=1)\n", [1]),
        ("ProductPack.objects.bulk_update(rows, ['seats', 'seats_used'])\n", [1]),
        ("SeatSnapshot.objects.bulk_update(rows, ['seats_used'])\n", []),
        ("def f():\n    for r in SeatSnapshot.objects.all():\n        r.seats_used = 0\n", []),
        ("ProductPack.objects.filter(seats_used__lt=F('seats')).count()\n", []),
        ("x = {'seats_used': pack.seats_used}\n", []),
    ],
)
def test_the_seat_ledger_check_catches_a_write(source, lines):
    assert _seat_writes(source) == lines


def test_only_the_seat_ledger_writes_seats_used():
    """`ProductPack.seats_used` is written by licensing/services/seats.py alone (the ledger
    with one owner); migrations, tests and the benchmark's data builders are not the app."""
    found = [
        f"{path.relative_to(SRC)}:{line}"
        for path in SRC.rglob("*.py")
        if "migrations" not in path.parts and path.relative_to(SRC) != SEAT_LEDGER
        for line in _seat_writes(path.read_text())
    ]
    assert not found, "seats_used written outside the ledger at " + ", ".join(found)
