"""One spelling of a person's sign-in name, so look-alike spellings are the same account.

``ｏｓｃａｒ`` (fullwidth), ``ᵒscar`` (a modifier letter) and ``OSCAR`` are all ``oscar``
after Unicode NFKC compatibility normalization and case folding. Authentication and the
sign-in lockout both key on this form; if they used different spellings, an attacker
locked out of ``oscar`` could keep guessing as ``ｏｓｃａｒ``.

Pure Python, no Django.
"""

from __future__ import annotations

import unicodedata


def normalize_username(value: str) -> str:
    """``value`` NFKC-normalized, case-folded and stripped: the name's identity, not its display form.

    NFKC runs again after folding because folding can leave text that is not NFKC-normal
    (``"ǰ".casefold()`` is ``j`` plus a combining caron), so the result is stable: normalizing
    it again changes nothing.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return folded.strip()
