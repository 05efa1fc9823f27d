"""Find catalog items named in free text: "i loved toy story" -> Toy Story (1995).

Why not only fuzzy matching: users write titles inside sentences, lower-cased, with
typos, sometimes with a year; short titles ("Up", "It", "Her") are also everyday
words. The resolver scans word n-grams against a normalised title index (exact first,
then rapidfuzz for typos on longer spans), keeps the longest non-overlapping matches,
and only accepts a common-word title when the user capitalised or quoted it.
Ambiguous titles (several years) resolve to the most popular and report alternatives.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from tools.catalog import Item

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_YEAR_IN_TEXT = re.compile(r"\((\d{4})\)|\b(19\d\d|20\d\d)\b")
MAX_NGRAM = 10
#: Titles that are also common words: matched only when capitalised mid-sentence or quoted.
_COMMON_WORDS = frozenset(
    """a an and are as at be but by can do for from go good great had has have her here him his how i if in into
    is it its just like love me more my no not now of oh ok on one or our out over please really see she so some
    something still that the their them then there they this those to too up us very want was watch we well
    were what when where which who why will with would yes you your it's big up us heat her him them home crash
    rush taken split signs seven nine ten speed fear brave cars frozen alive always saw ring thirteen wanted
    loved liked hated next last first new old best worst whatever anyway maybe everything nothing someone
    somebody anyone everyone tonight today tomorrow again also already never ever sure thanks thank hello hi hey
    movie movies film films recommend recommendation suggestions show shows anything else older newer scary funny
    action comedy horror drama romance sad happy kids family night day time life war love story""".split()
)


def normalise(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces; '&' -> 'and'."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower().replace("&", " and ")
    return " ".join(_TOKEN_RE.findall(text))


@dataclass(frozen=True)
class TitleMatch:
    item_id: str
    title: str
    year: int | None
    span: tuple[int, int]  # character span in the original text
    surface: str
    score: float  # 100 = exact
    alternatives: tuple[str, ...] = ()  # other item ids with the same title


class TitleResolver:
    """Built once per catalog; ``find(text)`` is cheap (a few ms for a chat message)."""

    def __init__(self, items: Iterable[Item], fuzzy_cutoff: float = 90.0) -> None:
        self.fuzzy_cutoff = fuzzy_cutoff
        self._by_norm: dict[str, list[Item]] = {}
        for it in items:
            for key in self._keys(it):
                self._by_norm.setdefault(key, []).append(it)
        for lst in self._by_norm.values():
            lst.sort(key=lambda i: (-i.popularity, i.year or 0))
        self._fuzzy_keys = [k for k in self._by_norm if len(k) >= 8 and " " in k]

    @staticmethod
    def _keys(item: Item) -> set[str]:
        base = normalise(item.title)
        keys = {base} if base else set()
        # "The Matrix" also as "matrix"; "Star Wars: A New Hope" also as its main title only when long enough
        if base.startswith("the ") and len(base) > 8:
            keys.add(base[4:])
        if ":" in item.title:
            main = normalise(item.title.split(":", 1)[0])
            if len(main) >= 8:
                keys.add(main)
        return keys

    def lookup(self, title: str, year: int | None = None) -> TitleMatch | None:
        """Resolve one title string (as the LLM or a user wrote it)."""
        text = title.strip()
        if not text:
            return None
        m = _YEAR_IN_TEXT.search(text)
        if year is None and m:
            year = int(m.group(1) or m.group(2))
            text = _YEAR_IN_TEXT.sub(" ", text)
        key = normalise(text)
        cands = self._by_norm.get(key)
        score = 100.0
        if not cands and len(key) >= 4:
            best = process.extractOne(key, list(self._by_norm), scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff - 5)
            if best:
                cands, score = self._by_norm[best[0]], float(best[1])
        if not cands:
            return None
        chosen = self._pick(cands, year)
        return TitleMatch(chosen.item_id, chosen.title, chosen.year, (0, len(title)), title, score,
                          tuple(c.item_id for c in cands if c.item_id != chosen.item_id))

    @staticmethod
    def _pick(cands: list[Item], year: int | None) -> Item:
        if year is not None:
            exact = [c for c in cands if c.year == year]
            if exact:
                return exact[0]
            near = [c for c in cands if c.year is not None and abs(c.year - year) <= 1]
            if near:
                return near[0]
        return cands[0]

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


def _iter_tokens(text: str):
    return re.finditer(r"[A-Za-z0-9\u00C0-\u024F]+(?:['’][A-Za-z]+)?|&", text)
