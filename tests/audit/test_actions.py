"""Audit actions are each app's `AuditAction` StrEnum (like the error codes): every call site
names a member, every member has a label in audit/labels.py, and every label a member."""

import ast
import re
from pathlib import Path

import ilp
from ilp.accounts.audit_actions import AuditAction as AccountsAction
from ilp.audit.labels import ACTION_LABELS
from ilp.licensing.audit_actions import AuditAction as LicensingAction
from ilp.rollout.audit_actions import AuditAction as RolloutAction
from ilp.scim.audit_actions import AuditAction as ScimAction
from ilp.sso.audit_actions import AuditAction as SsoAction
from ilp.webhooks.audit_actions import AuditAction as WebhooksAction

ENUMS = (AccountsAction, LicensingAction, RolloutAction, ScimAction, SsoAction, WebhooksAction)
SOURCE = Path(ilp.__file__).parent
ACTION = re.compile(r"[a-z_]+\.[a-z_]+")


def _values() -> list[str]:
    return [member.value for enum in ENUMS for member in enum]


def test_every_app_with_an_audit_actions_module_is_checked():
    modules = {p.parent.name for p in SOURCE.glob("*/audit_actions.py")}
    assert modules == {enum.__module__.split(".")[1] for enum in ENUMS}


def test_values_are_unique_dotted_codes_and_plain_strings():
    values = _values()
    assert len(values) > 70
    assert len(values) == len(set(values)), "an action belongs to one app"
    assert all(ACTION.fullmatch(v) for v in values)
    assert RolloutAction.LICENSE_ISSUED == "license.issued"  # stored and shown unchanged
    assert f"{LicensingAction.PACK_MERGE}" == "pack.merge"


def test_every_action_has_a_label_and_every_label_an_action():
    values = set(_values())
    assert values - set(ACTION_LABELS) == set(), "name the new action in audit/labels.py"
    assert set(ACTION_LABELS) - values == set(), "a label of an action no app records"


def _literal_actions(tree: ast.AST) -> list[int]:
    """Lines where an audit action is written as a string: `action="x.y"`, `action = "x.y"`
    (also in a conditional or a tuple), and webhooks' `_audit(actor, "x.y", …)`."""

    def literal(node) -> bool:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return bool(ACTION.fullmatch(node.value))
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, ast.IfExp):
            return literal(node.body) or literal(node.orelse)
        return False

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            values = [kw.value for kw in node.keywords if kw.arg == "action"]
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name == "_audit" and len(node.args) >= 2:
                values.append(node.args[1])
            lines += [node.lineno for value in values if literal(value)]
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == "action":
                    lines += [node.lineno] if literal(node.value) else []
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    for t, v in zip(target.elts, node.value.elts, strict=False):
                        if isinstance(t, ast.Name) and t.id == "action" and literal(v):
                            lines.append(node.lineno)
    return lines


def test_every_call_site_uses_a_member():
    offenders = [
        f"{path.relative_to(SOURCE)}:{n}"
        for path in SOURCE.rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts
        for n in _literal_actions(ast.parse(path.read_text()))
    ]
    assert not offenders, f"use the app's AuditAction member instead of a string: {offenders}"


def test_the_check_finds_a_literal():
    tree = ast.parse(
        'event_record(action="pack.split")\naction = "a.b" if x else AuditAction.C\n'
        'action, after = "c.d", {}\n_audit(actor, "webhook.created", e)\n'
    )
    assert sorted(_literal_actions(tree)) == [1, 2, 3, 4]
