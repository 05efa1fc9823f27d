"""Which films are of one franchise, from their titles alone, and the order to watch them in.

Why a module of its own: the slate caps a franchise at two cards (agent/turn/slate.py), the
understanding stage reads "... but hated the sequels" (agent/turn/sequels.py), the watch order puts
Toy Story 2 before Toy Story 3 for someone who loved the first, and the dialogue checks count
franchises (evals/turn_checks.py) -- all with the same rule: the title heuristic, since the catalog
has no franchise table, joined with the series Wikipedia names for a film (``film_kin``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from tools.text import singular

#: a sequel's number: 2 to 12 in digits ("Alien 51" and "Apollo 13" are not sequels) or roman numerals
_ROMAN_OR_NUMBER = re.compile(r"\s+(part\s+)?([2-9]|1[0-2]|i{1,3}|iv|v|vi{0,3}|ix|x)$")
#: how sequels name their place in words: "Shrek the Third", "Shrek Forever After", "Saw: Part Two"
_ORDINAL_PHRASE = re.compile(
    r"\s+(?:(?:part|chapter)\s+(?:one|two|three|four|five|six|seven|eight|nine|ten)"
    r"|the\s+(?:second|third|fourth|fifth|sixth|seventh|final(?:\s+chapter)?)|forever\s+after)$")
_ARTICLE = re.compile(r"^(the|a|an)\s+")
#: a sequel number fused with "D" (3-D), as the title's words come out: "jaws 3 d", "saw 3d"
_IN_3D = re.compile(r"\s+(\d)\s*d$")


def title_key(title: str) -> str:
    """Catalog twins share it: lower-case words of the title."""
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))


def franchise_key(title: str) -> str:
    """'The Godfather Part II' and 'The Godfather' -> 'godfather'; 'Toy Story 3' -> 'toy story'.

    A heuristic (no franchise table exists in the catalog): the main title before a colon
    or dash, without sequel numbers (in digits, roman numerals or words: "Shrek the Third" ->
    'shrek') and leading articles, first two words, plural 's' folded.
    """
    main = re.split(r"\s*[:–—-]\s+", title.lower(), maxsplit=1)[0]
    main = " ".join(re.findall(r"[a-z0-9']+", main))
    main = _IN_3D.sub(r" \1", main)  # "Jaws 3-D", "Saw 3D": the number is the sequel's, "D" the format
    unnumbered = _ORDINAL_PHRASE.sub("", _ROMAN_OR_NUMBER.sub("", main)).strip()
    main = _ARTICLE.sub("", unnumbered).strip()
    words = main.split()[:2]
    key = " ".join(singular(w) for w in words)
    if len(words) == 1 and len(words[0]) < 6 and main != unnumbered:
        # a short word is kin only with its article: "The Heat" (2013) is no sequel of Heat (1995), "The
        # Ring Two" is of "The Ring"
        return f"{unnumbered.split()[0]} {key}"
    return key


#: long title words too common to tie films into one franchise
_COMMON_TITLE_WORDS = frozenset(
    "christmas american little movie story stories return returns rising revenge legend legends secret "
    "secrets princess monster monsters summer winter family friends brother brothers sister sisters "
    "wedding holiday nights ghost ghosts killer killers dragon dragons knight knights spider people "
    "murder mystery adventure adventures beautiful crazy perfect forever together universe cinematic extended".split())


@lru_cache(maxsize=32_768)
def franchise_tokens(title: str) -> frozenset[str]:
    """The franchise key plus every long, uncommon title word ("jurassic"): films sharing one are kin.

    Why both: "The Lost World: Jurassic Park", "Jurassic World" and "Jurassic Park III" have
    three different main titles but one distinctive word. Cached: a pure function of the title, asked
    for every ranked film of every turn (and every catalog film when a series is turned down).
    """
    key = franchise_key(title)
    words = re.findall(r"[a-z0-9']+", title.lower())
    return frozenset({key} - {""}) | {w for w in words if len(w) >= 6 and w not in _COMMON_TITLE_WORDS}


@lru_cache(maxsize=32_768)
def _kin(title: str, series: tuple[str, ...]) -> frozenset[str]:
    return franchise_tokens(title).union(*(franchise_tokens(name) for name in series))


def film_kin(item: Any) -> frozenset[str]:
    """``franchise_tokens`` of a catalog film's title and of every series the catalog names for it
    (``Item.series``: "Star Wars" for The Empire Strikes Back, "Batman" for The Dark Knight Rises).

    Why: titles alone tie Return of the Jedi to nothing, so a slate capped at two films of one
    franchise held four Star Wars films and "no Star Wars movies" kept two of them.
    """
    return _kin(item.title, tuple(getattr(item, "series", ()) or ()))


#: an uncredited film sharing a liked film's title words is its sequel only when ReDial users mention
#: it this often (The Last Jedi: 233; Titanic II: 2, Star Wars Kid: 1)
KIN_MENTIONS = 20.0


def of_note(cat: Any) -> Callable[[str], bool]:
    """Whether a film that shares a liked film's title words may be placed as its kin (``in_watch_order``):
    the catalog credits people for it, or ReDial users mention it at least ``KIN_MENTIONS`` times."""
    return lambda i: bool(cat.get(i).people) or cat.get(i).popularity >= KIN_MENTIONS


def in_watch_order(ranked_ids: Sequence[str], title_of: Callable[[str], str], year_of: Callable[[str], int | None],
                   liked: Sequence[tuple[str, int | None]], of_note: Callable[[str], bool] | None = None,
                   kin_of: Callable[[str], frozenset[str]] | None = None) -> list[str]:
    """``ranked_ids`` with the films of a liked film's franchise in watch order -- the ones made after
    it first, oldest first, then the earlier ones as ranked -- in the places the ranker gave the franchise.
    (Earlier films have no watch order after the liked one: "I loved Skyfall, another James Bond movie"
    listed the Bond films of 1967, 1971, 1973, 1979 and 1983, oldest first.)
    ``liked``: (title, year) of the films the user liked. With ``of_note``, a film sharing the title
    words is of the franchise only if ``of_note`` says so (the runner: the catalog credits people for
    it, or ReDial users mention it): "Titanic II" (2010, an Asylum film) and the Indian "Fight Club –
    Members Only", uncredited and almost never mentioned, were put first as sequels of Titanic and
    Fight Club; The Last Jedi is uncredited too, but mentioned 233 times. With ``kin_of`` (the runner:
    ``film_kin`` of the catalog film, its series included), ``liked`` holds (item id, year) and every
    film's franchise tokens come from ``kin_of``, so The Empire Strikes Back follows Star Wars.

    Why: "I loved Toy Story, what else?" showed Toy Story 3 third and left Toy Story 2 seventh --
    ReDial's recommenders suggest a later sequel about as often as the next one, but someone who
    loved the first film watches the second before the third. Only the order within the franchise
    changes: the places it holds in the list, and every other film, stay as ranked.
    """
    group_of: dict[str, int] = {}  # franchise token -> the liked film whose franchise it names
    since: list[int] = []  # per liked film: its year (the films made after it come first)
    tokens_of = kin_of or (lambda i: franchise_tokens(title_of(i)))
    for key, year in liked:
        tokens = kin_of(key) if kin_of is not None else franchise_tokens(key)
        if tokens:
            group = next((group_of[t] for t in tokens if t in group_of), len(since))
            if group == len(since):
                since.append(year or -1)
            since[group] = max(since[group], year or -1)
            group_of.update(dict.fromkeys(tokens, group))
    if not group_of:
        return list(ranked_ids)
    # the franchise tokens ("The Lost World: Jurassic Park" and "Jurassic Park III" share "jurassic"), now
    # that a short first word is not one of them: moving "Alien Dead" (1980) into the place of Aliens is
    # no watch order
    places: dict[int, list[int]] = {}
    for pos, item_id in enumerate(ranked_ids):
        groups = [group_of[t] for t in tokens_of(item_id) if t in group_of]
        if groups and (of_note is None or of_note(item_id)):
            places.setdefault(min(groups), []).append(pos)
    out = list(ranked_ids)
    for group, positions in places.items():
        def watch(item_id: str, after: int = since[group]) -> tuple[bool, int]:
            year = year_of(item_id) or 10_000
            return year < after, year if year >= after else 0

        films = sorted((out[p] for p in positions), key=watch)  # stable: ranked order among equals
        for p, item_id in zip(positions, films, strict=True):
            out[p] = item_id
    return out


#: a turned-down franchise's films are left out only while this many times the slate's size remain
TURNED_DOWN_DEPTH = 3


def without_turned_down(ranked_ids: Sequence[str], turned_down: Sequence[str],
                        kin_of: Callable[[str], frozenset[str]], size: int) -> list[str]:
    """``ranked_ids`` without the films kin to one the user turned down (``DialogueState.rejected``: a slate
    answered "none of those", or a card disliked), while ``TURNED_DOWN_DEPTH`` x ``size`` films remain.

    Why: the franchise cap counts one slate only, so "I loved Alien and The Thing" showed Aliens and
    Alien 3, and "none of those" then showed Alien: Resurrection and Alien vs. Predator, and once more
    Alien: Covenant -- a sequel turned down says the series is not what the user wants now (or that they
    have seen it). A series asked for by name is not passed through here (the runner's ``SlateSubject``).
    """
    tokens = frozenset().union(*(kin_of(i) for i in turned_down)) if turned_down else frozenset()
    if not tokens:
        return list(ranked_ids)
    kept = [i for i in ranked_ids if not kin_of(i) & tokens]
    return kept if len(kept) >= TURNED_DOWN_DEPTH * size else list(ranked_ids)
