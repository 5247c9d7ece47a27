"""Cleaning open answers before they are analysed or quoted.

Open answers arrive as whatever people typed or pasted: HTML fragments from a
web form, very long e-mails, other languages, names and contact details. This
module turns them into text the analyses can use and quotes a report can
show:

* :func:`analysis_text` is what the statistics see: HTML tags removed and
  entities decoded, whitespace collapsed, cut to ``max_chars``.
* :func:`quote_text` is what a person sees: the answer *as text* (HTML is kept
  literally, never rendered; renderers must escape it), cut with a note, and
  with names, e-mail addresses and phone numbers masked (:func:`mask_pii`).
* :func:`looks_english` flags answers that are probably in another language,
  so callers can report their share instead of silently theming them.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable

__all__ = [
    "MAX_CHARS",
    "analysis_text",
    "cut",
    "looks_english",
    "mask_pii",
    "quote_text",
]

MAX_CHARS = 2000
"""Answers longer than this many characters are cut (with a note) by default."""

_TAG = re.compile(r"<[^>]{0,500}>")
_SPACE = re.compile(r"\s+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# International or national numbers: at least 7 digits with optional separators.
_PHONE = re.compile(r"(?<![\w.])\+?\(?\d[\d\s().-]{5,}\d(?![\w.])")
_HONORIFIC = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+[A-Z][a-zA-Z'-]+(?:\s+[A-Z][a-zA-Z'-]+)?"
)
_CALLED = re.compile(
    r"\b(?P<cue>(?i:named|called|thanks to|thank you|ask for|asked for|spoke to|"
    r"speak to|talked to|spoke with)\s+)(?P<name>[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)"
)

# Common given names (English-speaking and European); a capitalised word in this
# list, optionally followed by a capitalised surname, is masked as a name.
_GIVEN_NAMES = frozenset(
    """
    aaron adam adrian aisha alan albert alex alexander alice alison amanda amy
    andrea andrew angela anna anne anthony antonio ben benjamin beth bob brian carl
    carlos carol caroline catherine charles charlotte chris christine christopher
    claire colin craig daniel david deborah dennis diana donna dorothy ed edward
    elena elizabeth ellen emily emma eric fatima frank gary george grace hannah
    harry helen henry ian isabel jack jacob james jane janet jason jean jeff
    jennifer jessica jim joanna joe john jonathan jose joseph josh joshua julia
    julie karen kate katherine kathy kevin laura lauren linda lisa lucy luis maria
    mark martin mary matt matthew michael michelle mike mohammed nancy natalie nick
    nicola oliver olivia pamela patrick paul peter rachel raj rebecca richard robert
    ruth ryan sam samuel sandra sara sarah scott sharon simon sophie stephen steve
    steven susan thomas tim timothy tom tony victoria william
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
_NOT_NAMES = frozenset({"will", "mark", "grace", "may", "sam", "bob"})  # also ordinary words
_NAME_WORD = re.compile(
    r"\b(?:"
    + "|".join(sorted(n.capitalize() for n in _GIVEN_NAMES - _NOT_NAMES))
    + r")\b(?:\s+(?!(?:The|And|Or|But|In|On|At|For|To|From|We|They|I)\b)[A-Z][a-z'-]+)?"
)

# The most frequent English function words; answers with none of them among
# several words are probably not English.
_ENGLISH = frozenset(
    """
    the a an and or but of to in on at for with is are was were be been it this that
    they we you i he she my our your their not no very so too as by from have has
    had do does did can could would should will just more less than them us me there
    here what when how why all any some good bad great slow fast
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def cut(text: str, max_chars: int = MAX_CHARS) -> tuple[str, bool]:
    """``text`` cut to at most ``max_chars`` characters at a word boundary.

    Returns the (possibly) shortened text and whether it was cut.

    Examples
    --------
    >>> cut("one two three", 8)
    ('one two', True)
    >>> cut("short", 8)
    ('short', False)
    """
    if len(text) <= max_chars:
        return text, False
    head = text[:max_chars]
    space = head.rfind(" ")
    if space > max_chars // 2:
        head = head[:space]
    return head.rstrip(), True


def analysis_text(raw: object, max_chars: int = MAX_CHARS) -> str:
    """The text an analysis sees: tags removed, entities decoded, one line.

    Missing values (``None``, NaN) give ``""``.

    Examples
    --------
    >>> analysis_text("<p>Support was <b>slow</b> &amp; hard</p>")
    'Support was slow & hard'
    """
    if raw is None or (isinstance(raw, float) and raw != raw):
        return ""
    text = str(raw)
    if len(text) <= _CACHED_CHARS:
        return _clean(text, max_chars)
    return _clean.__wrapped__(text, max_chars)


# Answers repeat, and one analysis cleans each answer several times (scores,
# tags, themes): distinct short texts are cleaned once per process. At most
# 65,536 texts of up to 1,000 characters are kept (about 130 MB at worst; a
# study of 100,000 respondents has some 48,000 distinct answers per wave).
_CACHED_CHARS = 1000


@functools.lru_cache(maxsize=2**16)
def _clean(text: str, max_chars: int) -> str:
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = _SPACE.sub(" ", text).strip()
    return cut(text, max_chars)[0]


def mask_pii(text: str) -> str:
    """Mask e-mail addresses, phone numbers and people's names in ``text``.

    E-mails become ``[email]``, phone numbers ``[phone]`` and names ``[name]``.
    Names are found by a title (Mr, Ms, Dr, ...), by a cue ("spoke to", "thanks
    to", "named", ...) followed by capitalised words, or by a common given name
    followed by an optional capitalised surname. This is a heuristic: it errs
    towards masking and will miss unusual names that appear without a cue.

    Examples
    --------
    >>> mask_pii("Ask Sarah Jones (sarah.jones@acme.com, +44 20 7946 0958).")
    'Ask [name] ([email], [phone]).'
    >>> mask_pii("Thanks to Dr. Okafor for fixing it")
    'Thanks to [name] for fixing it'
    """
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub(_phone, text)
    text = _HONORIFIC.sub("[name]", text)
    text = _CALLED.sub(lambda m: m.group("cue") + "[name]", text)
    return _NAME_WORD.sub("[name]", text)


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "[phone]" if digits >= 7 else match.group(0)


def quote_text(raw: object, max_chars: int = 400) -> str:
    """An answer ready to quote: kept as text, masked, cut with a note.

    HTML tags are *not* removed: the quote shows what the person wrote, as
    text, and whoever renders it must escape it. Character entities such as
    ``&#34;`` are decoded to the character they stand for. Cut quotes end with a note giving the
    full length.

    Examples
    --------
    >>> quote_text("Email me at jo@x.org <b>now</b>")
    'Email me at [email] <b>now</b>'
    >>> quote_text("word " * 200, max_chars=20)
    'word word word word … [cut: 999 characters in all]'
    """
    if raw is None or (isinstance(raw, float) and raw != raw):
        return ""
    text = str(raw)
    if "&" in text:
        text = html.unescape(text)  # "&#34;" reads as a quote mark; tags stay as typed
    text = _SPACE.sub(" ", text).strip()
    total = len(text)
    text = mask_pii(text)
    short, was_cut = cut(text, max_chars)
    if was_cut:
        return f"{short} … [cut: {total} characters in all]"
    return short


def looks_english(text: str) -> bool:
    """Whether ``text`` is probably English (or too short to tell).

    A text mostly in a non-Latin script is not English; otherwise a text of
    at least four words is taken as English when at least one word in eight is
    a frequent English function word; shorter texts count as English. Good
    enough to flag the share of answers in other languages, not to identify
    the language.

    Examples
    --------
    >>> looks_english("The support team was slow to answer")
    True
    >>> looks_english("Le support était lent à répondre aux demandes")
    False
    >>> looks_english("客服回复太慢了")
    False
    """
    if not text.isascii():  # an ASCII text has only Latin letters
        letters = [ch for ch in text if ch.isalpha()]
        if len(letters) >= 4 and sum(ch.isascii() for ch in letters) * 2 < len(letters):
            return False  # mostly non-Latin script (Chinese, Arabic, Cyrillic, ...)
    words = [w.lower() for w in _WORD.findall(text)]
    if len(words) < 4:
        return True
    hits = sum(w in _ENGLISH for w in words)
    return hits * 8 >= len(words)


def share_not_english(texts: Iterable[str]) -> tuple[int, int]:
    """Count of probably non-English texts among the non-empty ``texts``, and
    the number of non-empty texts."""
    n = bad = 0
    for t in texts:
        if not t:
            continue
        n += 1
        bad += not looks_english(t)
    return bad, n
