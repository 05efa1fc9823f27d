"""Text normalisation and the catalog title index used by the faithfulness checker.

Why separate: finding catalog titles in free text is the subtle part of checking
("Up", "It", "Her" are titles AND everyday words), and it has its own tests.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tools.explain.faithfulness_lexicon import COMMON_WORDS, GENRE_WORDS, MINOR_TITLE_WORDS, SYNONYMS
from tools.text import singular

TOKEN_RE = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:['\u2019][A-Za-z]+)?")
QUOTES = "\"'\u201c\u201d\u2018\u2019*_\u00ab\u00bb"
MASK = "\u00a7"
_PHRASE_FOLD = [
    (re.compile(r"\bsci(?:ence)?[\s\-]*fi(?:ction)?\b", re.I), "scifi"),
    (re.compile(r"\brom[\s\-]*com(s)?\b", re.I), "romcom"),
]


# ---------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------

def fold_phrases(text: str) -> str:
    """Two-word genre spellings as one token ("sci-fi" -> "scifi", "rom com" -> "romcom"), so the
    checker's token lexicon has one entry for each; case, possessives and plurals are ``norm_token``'s."""
    for rx, rep in _PHRASE_FOLD:
        text = rx.sub(rep, text)
    return text


@functools.lru_cache(maxsize=1 << 16)
def norm_token(tok: str) -> str:
    """A token's comparable form (lower case, no possessive, singular, synonyms folded). Cached: a
    turn's checks normalise the same few hundred words thousands of times."""
    t = tok.lower().replace("\u2019", "'")
    if t.endswith("'s"):
        t = t[:-2]
    t = t.replace("'", "")
    if t in SYNONYMS:
        return SYNONYMS[t]
    return singular(t)


@functools.lru_cache(maxsize=1 << 14)
def norm_tokens(text: str) -> tuple[str, ...]:
    """``text``'s normalised tokens. Cached: the checker normalises every phrase of a card's cited
    facts (cast, genres, tags) for each sentence, and the same phrases recur card after card."""
    return tuple(norm_token(t) for t in TOKEN_RE.findall(fold_phrases(text)))


def is_common(tok: str) -> bool:
    low = tok.lower().replace("\u2019", "'")
    return low in COMMON_WORDS or low.rstrip("s") in COMMON_WORDS or low.removesuffix("'s") in COMMON_WORDS


# ---------------------------------------------------------------------------------------
# Catalog title index
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Title:
    title: str
    tokens: tuple[str, ...]
    distinctive: bool  # has a token that is not everyday English


class TitleIndex:
    """Catalog titles (to catch other items being named) and genre/tag vocabulary."""

    def __init__(self, titles: Iterable[str] = (), vocabulary: Iterable[str] = ()) -> None:
        # keyed by the first two tokens (one for one-word titles): "the" alone starts thousands of titles,
        # and scanning them at every "the" of a sentence made the check the costliest step of a turn
        self._by_prefix: dict[tuple[str, ...], list[_Title]] = {}
        n = 0
        for title in dict.fromkeys(t for t in titles if t and t.strip()):
            toks = tuple(t.lower() for t in TOKEN_RE.findall(title))
            if not toks:
                continue
            distinctive = any(not is_common(t) and not t.isdigit() for t in toks)
            self._by_prefix.setdefault(toks[:2], []).append(_Title(title, toks, distinctive))
            n += 1
        for lst in self._by_prefix.values():
            lst.sort(key=lambda t: -len(t.tokens))
        self.n_titles = n
        vocab: set[tuple[str, ...]] = set()
        for phrase in (*GENRE_WORDS, *vocabulary):
            toks = tuple(norm_tokens(phrase))
            if toks and not all(is_common(t) or len(t) <= 2 for t in toks):
                vocab.add(toks)
        self.vocabulary = frozenset(vocab)
        self._vocab_by_first: dict[str, list[tuple[str, ...]]] = {}
        for v in sorted(vocab, key=len, reverse=True):
            self._vocab_by_first.setdefault(v[0], []).append(v)

    @classmethod
    def from_catalog(cls, catalog: Any) -> TitleIndex:
        """Titles plus every genre and tag of a ``tools.catalog.catalog.Catalog``."""
        items = list(catalog.items)
        vocab = {g for it in items for g in it.genres} | {t for it in items for t in it.tags}
        return cls((it.title for it in items), sorted(vocab))

    @classmethod
    def coerce(cls, obj: Any) -> TitleIndex:
        """A TitleIndex from a TitleIndex, a Catalog, or an iterable of titles."""
        if isinstance(obj, TitleIndex):
            return obj
        if obj is None:
            return cls()
        if hasattr(obj, "items") and hasattr(obj, "by_id"):
            return cls.from_catalog(obj)
        return cls(obj)

    def find_titles(self, text: str) -> list[tuple[str, int, int]]:
        """Catalog titles named in ``text`` as (title, start, end), longest match first."""
        toks = list(TOKEN_RE.finditer(text))
        out: list[tuple[str, int, int]] = []
        i = 0
        while i < len(toks):
            low = toks[i].group().lower()
            hit = None
            two = (low, toks[i + 1].group().lower()) if i + 1 < len(toks) else None
            # longest first: every two-word-prefix title is longer than the one-word title
            for cand in (*(self._by_prefix.get(two, ()) if two else ()), *self._by_prefix.get((low,), ())):
                n = len(cand.tokens)
                span = toks[i:i + n]
                if len(span) == n and all(s.group().lower() == t for s, t in zip(span, cand.tokens, strict=True)) \
                        and _counts_as_title(text, span, cand):
                    hit = (cand.title, span[0].start(), span[-1].end())
                    i += n
                    break
            if hit:
                out.append(hit)
            else:
                i += 1
        return out

    def find_vocabulary(self, tokens: Sequence[str]) -> list[tuple[tuple[str, ...], int]]:
        """Genre/tag vocabulary phrases among normalised ``tokens`` as (phrase, index)."""
        out, i = [], 0
        while i < len(tokens):
            for v in self._vocab_by_first.get(tokens[i], ()):
                if tuple(tokens[i:i + len(v)]) == v:
                    out.append((v, i))
                    i += len(v) - 1
                    break
            i += 1
        return out


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip().rstrip(QUOTES + "(").rstrip()
    return not before or before[-1] in ".!?:;\n" or before.endswith(MASK + ".")


def _quoted(text: str, start: int, end: int) -> bool:
    return start > 0 and text[start - 1] in QUOTES and end < len(text) and text[end] in QUOTES


def _capitalised(span: Sequence[re.Match[str]]) -> bool:
    words = [s.group() for s in span]
    if not words[0][0].isupper() and not words[0][0].isdigit():
        return False
    return all(w[0].isupper() or w[0].isdigit() or w.lower() in MINOR_TITLE_WORDS for w in words)


def _counts_as_title(text: str, span: Sequence[re.Match[str]], cand: _Title) -> bool:
    start, end = span[0].start(), span[-1].end()
    if _quoted(text, start, end):
        return True
    if all(t.isdigit() for t in cand.tokens):  # "300", "1917", "2012": only a title when quoted
        return False
    if len(cand.tokens) == 1 and cand.distinctive:
        return _capitalised(span)
    if not cand.distinctive:  # "Up", "It", "Her", "About Time": only as a capitalised name mid-sentence
        return _capitalised(span) and not _sentence_initial(text, start)
    return True  # multi-word with a distinctive word: "toy story" counts in any case
