"""The one place text is folded for comparison: accents, case and punctuation.

Why one module: titles, people, genres and tags are compared across the catalog, the
user's words and the LLM's output, and every one of those comparisons must agree on what
"Amélie", "AMELIE" and "amelie!" are. Each caller adds only its own rule on top (the title
resolver keeps "'s", the genre table drops a leading article) and says so where it does.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ALNUM = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Accents stripped and lower case, nothing else changed ("Amélie!" -> "amelie!")."""
    if text.isascii():  # most text: nothing to strip (and no per-character loop)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def fold_ascii(text: str) -> str:
    """``fold`` but case kept and every non-ASCII character dropped (the lexical index's tokens)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


@lru_cache(maxsize=65536)
def normalise_name(name: str) -> str:
    """Accents folded, lower case, single spaces between alphanumeric runs: how people, genres and
    tags are compared ("Sci-Fi " -> "sci fi", "Zoë Kravitz" -> "zoe kravitz").

    Cached: a turn's evidence and checks normalise the same catalog names and tags hundreds of times."""
    return " ".join(_ALNUM.findall(fold(name)))


def singular(word: str) -> str:
    """A lower-case word with a plural 's' or 'ies' dropped ("dogs" -> "dog", "stories" -> "story"); short
    words and "-ss" words kept ("bus", "boss"); "1990s" -> "1990". Why a rule and no stemmer: the callers
    compare the user's words with title and keyword words, where a plural is the one variation that
    matters and a stemmer's "univers" would only make the matches harder to read."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
