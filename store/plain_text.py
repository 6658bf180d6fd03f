"""Text from outside (Stripe's customer values) made safe where markup cannot isolate it.

In HTML a value goes in ``<bdi>``; an email header has no markup, so its
invisible characters go: controls, bidirectional overrides and isolates such as
U+202E (which would show the rest of a subject reversed), zero-width characters.
"""

from __future__ import annotations

import unicodedata

# Control (Cc), format (Cf: bidi controls, zero-width characters), line and paragraph separators.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def header_safe(text: str) -> str:
    """``text`` on one line, without control or format characters, spaces collapsed."""
    visible = "".join(
        " " if character.isspace() else character
        for character in text
        if character.isspace() or unicodedata.category(character) not in _INVISIBLE_CATEGORIES
    )
    return " ".join(visible.split())
