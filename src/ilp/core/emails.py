"""E-mail domains under IDNA 2008 (API.md, third round: UTS 46, non-transitional).

An address is stored in its canonical Unicode form (accounts.models.normalize_email: NFKC,
lower case) and mail goes to the same address with its domain as IDNA 2008 A-label
(`chef@straße.example` → `chef@xn--strae-oqa.example`). Django's SMTP backend would turn a
Unicode domain into IDNA 2003 instead, which maps `ß` to `ss` and drops a soft hyphen: mail to
another domain than the one stored. So an address is refused where it enters when it holds a
default-ignorable code point (soft hyphen, zero-width characters, variation selectors: they
vanish on the way, so two stored addresses could reach one mailbox) or when its domain does not
survive the IDNA 2008 round trip unchanged; and the outbox hands Django the A-label form.
"""

import re

import idna

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, Unicode 15.1); Python's
# unicodedata does not carry the property.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors, vowel separator
    (0x200B, 0x200F),  # zero-width space, non-joiner, joiner, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates, …
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero-width no-break space (BOM)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),  # unassigned, reserved ignorable
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement
)


_IGNORABLE_CHARS = re.compile(
    "["
    + "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in _DEFAULT_IGNORABLE)
    + "]"
)


def has_default_ignorable(text: str) -> bool:
    """Whether `text` holds a code point that renders as nothing (Default_Ignorable)."""
    # The first of them is U+00AD: plain ASCII holds none.
    return not text.isascii() and _IGNORABLE_CHARS.search(text) is not None


def _domain_ascii(domain: str) -> str:
    """The domain as IDNA 2008 A-labels; ValueError when it has no such form."""
    if domain.isascii():
        return domain  # plain host names: Django's validator has the say
    try:
        return idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(str(exc)) from None


def email_problem(email: str) -> str | None:
    """Why a (canonical) address cannot be stored, or None: a default-ignorable character, or a
    domain that IDNA 2008 refuses or would map to another one (so what is stored would not be
    where mail goes)."""
    if has_default_ignorable(email):
        return "default_ignorable"
    _local, _at, domain = email.rpartition("@")
    if not domain or domain.isascii():
        return None
    try:
        ascii_domain = _domain_ascii(domain)
        if idna.decode(ascii_domain) != domain:
            return "idna_mapped"
    except (ValueError, idna.IDNAError, UnicodeError):
        return "idna_invalid"
    return None


def email_for_delivery(email: str) -> str:
    """The stored address as the mail server is handed it: the domain in IDNA 2008 A-labels,
    so that Django's backend has nothing left to convert. ValueError when it has no such form
    (an address stored before the rule; the outbox keeps the mail as failed rather than let
    IDNA 2003 send it to another domain)."""
    problem = email_problem(email)
    if problem:
        raise ValueError(f"not deliverable as stored ({problem})")
    local, at, domain = email.rpartition("@")
    if not at:
        return email
    return f"{local}@{_domain_ascii(domain)}"
