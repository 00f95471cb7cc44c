"""Make cluster text inert before anyone displays it.

Names, labels, messages and logs come from whoever can write to the cluster. Rich and
Textual strip only BEL, BS, VT, FF and CR (Textualize/textual ``src/textual/content.py``,
Textualize/rich ``rich/control.py``), and ``Strip.render`` passes ESC through to the
terminal, so a pod message holding ``ESC [ 2 J`` or an OSC 52 clipboard write would act on
the operator's terminal. Records are cleaned once at ingest:
C0 controls (except newline and tab, which messages legitimately carry), DEL, C1 controls
and the Unicode bidi overrides are replaced by visible stand-ins. Rich markup is *not*
touched here: the UI never parses cluster text as markup (it builds ``Text``/``Content``).
"""

from __future__ import annotations

import re

# C0 except \t and \n, DEL, C1, and bidi embeddings/overrides/isolates (U+202A-U+202E,
# U+2066-U+2069) plus the invisible marks LRM/RLM/ALM (U+200E, U+200F, U+061C).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")

# The same characters as they can appear in raw JSON bytes. As escapes: every pattern
# starts with a backslash literal, which keeps the scan fast (~0.5 ms/MB) even though
# managedFields put hundreds of ``\"`` in each pod.
_UNSAFE_ESCAPE = re.compile(
    rb"\\(?:u(?:00[01][0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|200[eEfF]|061[cC]"
    rb"|202[a-eA-E]|206[6-9])|[bfr])"
)
# As raw UTF-8 (C1, LRM/RLM, ALM, bidi controls), searched only in the non-ASCII bytes.
_UNSAFE_UTF8 = re.compile(
    rb"\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)
_ASCII = bytes(range(0x80))


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode "control pictures": ESC shows as ␛
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def inert(text: str) -> str:
    """Return ``text`` with every terminal-active character replaced by a visible one."""
    if text.isprintable():
        return text
    return _UNSAFE.sub(_stand_in, text)


def may_hold_unsafe_text(raw_json: bytes) -> bool:
    """Cheap pre-check on raw JSON: ``False`` proves no decoded string needs cleaning.

    A scan of the page bytes lets the common clean page skip the per-string walk, which
    costs twice the decode itself (see bench/). Deleting the ASCII bytes keeps every
    multi-byte UTF-8 sequence whole (lead and continuation bytes are all >= 0x80), so the
    raw-UTF-8 patterns are searched in what little non-ASCII text a page has.
    """
    if b"\x7f" in raw_json or _UNSAFE_ESCAPE.search(raw_json):
        return True
    if raw_json.isascii():
        return False
    return _UNSAFE_UTF8.search(raw_json.translate(None, _ASCII)) is not None


def single_line(text: str) -> str:
    """Flatten an (already inert) multi-line message for a one-line table cell."""
    return " ".join(text.split()) if ("\n" in text or "\t" in text) else text
