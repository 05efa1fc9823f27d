"""Find actor, director and author names in a user message: "something with Tom Hanks".

Why an index built from the catalog (not an NER model): a name is only useful if it can
become a constraint on catalog items, so the vocabulary is exactly the names written in
items' ``attributes["cast"]`` / ``attributes["directors"]`` / ``attributes["authors"]`` (who wrote
the book: "a Stephen King movie"). Full names match anywhere
(case-insensitive, accents ignored); a capitalised bare surname only next to a cue and only
when one indexed person has that surname or outweighs every namesake threefold in the catalog's
mentions (Christopher Nolan, not Lloyd Nolan; "Scott" stays nobody: Ridley Scott vs Adam Scott)
-- surnames alone are too often ordinary words. A person cue before it ("with", "by",
"starring", "directed by", "featuring") is enough; a weaker one ("from", "more", "another", or
a refusal -- "not", "no", "except", "without" -- before it, "films"/"movies" or "'s films" after it: "more Nolan please", "Tarantino's films";
or the name opening the message on its own: "Tarantino but not too violent")
also needs a director or a star (``STAR_WEIGHT``): "Marvel movies" is not Elizabeth Marvel,
"Mr. Bean's Holiday" not Sean Bean. A bare first
name ("more Keanu please") likewise, after those cues or "more"/"another", when exactly one
indexed person has it and it has at least 5 letters (so "more Tom" stays nobody). A misspelt
full name of a well-known person ("a 90s comedy with Jim Carey") is read as that person when a
person cue stands beside it and exactly one name is that close (``near_name``); a misspelling
that is a film's title ("a John Wick movie") is no person.
Catalogs without those attributes give an empty index, which finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from tools.catalog.catalog import Item
from tools.text import fold

_WORD = re.compile(r"[^\W_]+(?:['\-.][^\W_]+)*")
_SURNAME_CUES = re.compile(r"(?:\bwith|\bby|\bstarring|\bdirected by|\bfeaturing)\s+$", re.I)
#: weak cues: "more Nolan", and a surname turned down ("like Pulp Fiction but not Tarantino" listed
#: Reservoir Dogs and Kill Bill: Volume 2 first)
_SURNAME_WEAK_CUES = re.compile(r"(?:\bfrom|\bmore|\banother|\bnot|\bno|\bexcept|\bwithout|\bbesides)\s+$", re.I)
_SURNAME_AFTER = re.compile(r"\s+(?:films?|movies?|flicks?)\b", re.I)
#: what may follow a bare surname that opens the message on its own: "Tarantino but not too violent",
#: "Spielberg please", "Nolan?" (each got "tell me a genre, a decade, an actor or director")
_NAME_ALONE_AFTER = re.compile(r"(?:'s)?\s*(?:$|[,.!?;:]|(?:but|please|pls|and|or|though|style|vibes?)\b)", re.I)
#: catalog mentions (summed over a person's films) that make an actor a star a bare surname can name
STAR_WEIGHT = 500.0
#: a surname shared by several people names the one whose films are mentioned this many times more
SURNAME_DOMINANCE = 3.0
#: a capitalised word right after a bare surname or first name: the user wrote a longer name than
#: the one matched ("nothing with Nicholas Sparks" is not Thomas Ian Nicholas), unless it is the word
#: "Movie(s)"/"Film(s)" of a title-cased message
_NAME_GOES_ON = re.compile(r"[ \t]+(?!(?:Films?|Movies?|Flicks?)\b)[A-Z][\w'\-]")
#: a misspelt name: catalog mentions its films need (only well-known people are guessed at), the
#: rapidfuzz ratio it needs, and how far ahead of the next name it must be
TYPO_NAME_WEIGHT = 50.0
TYPO_NAME_CUTOFF = 84.0
TYPO_NAME_MARGIN = 4.0
_FIRST_NAME_CUES = re.compile(r"(?:\bwith|\bby|\bstarring|\bdirected by|\bfeaturing|\bmore|\banother)\s+$", re.I)


def _names(value: object) -> list[str]:
    """``cast`` may be a list of names, a list of {"name": ...} dicts, or a comma string."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            if isinstance(v, str) and v.strip():
                out.append(v.strip())
            elif isinstance(v, dict) and isinstance(v.get("name"), str):
                out.append(v["name"].strip())
        return out
    return []


@dataclass(frozen=True)
class PersonMatch:
    name: str  # as written in the catalog
    start: int
    end: int
    role: str  # "cast" | "director" | "author" (of the book it is based on) | "both" (several of them)


class PeopleIndex:
    """Names from the catalog; ``find(text)`` returns the people a message mentions."""

    def __init__(self, items: Iterable[Item]) -> None:
        roles: dict[str, set[str]] = {}
        weight: dict[str, float] = {}
        self._titles: set[str] = set()  # a misspelt name that is a film's title is that film
        #: the first two to four words of every title: a bare surname ending one ("another Toy Story movie") is
        #: the title's word, not a person (Tim Story)
        self._title_heads: set[str] = set()
        for it in items:
            title_words = _WORD.findall(fold(it.title))
            self._titles.add(" ".join(title_words))
            self._title_heads.update(" ".join(title_words[:k]) for k in range(2, min(4, len(title_words)) + 1))
            attrs = it.attributes or {}
            for field, role in (("cast", "cast"), ("directors", "director"), ("director", "director"),
                                ("authors", "author")):
                for name in _names(attrs.get(field)):
                    if len(name.split()) >= 2 or len(name) >= 4:
                        roles.setdefault(name, set()).add(role)
                        weight[name] = weight.get(name, 0.0) + float(it.popularity or 0.0) + 1.0
        self._role = {n: ("both" if len(r) > 1 else next(iter(r))) for n, r in roles.items()}
        self._weight = weight
        self._by_fold = {fold(n): n for n in roles}
        surnames: dict[str, set[str]] = {}
        for n in roles:
            parts = n.split()
            if len(parts) >= 2 and len(parts[-1]) >= 3:
                surnames.setdefault(fold(parts[-1]), set()).add(n)
        # a bare surname must be at least 4 letters ("with Leo and Kate" is not Melissa Leo) and name
        # one person clearly: the only one, or one far better known than every namesake
        self._surname = {}
        for sname, ns in surnames.items():
            ranked = sorted(ns, key=lambda n: (-weight[n], n))
            if len(sname) >= 4 and (len(ranked) == 1 or weight[ranked[0]] >= SURNAME_DOMINANCE * weight[ranked[1]]):
                self._surname[sname] = ranked[0]
        firsts: dict[str, set[str]] = {}
        for n in roles:
            parts = n.split()
            if len(parts) >= 2:
                firsts.setdefault(fold(parts[0]), set()).add(n)
        self._first = {f: next(iter(ns)) for f, ns in firsts.items()
                       if len(ns) == 1 and len(f) >= 5 and f.isalpha() and f not in self._surname}
        # names are looked up by word n-grams (a dict hit per n-gram), not one huge regex: catalogs hold
        # tens of thousands of names and a chat message has a few dozen n-grams
        self._by_words = {" ".join(_WORD.findall(f)): n for f, n in self._by_fold.items() if len(_WORD.findall(f)) >= 2}
        self._max_words = max((k.count(" ") + 1 for k in self._by_words), default=0)
        self._typo_keys: dict[str, list[str]] = {}  # first letter -> full names of well-known people
        for key, n in self._by_words.items():
            if weight[n] >= TYPO_NAME_WEIGHT and key.count(" ") <= 2:
                self._typo_keys.setdefault(key[0], []).append(key)

    def __len__(self) -> int:
        return len(self._role)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and fold(name) in self._by_fold

    def canonical(self, name: str) -> str | None:
        """The catalog spelling of ``name`` (full name, case/accents ignored), else None."""
        return self._by_fold.get(fold(name.strip()))

    def find(self, text: str) -> list[PersonMatch]:
        """People named in ``text``, in order; full names first, then cued unique surnames and first names."""
        if not text or not self._role:
            return []
        folded = fold(text)
        if len(folded) != len(text):  # folding changed offsets (rare ligatures): fall back to lower()
            folded = text.lower()
        out: list[PersonMatch] = []
        used: list[tuple[int, int]] = []
        words = list(_WORD.finditer(folded))
        i = 0
        while i < len(words):
            for n in range(min(self._max_words, len(words) - i), 1, -1):
                name = self._by_words.get(" ".join(w.group(0) for w in words[i : i + n]))
                if name:
                    start, end = words[i].start(), words[i + n - 1].end()
                    out.append(PersonMatch(name, start, end, self._role[name]))
                    used.append((start, end))
                    i += n - 1
                    break
            i += 1
        out += self._misspelt(text, folded, words, used)
        for j, m in enumerate(words):
            word = m.group(0)
            possessive = word.endswith("'s")
            name = self._surname.get(word[:-2] if possessive else word)
            if not name or any(s <= m.start() < e for s, e in used):
                continue
            if any(" ".join(w.group(0) for w in words[j - n : j + 1]) in self._title_heads for n in range(1, min(3, j) + 1)):
                continue
            before = folded[: m.start()]
            alone = not before.strip(" \t\"'“(") and _NAME_ALONE_AFTER.match(folded, m.end())
            weak = (_SURNAME_WEAK_CUES.search(before) or _SURNAME_AFTER.match(folded, m.end()) or alone) and (
                self._role[name] != "cast" or self._weight[name] >= STAR_WEIGHT)
            cued = _SURNAME_CUES.search(before) or weak
            if cued and text[m.start()].isupper() and not _NAME_GOES_ON.match(text, m.end()):
                out.append(PersonMatch(name, m.start(), m.end(), self._role[name]))
        for m in _WORD.finditer(folded):
            name = self._first.get(m.group(0))
            if not name or any(s <= m.start() < e for s, e in used) or any(p.start == m.start() for p in out):
                continue
            if _FIRST_NAME_CUES.search(folded[: m.start()]) and not _NAME_GOES_ON.match(text, m.end()):
                out.append(PersonMatch(name, m.start(), m.end(), self._role[name]))
        out.sort(key=lambda p: p.start)
        seen: set[str] = set()
        return [p for p in out if not (p.name in seen or seen.add(p.name))]

    def near_name(self, written: str) -> str | None:
        """The one well-known person whose full name ``written`` misspells ("jim carey" -> Jim Carrey),
        else None: same first letter, ``TYPO_NAME_CUTOFF`` or closer, ``TYPO_NAME_MARGIN`` ahead of
        the next name, and not itself a film's title."""
        key = " ".join(_WORD.findall(fold(written)))
        if not key or key in self._titles or key in self._by_words:
            return None
        got = process.extract(key, self._typo_keys.get(key[0], ()), scorer=fuzz.ratio,
                              score_cutoff=TYPO_NAME_CUTOFF, limit=2)
        if not got or (len(got) > 1 and got[1][1] > got[0][1] - TYPO_NAME_MARGIN):
            return None
        return self._by_words[got[0][0]]

    def _misspelt(self, text: str, folded: str, words: list[re.Match[str]],
                  used: list[tuple[int, int]]) -> list[PersonMatch]:
        """Misspelt full names (two or three capitalised words) right after a person cue or before
        "movies"/"'s films"; each found span is added to ``used``."""
        out: list[PersonMatch] = []
        for i, w in enumerate(words):
            if any(s <= w.start() < e for s, e in used) or not text[w.start()].isupper():
                continue
            for n in (3, 2):
                run = words[i : i + n]
                if len(run) < n or not all(text[x.start()].isupper() and x.group(0).replace("'", "").isalpha()
                                           for x in run):
                    continue
                start, end = run[0].start(), run[-1].end()
                cued = (_SURNAME_CUES.search(folded[:start]) or _SURNAME_WEAK_CUES.search(folded[:start])
                        or _SURNAME_AFTER.match(folded, end) or folded.startswith("'s", end))
                name = self.near_name(text[start:end].removesuffix("'s")) if cued else None
                if name:
                    out.append(PersonMatch(name, start, end, self._role[name]))
                    used.append((start, end))
                    break
        return out
