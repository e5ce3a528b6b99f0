"""The German catalogue: every entry is translated (nothing fuzzy), and every translation
keeps its placeholders, so no German page, mail or API message falls back to English or
breaks on formatting."""

import re
from pathlib import Path

PO = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "ilp"
    / "locale"
    / "de"
    / "LC_MESSAGES"
    / "django.po"
)
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|\{\w+\}")
FIELD = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*"(?:\n".*")*)', re.M)


def _entries():
    for block in PO.read_text(encoding="utf-8").split("\n\n")[1:]:
        strings = {}
        for key, value in re.findall(
            r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*"(?:\n".*")*)', block, re.M
        ):
            strings[key] = "".join(re.findall(r'"(.*)"', value))
        yield block, strings


def test_every_string_is_translated_with_its_placeholders():
    entries = list(_entries())
    assert len(entries) > 500
    for block, strings in entries:
        assert "fuzzy" not in block, block
        source = strings["msgid"]
        translations = [v for k, v in strings.items() if k.startswith("msgstr")]
        assert translations and all(translations), f"untranslated: {source}"
        for translation in translations:
            assert set(PLACEHOLDER.findall(translation)) <= set(
                PLACEHOLDER.findall(source + strings.get("msgid_plural", ""))
            ), source
        if "python-format" in block and "msgid_plural" not in block:
            assert sorted(PLACEHOLDER.findall(translations[0])) == sorted(
                PLACEHOLDER.findall(source)
            ), source
