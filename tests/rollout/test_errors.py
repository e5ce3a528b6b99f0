"""Rollout's error codes come from one enum, and their values stay what the API promised."""

import re
from pathlib import Path

import ilp.rollout
from ilp.rollout.errors import RolloutError

SOURCE = Path(ilp.rollout.__file__).parent


def test_every_raise_site_uses_the_enum():
    literal = re.compile(r"""\bcode\s*=\s*["']""")
    offenders = [
        f"{path.relative_to(SOURCE)}:{n}"
        for path in SOURCE.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert not offenders, f"use a RolloutError member instead of a string: {offenders}"


def test_codes_are_unique_snake_case_values():
    values = [member.value for member in RolloutError]
    assert len(values) == len(set(values))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", v) for v in values)
    assert RolloutError.PACK_IN_USE == "pack_in_use"  # a str: problem bodies stay unchanged
