"""The normalised title index and the answer for ONE title span: resolved, ambiguous or unknown.

Why a module of its own: deciding what a single title string means (exact key, typo, which of
several same-titled films, which real titles to offer instead) is a policy with its own
thresholds, separate from finding where titles sit in a sentence (``tools/resolve/titles.py``,
whose ``TitleResolver`` scans free text on top of this index).

``resolve(surface, year)`` is the three-way answer the turn parser needs:

- **resolved**: one film (after dropping year-less duplicates of a dated film with the
  same title -- ReDial lists some films twice, once without a year), or a year the user
  gave picks one, or one film is at least ``POPULARITY_RATIO`` (2.5x) more popular than
  every other film of that title (so "Avatar" is the 2009 film, not a 2004 obscurity, and
  "Titanic" the 1997 one) -- 10x (``COMMON_WORD_RATIO``) when the title is an everyday word;
  a film ReDial lists twice (same title, director and leads: ``same_film_key``) is one film, never
  its own rival ("Heat": 1996 and 1995 are Michael Mann's film, 2006 a Russian comedy), and a title
  without its article weighs the film with it ("Godfather": The Godfather, not the 1991 Godfather);
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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from tools.catalog.catalog import Item
from tools.text import fold, normalise_name

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_YEAR_IN_TEXT = re.compile(r"\((\d{4})\)|\b(19\d\d|20\d\d)\b")
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
#: An unknown title is offered real titles only this similar as whole strings (rapidfuzz ratio):
#: "Zorbulax Returns 3" -> Batman Returns (62), Superman Returns; "Star Warz Episode 12" -> Star Wars;
#: a string like no title ("Qwxzvbn Flurp") gets none.
NEAREST_FLOOR = 60.0
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




def is_target(item: Item) -> bool:
    """False for rows that must never be resolved to (placeholders, non-recommendable)."""
    return item.attributes.get("recommendable") is not False and not item.title.strip().lower().startswith("untitled")


class TitleKeyIndex:
    """Normalised titles (and aliases) -> catalog items, and the resolution of one title string.

    ``TitleResolver`` (``tools/resolve/titles.py``) adds scanning free text for title spans.
    """

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
        """Up to ``k`` real titles close to ``key`` as a whole (what to offer for an unknown title).

        Plain edit-distance similarity, not WRatio: WRatio scores a short title found inside the
        key as a near match, so "Zorbulax Returns 3" was offered "Ula" and "Cars 3"; by the whole
        string it gets "Batman Returns". Below ``NEAREST_FLOOR`` nothing is offered (the reply asks
        the user to check the title instead of guessing).
        """
        got = process.extract(key, self._title_keys, scorer=fuzz.ratio, limit=4 * k, score_cutoff=NEAREST_FLOOR)
        out: dict[str, Candidate] = {}
        for _, sc, idx in got:
            item = self._titles[idx][1]
            out.setdefault(item.item_id, Candidate(item, float(sc)))
        return tuple(out.values())[:k]

    @staticmethod
    def _decide(cands: list[Item], year: int | None, score: float, key: str = "") -> Resolution:
        # a film titled exactly so beats films that only share the main title ("Kill Bill: Volume 1");
        # "Godfather" is as much The Godfather as the 1991 Godfather, and
        # popularity chooses between them
        full = [c for c in cands if normalise(c.title) in (key, "the " + key)]
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
        distinct = distinct_films(films)  # a film ReDial lists twice is one film, not its own rival
        if len(distinct) == 1:
            return Resolution("resolved", distinct[0], all_c, score)
        top, second = distinct[0], distinct[1]
        ratio = COMMON_WORD_RATIO if (key or normalise(top.title)) in _COMMON_WORDS else POPULARITY_RATIO
        if top.popularity > 0 and top.popularity >= ratio * max(second.popularity, 1e-9):
            return Resolution("resolved", top, all_c, score)
        return Resolution("ambiguous", None, all_c, score)

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


def _first_letter(key: str) -> str:
    words = [w for w in key.split() if w not in ("the", "a", "an")] or key.split()
    return words[0][:1] if words else ""


def _same_ends(key: str, title_key: str) -> bool:
    """A typo match must agree on its first and last words ("her choice" is not "the choice")."""
    a = [w for w in key.split() if w not in ("the", "a", "an")] or key.split()
    b = [w for w in title_key.split() if w not in ("the", "a", "an")] or title_key.split()
    return all(x[:1] == y[:1] and fuzz.ratio(x, y) >= 75 for x, y in ((a[0], b[0]), (a[-1], b[-1])))


def same_film_key(item: Item) -> tuple:
    """Twins in the catalog share this key (title, directors, first three actors); a film without
    credits is only ever its own twin."""
    if not item.directors and not item.cast:
        return ("id", item.item_id)
    return (normalise_name(item.title), tuple(sorted(map(normalise_name, item.directors))),
            tuple(map(normalise_name, item.cast[:3])))


def distinct_films(items: Iterable[Item]) -> list[Item]:
    """``items`` (most popular first) without catalog twins: the first of each ``same_film_key``."""
    seen: dict[tuple, Item] = {}
    for it in items:
        seen.setdefault(same_film_key(it), it)
    return list(seen.values())
