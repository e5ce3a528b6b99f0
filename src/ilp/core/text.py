"""Names as people type them: one line, no control or format characters.

Names reach mail subjects and bodies (an inviter's name, a company's, a UMS's). A newline in
a subject is a header injection in the making, a bidi override (U+202E) makes "gpj.exe" look
like "exe.jpg", a NUL or a zero-width character makes two names that look alike differ.
"""

import re
import unicodedata

_SPACES = re.compile(r" {2,}")


def search_text(value: str | None) -> str:
    """A name as the back office's search compares it: accents dropped (`Müller` → `muller`),
    case folded (`ß` → `ss`), every run of other characters than letters and digits one space.
    Stored beside a name (`Company.name_search`) and applied to what staff type, so a prefix
    of one matches the other."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return _NOT_WORD.sub(" ", bare.translate(_UNDECOMPOSED)).strip()


_NOT_WORD = re.compile(r"[\W_]+")
# Latin letters that carry their accent in the letter itself (NFKD leaves them whole).
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)


def plain_text(value: str | None) -> str:
    """`value` on one line: control and format characters (Unicode Cc and Cf) and line or
    paragraph separators go; those that separate words (newline, tab, U+2028 …) become a
    space; runs of spaces become one and the ends are trimmed."""
    out = []
    for char in value or "":
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Zl", "Zp"):
            if char.isspace():
                out.append(" ")
            continue
        out.append(char)
    return _SPACES.sub(" ", "".join(out)).strip()
