"""Find catalog items named in free text: "i loved toy story" -> Toy Story (1995).

Why not only fuzzy matching: users write titles inside sentences, lower-cased, with
typos, sometimes with a year; short titles ("Up", "It", "Her") are also everyday
words. The resolver scans word n-grams against a normalised title index (exact first,
then rapidfuzz for typos on longer spans), keeps the longest non-overlapping matches,
and only accepts a common-word title when the user capitalised or quoted it.
Ambiguous titles (several years) resolve to the most popular and report alternatives.

``resolve(surface, year)`` is the three-way answer the turn parser needs:

- **resolved**: one film (after dropping year-less duplicates of a dated film with the
  same title -- ReDial lists some films twice, once without a year), or a year the user
  gave picks one, or one film is at least ``POPULARITY_RATIO`` (2.5x) more popular than
  every other film of that title (so "Avatar" is the 2009 film, not a 2004 obscurity, and
  "Titanic" the 1997 one) -- 10x (``COMMON_WORD_RATIO``) when the title is an everyday word;
- **ambiguous**: several films share the title, no year was given and none dominates
  ("It" 1990/2017, "Halloween" 1978/2007): the reply must ask, not guess;
- **unknown**: nothing close enough; the nearest three real titles are returned so the
  reply can offer them without pretending one of them was meant.

Typos are tolerated (rapidfuzz ratio) only for spans of at least 2 words or 6 letters:
shorter keys match too many real words. Two films equally close to a typo make it ambiguous
(a question, not a coin toss); ``near`` also lists the close-but-unsure ones for "did you mean". Items flagged ``attributes["recommendable"] is
False`` and placeholder titles ("Untitled ...") are never resolution targets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from tools.catalog.catalog import Item
from tools.text import fold

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_YEAR_IN_TEXT = re.compile(r"\((\d{4})\)|\b(19\d\d|20\d\d)\b")
MAX_NGRAM = 10
#: A film this many times more popular than every namesake wins without a year ("Titanic" is the
#: 1997 film, 271 ReDial mentions against 99) ...
POPULARITY_RATIO = 2.5
#: ... but a title that is also an everyday word ("It", "Up", "Her") needs a far clearer lead: the
#: user may not even mean a film, so "I liked It" (It 2017: 896 vs It 1990: 191) is a question.
COMMON_WORD_RATIO = 10.0
#: Fuzzy (typo) matches need this rapidfuzz ratio, and a key of >= 2 words or >= 6 letters.
FUZZY_CUTOFF = 88.0
#: Two films this close to a typo are a tie ("bridges": Brides / The Bridge); below FUZZY_CUTOFF but
#: at least ASK_CUTOFF, a typo is only offered back ("did you mean ...?").
TYPO_TIE_MARGIN, ASK_CUTOFF = 2.0, 80.0
#: "Popular" (for lower-case everyday-word titles, ``agent/turn/title_slots``): the top decile by
#: mentions (The Thing, 34 ReDial mentions, is in it; The One, 4, is not).
POPULAR_QUANTILE = 0.90
MAX_FUZZY_NGRAM = 5
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
    text = fold(text).replace("&", " and ")
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


@dataclass(frozen=True)
class Candidate:
    item: Item
    score: float  # 100 = exact key


@dataclass(frozen=True)
class Resolution:
    """``resolve``'s answer; ``item`` is set only when ``status == "resolved"``."""

    status: Literal["resolved", "ambiguous", "unknown"]
    item: Item | None
    candidates: tuple[Candidate, ...]
    score: float = 0.0


@dataclass(frozen=True)
class SpanMatch:
    """A title-shaped span found by ``scan``: where, the words, any year after it, and its resolution."""

    start: int
    end: int
    surface: str
    year: int | None
    resolution: Resolution


def is_target(item: Item) -> bool:
    """False for rows that must never be resolved to (placeholders, non-recommendable)."""
    return item.attributes.get("recommendable") is not False and not item.title.strip().lower().startswith("untitled")


#: ``accept(text, start, end, key, fuzzy)`` -> may this span be a title? (caller's plausibility rule)
Acceptor = Callable[[str, int, int, str, bool], bool]


class TitleResolver:
    """Built once per catalog; ``find(text)`` is cheap (a few ms for a chat message)."""

    def __init__(self, items: Iterable[Item], fuzzy_cutoff: float = 90.0) -> None:
        self.fuzzy_cutoff = fuzzy_cutoff
        self._by_norm: dict[str, list[Item]] = {}
        for it in items:
            if not is_target(it):
                continue
            for key in self._keys(it):
                self._by_norm.setdefault(key, []).append(it)
        for lst in self._by_norm.values():
            lst.sort(key=lambda i: (-i.popularity, i.year or 0))
        self._fuzzy_keys = [k for k in self._by_norm if len(k) >= 8 and " " in k]
        self._typo_keys = [k for k in self._by_norm if " " in k or len(k) >= 6]
        # typo candidates bucketed by (first letter of the first non-article word, length): a typo
        # match must agree on that letter and be within 3 characters (see ``resolve``), so only these
        # buckets are compared -- ~100x fewer rapidfuzz calls than the whole title list
        self._typo_buckets: dict[tuple[str, int], list[str]] = {}
        for k in self._typo_keys:
            self._typo_buckets.setdefault((_first_letter(k), len(k)), []).append(k)
        self._titles = sorted({normalise(it.title): it for lst in self._by_norm.values() for it in lst}.items())
        self._title_keys = [t for t, _ in self._titles]
        pops = sorted(lst[0].popularity for lst in self._by_norm.values())
        self.popular_floor = max(1.0, pops[int(POPULAR_QUANTILE * (len(pops) - 1))]) if pops else 1.0

    def popularity(self, key: str) -> float:
        """Mentions of the most popular film whose normalised title (or alias) is ``key``; 0 if none."""
        items = self._by_norm.get(key)
        return items[0].popularity if items else 0.0

    def near(self, key: str, cutoff: float = FUZZY_CUTOFF, limit: int = 3) -> list[tuple[str, float]]:
        """Index keys within a typo of ``key`` (same first letter, +-3 characters, same first and last
        word), best first: the candidates both ``resolve`` and the "did you mean" question use."""
        pool = [k for n in range(len(key) - 3, len(key) + 4) for k in self._typo_buckets.get((_first_letter(key), n), ())]
        got = process.extract(key, pool, scorer=fuzz.ratio, score_cutoff=cutoff, limit=limit + 2)
        return [(k, float(sc)) for k, sc, _ in got if abs(len(k) - len(key)) <= 3 and _same_ends(key, k)][:limit]

    def exact(self, key: str) -> list[Item]:
        """Items whose normalised title (or alias) is exactly ``key`` (most popular first)."""
        return list(self._by_norm.get(key, ()))

    def resolve(self, surface: str, year: int | None = None, *, fuzzy: bool = True,
                nearest: bool = True) -> Resolution:
        """Resolved / ambiguous / unknown for one title span (see the module docstring)."""
        text = surface.strip()
        key = normalise(text)
        m = re.search(r"\s*\((\d{4})\)\s*$|\s+((?:19|20)\d\d)\s*$", text)
        if m and key not in self._by_norm and normalise(text[: m.start()]):
            year = year if year is not None else int(m.group(1) or m.group(2))
            key = normalise(text[: m.start()])
        if not key:
            return Resolution("unknown", None, ())
        cands, score = self._by_norm.get(key), 100.0
        if not cands and fuzzy and (" " in key or len(key.replace(" ", "")) >= 6):
            if near := self.near(key):
                (key, score), cands = near[0], self._by_norm[near[0][0]]
                rivals = [self._by_norm[k][0] for k, sc in near[1:] if sc >= score - TYPO_TIE_MARGIN
                          and {i.item_id for i in self._by_norm[k]} != {i.item_id for i in cands}]
                if rivals:  # two films equally close to the typo: ask, do not pick one
                    return Resolution("ambiguous", None, tuple(Candidate(c, score) for c in [cands[0], *rivals]), score)
        if not cands:  # the nearest titles are costly (a whole-catalog fuzzy pass): only when wanted
            return Resolution("unknown", None, self.nearest(key) if nearest else ())
        return self._decide(cands, year, score, key)

    def nearest(self, key: str, k: int = 3) -> tuple[Candidate, ...]:
        """The ``k`` real titles closest to ``key`` (what to offer for an unknown title)."""
        got = process.extract(key, self._title_keys, scorer=fuzz.WRatio, limit=k)
        return tuple(Candidate(self._titles[idx][1], float(sc)) for _, sc, idx in got)

    @staticmethod
    def _decide(cands: list[Item], year: int | None, score: float, key: str = "") -> Resolution:
        # a film titled exactly so beats films that only share the main title ("Kill Bill: Volume 1")
        full = [c for c in cands if normalise(c.title) == key] or [
            c for c in cands if normalise(c.title) == "the " + key]
        cands = full or cands
        dated = {normalise(c.title) for c in cands if c.year is not None}
        films = [c for c in cands if c.year is not None or normalise(c.title) not in dated]
        all_c = tuple(Candidate(c, score) for c in films)
        if year is not None:
            for tol in (0, 1):
                hit = [c for c in films if c.year is not None and abs(c.year - year) <= tol]
                if hit:
                    return Resolution("resolved", hit[0], all_c, score)
            if score < 100:  # a typo match must not contradict the year the user gave
                return Resolution("unknown", None, all_c, score)
        if len(films) == 1:
            return Resolution("resolved", films[0], all_c, score)
        top, second = films[0], films[1]
        ratio = COMMON_WORD_RATIO if (key or normalise(top.title)) in _COMMON_WORDS else POPULARITY_RATIO
        if top.popularity > 0 and top.popularity >= ratio * max(second.popularity, 1e-9):
            return Resolution("resolved", top, all_c, score)
        return Resolution("ambiguous", None, all_c, score)

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
                    if (n == 1 and len(key) < 6) or not accept(text, tokens[i][1], end, key, True):
                        continue
                    res = self.resolve(key, self._year_after(text, end), nearest=False)
                    if res.status != "unknown" and FUZZY_CUTOFF <= res.score < 100 and (best is None or res.score > best[0]):
                        best = (res.score, n, res)
                if best is not None:
                    take(i, best[1], best[2])

        # multi-word spans first (exact, then typos), so "Forest Gump" is not read as the film "Forest"
        exact(range(min(MAX_NGRAM, len(tokens)), 1, -1))
        typo(range(2, MAX_FUZZY_NGRAM + 1))
        exact((1,))
        typo(range(1, 2))
        out.sort(key=lambda s: s.start)
        return out

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


def _after_mark(text: str, end: int) -> int:
    return end + 1 if end < len(text) and text[end] in "!?" else end


def _first_letter(key: str) -> str:
    words = [w for w in key.split() if w not in ("the", "a", "an")] or key.split()
    return words[0][:1] if words else ""


def _same_ends(key: str, title_key: str) -> bool:
    """A typo match must agree on its first and last words ("her choice" is not "the choice")."""
    a = [w for w in key.split() if w not in ("the", "a", "an")] or key.split()
    b = [w for w in title_key.split() if w not in ("the", "a", "an")] or title_key.split()
    return all(x[:1] == y[:1] and fuzz.ratio(x, y) >= 75 for x, y in ((a[0], b[0]), (a[-1], b[-1])))


def _iter_tokens(text: str):
    return re.finditer(r"[A-Za-z0-9\u00C0-\u024F]+(?:['’][A-Za-z]+)?|&", text)
