"""Which language to answer in: Chinese when the shopper writes any CJK ideograph, English when they write
English words, and otherwise (an order number, an email, a phone number alone) the language so far."""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Language", "detect_language", "has_cjk"]

Language = Literal["en", "zh"]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Emails, links and codes are written in Latin letters whatever the shopper's language.
_NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\S*\d\S*")
_WORD = re.compile(r"[A-Za-z]{2,}")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def detect_language(text: str, default: Language = "en") -> Language:
    """ "zh" for any CJK ideograph, "en" for English words, else `default`."""
    if has_cjk(text):
        return "zh"
    return "en" if _WORD.search(_NOT_WORDS.sub(" ", text)) else default
