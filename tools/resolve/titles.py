"""Find catalog items named in free text: "i loved toy story" -> Toy Story (1995).

Why not only fuzzy matching: users write titles inside sentences, lower-cased, with
typos, sometimes with a year; short titles ("Up", "It", "Her") are also everyday
words. The resolver scans word n-grams against a normalised title index (exact first,
then rapidfuzz for typos on longer spans), keeps the longest non-overlapping matches,
and only accepts a common-word title when the user capitalised or quoted it.

This module does the scanning (``TitleResolver.scan`` for the turn parser, ``find`` for
whole texts); the index and what one span resolves to (resolved / ambiguous / unknown, the
typo and popularity rules) live in ``tools/resolve/title_resolution.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from tools.catalog.catalog import Item
from tools.resolve.short_names import acronym_aliases, english_words, is_acronym_surface, word_aliases
from tools.resolve.title_resolution import (
    _COMMON_WORDS,
    FUZZY_CUTOFF,
    Resolution,
    TitleKeyIndex,
    TitleMatch,
    normalise,
)

MAX_NGRAM = 10
MAX_FUZZY_NGRAM = 5
#: a title of at least this many words may be written with one word changed, added or left out
MIN_VARIANT_WORDS = 5
#: the score such a variant match carries: a typo's (the turn treats it as one, ``typo_plausible``)
VARIANT_SCORE = 89.0
#: the score a short name ("Shawshank", "LOTR") carries: certain enough to stand, not the title as written
SHORT_NAME_SCORE = 95.0


@dataclass(frozen=True)
class SpanMatch:
    """A title-shaped span found by ``scan``: where, the words, any year after it, and its resolution."""

    start: int
    end: int
    surface: str
    year: int | None
    resolution: Resolution


#: ``accept(text, start, end, key, fuzzy)`` -> may this span be a title? (caller's plausibility rule)
Acceptor = Callable[[str, int, int, str, bool], bool]


class TitleResolver(TitleKeyIndex):
    """The title index (``resolve``, ``lookup``, ``near``, ...) plus scanning free text for title spans.

    Built once per catalog; ``find(text)`` is cheap (a few ms for a chat message).
    """

    def __init__(self, items: Iterable[Item], fuzzy_cutoff: float = 90.0, *,
                 english: Collection[str] | None = None) -> None:
        """``english``: the everyday words a film's short name may not be (default: ``english_words()``;
        an empty set turns short names off)."""
        super().__init__(items, fuzzy_cutoff)
        films = list({it.item_id: it for lst in self._by_norm.values() for it in lst}.values())
        words = english_words() if english is None else english
        self._short_words = word_aliases(films, self.popular_floor, words, normalise, self._by_norm)
        self._initials = acronym_aliases(films, self.popular_floor, words, normalise)
        for lst in (*self._short_words.values(), *self._initials.values()):
            lst.sort(key=lambda i: (-i.popularity, i.year or 0))
        # long titles by (first word, last word): where ``one_word_apart`` looks
        self._variant_keys: dict[tuple[str, str], list[tuple[str, ...]]] = {}
        for key in self._by_norm:
            kw = tuple(key.split())
            if len(kw) >= MIN_VARIANT_WORDS:
                self._variant_keys.setdefault((kw[0], kw[-1]), []).append(kw)

    def scan(self, text: str, accept: Acceptor) -> list[SpanMatch]:
        """Title spans in ``text`` that ``accept`` allows: exact n-grams longest first, then typos.

        The caller owns plausibility (capitalisation, quotes, context words); the resolver
        owns the index. Typo candidates are tried only on spans ``accept`` allows with
        ``fuzzy=True``, which keeps the rapidfuzz work to a handful of spans per message.
        """
        tokens = [(m.group(0), m.start(), m.end()) for m in _iter_tokens(text or "")]
        norm = [normalise(t[0]) or t[0].lower() for t in tokens]
        taken = [False] * len(tokens)
        out: list[SpanMatch] = []

        def take(i: int, n: int, res: Resolution) -> None:
            start, end = tokens[i][1], tokens[i + n - 1][2]
            # "Moulin Rouge!" / "Mother!": the title's own closing mark belongs to the span
            if end < len(text) and text[end] in "!?." and any(c.item.title.endswith(text[end]) for c in res.candidates):
                end += 1
            out.append(SpanMatch(start, end, text[start:end], self._year_after(text, end), res))
            for j in range(i, i + n):
                taken[j] = True

        def exact(sizes: Iterable[int]) -> None:
            for n in sizes:
                for i in range(len(tokens) - n + 1):
                    if any(taken[i : i + n]):
                        continue
                    key = " ".join(norm[i : i + n])
                    end = tokens[i + n - 1][2]
                    if key not in self._by_norm or not accept(text, tokens[i][1], end, key, False):
                        continue
                    year = self._year_after(text, _after_mark(text, end))
                    res = self._decide(self._by_norm[key], year, 100.0, key)
                    if year is not None and all(c.item.year is None or abs(c.item.year - year) > 1
                                                for c in res.candidates):
                        continue  # "the Scream (1996)": the shorter span carries the year
                    take(i, n, res)

        def typo(sizes: range) -> None:
            for i in range(len(tokens)):
                best: tuple[float, int, Resolution] | None = None
                for n in sizes:
                    if i + n > len(tokens) or any(taken[i : i + n]):
                        break
                    key = " ".join(norm[i : i + n])
                    end = tokens[i + n - 1][2]
                    if n == 1 and (len(key) < 6 or _in_capitalised_run(text, tokens, i)):
                        continue
                    if not accept(text, tokens[i][1], end, key, True):
                        continue
                    res = self.resolve(key, self._year_after(text, end), nearest=False)
                    if res.status != "unknown" and FUZZY_CUTOFF <= res.score < 100 and (best is None or res.score > best[0]):
                        best = (res.score, n, res)
                if best is not None:
                    take(i, best[1], best[2])

        def variant(n: int) -> None:
            for i in range(len(tokens) - n + 1):
                if any(taken[i : i + n]):
                    continue
                words = tuple(norm[i : i + n])
                keys = self.one_word_apart(words)
                end = tokens[i + n - 1][2]
                if len(keys) != 1 or not accept(text, tokens[i][1], end, " ".join(words), True):
                    continue
                take(i, n, self._decide(self._by_norm[keys[0]], self._year_after(text, end), VARIANT_SCORE, keys[0]))

        # multi-word spans first (exact, then typos), so "Forest Gump" is not read as the film "Forest"; a long
        # title with one word changed before any shorter exact span ("Harry Potter and the Sorcerer's Stone")
        for n in range(min(MAX_NGRAM + 1, len(tokens)), 1, -1):
            if n <= MAX_NGRAM:
                exact((n,))
            if n >= MIN_VARIANT_WORDS:
                variant(n)
        def short() -> None:  # "Shawshank", "LOTR": one word, not the first of a longer capitalised name
            for i in range(len(tokens)):
                nxt = i + 1 < len(tokens) and not taken[i + 1] and tokens[i + 1][0][:1].isupper()
                if taken[i] or nxt:
                    continue
                end = tokens[i][2]
                res = self.short_name(tokens[i][0], self._year_after(text, end))
                if res is not None and accept(text, tokens[i][1], end, normalise(tokens[i][0]), False):
                    take(i, 1, res)

        typo(range(2, MAX_FUZZY_NGRAM + 1))
        exact((1,))
        short()
        typo(range(1, 2))
        out.sort(key=lambda s: s.start)
        return out

    def short_name(self, word: str, year: int | None = None) -> Resolution | None:
        """What one word means as a film's short name (``tools/resolve/short_names.py``): initials when
        written in capitals ("LOTR"), else a distinctive word of one popular title ("Shawshank"); None
        if neither."""
        key = normalise(word)
        cands = self._initials.get(key) if is_acronym_surface(word) else None
        cands = cands or self._short_words.get(key)
        return self._decide(cands, year, SHORT_NAME_SCORE, key) if cands else None

    def one_word_apart(self, words: tuple[str, ...]) -> list[str]:
        """The index keys of at least ``MIN_VARIANT_WORDS`` words that ``words`` matches but for one word
        changed, added or left out, first and last word the same.

        Why: "Harry Potter and the Sorcerer's Stone" (the US title) was read as the "Harry Potter" row
        and Sorcerer (1977), and "Pirates of the Caribbean: Curse of the Black Pearl" as Pirates of the
        Caribbean and Black; a character-level typo match never reaches a whole word changed.
        A different first or last word is another film ("Harry Potter and the Chamber of Secrets")."""
        if len(words) < MIN_VARIANT_WORDS:
            return []
        out = [" ".join(kw) for kw in self._variant_keys.get((words[0], words[-1]), ())
               if kw != words and _one_word_apart(words, kw)]
        # one film under several keys ("the x" and "x") is one answer
        return list({self._by_norm[k][0].item_id: k for k in out}.values())

    def find(self, text: str) -> list[TitleMatch]:
        """All titles mentioned in ``text``, longest non-overlapping first, in text order."""
        if not text or not text.strip():
            return []
        tokens = [(m.group(0), m.start(), m.end()) for m in _iter_tokens(text)]
        if not tokens:
            return []
        norm = [normalise(t[0]) or t[0].lower() for t in tokens]
        found: list[tuple[int, int, TitleMatch]] = []
        taken = [False] * len(tokens)
        # exact matches everywhere first, then typos on what is left (skipped on very long texts: cost)
        for fuzzy in (False, True) if len(tokens) <= 300 else (False,):
            for n in range(min(MAX_NGRAM, len(tokens)), 0 if not fuzzy else 1, -1):
                for i in range(len(tokens) - n + 1):
                    if any(taken[i : i + n]):
                        continue
                    match = self._match_span(text, tokens, norm, i, n, fuzzy)
                    if match is not None:
                        found.append((match.span[0], match.span[1], match))
                        for j in range(i, i + n):
                            taken[j] = True
        found.sort(key=lambda f: f[0])
        out: list[TitleMatch] = []
        for _, _, m in found:
            if all(m.item_id != o.item_id for o in out):
                out.append(m)
        return out

    def _match_span(self, text: str, tokens: list, norm: list[str], i: int, n: int, fuzzy: bool) -> TitleMatch | None:
        key = " ".join(norm[i : i + n])
        start, end = tokens[i][1], tokens[i + n - 1][2]
        year = self._year_after(text, end)
        score = 100.0
        if not fuzzy:
            cands = self._by_norm.get(key)
        else:
            if len(key) < 8:
                return None
            cutoff = self.fuzzy_cutoff - 5 if len(key) >= 9 else self.fuzzy_cutoff
            best = process.extractOne(key, self._fuzzy_keys, scorer=fuzz.ratio, score_cutoff=cutoff)
            if not best or abs(len(best[0]) - len(key)) > 3:
                return None
            cands, score = self._by_norm[best[0]], float(best[1])
            if year is not None and all(c.year is None or abs(c.year - year) > 1 for c in cands):
                return None  # a typo match must not contradict the year the user gave
        if not cands:
            return None
        surface = text[start:end]
        if not self._plausible(text, surface, start, end, key, n):
            return None
        chosen = self._pick(cands, year)
        return TitleMatch(chosen.item_id, chosen.title, chosen.year, (start, end), surface, score,
                          tuple(c.item_id for c in cands if c.item_id != chosen.item_id))

    @staticmethod
    def _plausible(text: str, surface: str, start: int, end: int, key: str, n: int) -> bool:
        """Reject everyday words that happen to be titles unless capitalised or quoted."""
        words = key.split()
        quoted_early = start > 0 and text[start - 1] in "\"'“‘*" and end < len(text) and text[end] in "\"'”’*"
        if n == 1 and not quoted_early:
            # one-word titles ("Loved", "Next", "Halloween") are everyday words too often:
            # accept capitalised ones, or long uncommon ones from all-lower-case writers
            if surface[:1].isupper():
                before = text[:start].rstrip()
                initial = not before or before[-1] in ".!?"
                return not (initial and key in _COMMON_WORDS) and not (initial and len(key) <= 3)
            return len(key) >= 7 and key not in _COMMON_WORDS and text == text.lower()
        if not all(w in _COMMON_WORDS for w in words):
            return True
        quoted = start > 0 and text[start - 1] in "\"'“‘*" and end < len(text) and text[end] in "\"'”’*"
        if quoted:
            return True
        capitalised = all(w[:1].isupper() for w in surface.split() if w[:1].isalpha())
        if not capitalised:
            return False
        if n == 1 and len(key) <= 2:
            # "Up" / "It": capitalised and not the first word of a sentence
            before = text[:start].rstrip()
            return bool(before) and before[-1] not in ".!?"
        before = text[:start].rstrip()
        return bool(before) and before[-1] not in ".!?" or n >= 2

    @staticmethod
    def _year_after(text: str, end: int) -> int | None:
        m = re.match(r"\s*\((\d{4})\)", text[end : end + 8])
        return int(m.group(1)) if m else None


def _one_word_apart(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """One word substituted, inserted or deleted between ``a`` and ``b`` (and no number changed: "Part 1"
    and "Part 2" are two films)."""
    if len(a) == len(b):
        diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        return len(diff) == 1 and not any(w.isdigit() for w in diff[0])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(long_) - len(short) != 1:
        return False
    i = next((k for k in range(len(short)) if short[k] != long_[k]), len(short))
    return short[i:] == long_[i + 1:] and not long_[i].isdigit()


def _after_mark(text: str, end: int) -> int:
    return end + 1 if end < len(text) and text[end] in "!?" else end


#: a word (with an English "'s"/"'t" ending) or "&"; a French/Italian elided article or preposition
#: before a capital ("d'Amélie", "L'Auberge") is matched on its own and skipped, so the title after it
#: is a word of its own
_TOKENS = re.compile(r"(?<![\w'’])(?:[dDlLjJ]|[qQ]u)['’](?=[A-Z\u00C0-\u00DE])"
                     r"|(?P<tok>[A-Za-z0-9\u00C0-\u024F]+(?:['’][A-Za-z\u00C0-\u024F]+)?|&)")


def _iter_tokens(text: str):
    return (m for m in _TOKENS.finditer(text) if m.group("tok"))


def _in_capitalised_run(text: str, tokens: list, i: int, least: int = 3) -> bool:
    """Is token ``i`` one of ``least`` or more capitalised words in a row ("Le Fabuleux Destin d'Amélie")?

    Why: such a run is one name the catalog does not know as a whole (a title in another
    language, a long foreign title); reading one of its words as a typo of a film ("Destin" ->
    Destiny) would silently put a wrong film in the user's likes.
    """
    def capitalised(j: int) -> bool:
        return tokens[j][0][:1].isupper()

    def joined(a: int, b: int) -> bool:  # only spaces, apostrophes or hyphens between tokens a and b
        return re.fullmatch(r"[\s'’-]*(?:[dDlLjJ]|[qQ]u)?['’]?", text[tokens[a][2]:tokens[b][1]]) is not None

    if not capitalised(i):
        return False
    lo = hi = i
    while lo > 0 and capitalised(lo - 1) and joined(lo - 1, lo):
        lo -= 1
    while hi + 1 < len(tokens) and capitalised(hi + 1) and joined(hi, hi + 1):
        hi += 1
    return hi - lo + 1 >= least
