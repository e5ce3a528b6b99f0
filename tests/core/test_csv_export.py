"""CSV cells a spreadsheet would run as a formula get a leading apostrophe (API.md, third
round: also a part after `;`, `,`, `|`, a tab or a line break)."""

import pytest

from ilp.core.csv_export import csv_cell


@pytest.mark.parametrize("separator", [";", ",", "|", "\t", "\n", "\r\n", "; ", ",  "])
@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_formula_after_a_separator_is_escaped(separator, start):
    text = f"ok{separator}{start}cmd|' /C calc'!A0"
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_formula_at_the_start_is_escaped(start):
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize(
    "text", ["ok; fine", "a@example.com, b@example.com", "Berlin - Mitte", "x=1", "WE-7K3QX"]
)
def test_plain_text_stays_as_it_is(text):
    assert csv_cell(text) == text


def test_numbers_are_not_formulas():
    assert csv_cell(-5) == "-5"
    assert csv_cell(1.5) == "1.5"
