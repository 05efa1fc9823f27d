"""How well a film fits the wish, for ordering the slate: the asked genres and moods, the tone and genres
of the films liked, where they are from.

Why apart from ``slate.py``: ``build_slate`` only cuts the ranked list to what is shown (franchise cap,
twins, relaxed films last); what counts as a better fit is its own question, asked of every film the
slate considers, and ``off_tone.py`` reads the same tone genres.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from agent.turn.film_genres import film_genres
from agent.turn.wish_genres import MOOD_GENRES
from tools.catalog.movie_kinds import KINDS, kinds_of


def fit_to_each(req: Any, moods: Sequence[str], cat: Any, liked: Sequence[str],
                tones: frozenset[str] | None = None) -> Callable[[str], int] | None:
    """``genre_fit`` for the films ``liked`` (their genres, ``tones``, the genres they all share); with two or
    more, a film's fit is its best fit to any one of them, as a share of that film's fit to itself (0-3).

    Why: "I loved Toy Story and The Godfather" put every animated film before every crime film -- with one
    genre list for both, a film with Toy Story's tone (animation, comedy) scored three and The Godfather
    Part II one, so the slate never reached The Godfather's films whatever the ranking said.
    """
    liked_genres = [film_genres(cat, i) for i in liked]
    core = shared_genres(liked_genres)
    origin = shared_origin(cat, liked)
    if len(liked) < 2:
        return genre_fit(req, moods, cat, like=[g for gs in liked_genres for g in gs], tones=tones, core=core,
                         origin=origin)
    fits = [(fit, max(fit(i), 1)) for i, genres in zip(liked, liked_genres, strict=True)
            if (fit := genre_fit(req, moods, cat, like=genres, tones=tones, core=core, origin=origin)) is not None]
    if not fits:
        return None
    return lambda item_id: round(3 * max(min(fit(item_id) / top, 1.0) for fit, top in fits))


#: the origin kinds (``movie_kinds``) that say where a film is from in a language of its own
_LANGUAGE_ORIGINS = frozenset(k.name for k in KINDS.values() if k.languages and k.name != "English-language")


def shared_origin(cat: Any, liked: Sequence[str]) -> frozenset[str]:
    """Where every one of the ``liked`` films is from, when that is a language other than English ("Korean",
    "French"; ``movie_kinds``): a film from there is more like them (``genre_fit``'s ``origin``). Empty when
    none is liked, or they are from different places or in English."""
    kinds = [_first_origin(cat.get(i)) for i in liked if i in cat]
    return frozenset(set.intersection(*map(set, kinds))) if kinds else frozenset()


def _first_origin(film: Any) -> frozenset[str]:
    """The film's origin kinds in a language of its own; of several, the one of its first listed language
    (CMU lists Amélie's languages as French, Russian)."""
    if not getattr(film, "attributes", None):
        return frozenset()  # nothing known of where it is from
    kinds = kinds_of(film) & _LANGUAGE_ORIGINS
    if len(kinds) < 2:
        return kinds
    first = next((str(x).strip().lower() for x in (film.attributes or {}).get("languages") or ()), "")
    return frozenset(k for k in kinds if first in KINDS[k].languages) or kinds


def origin_films(recommender: Any, origin: frozenset[str]) -> frozenset[str]:
    """The recommendable films from every place in ``origin`` (``shared_origin``), by the recommender's item space
    (empty without one)."""
    space = getattr(recommender, "space", None)
    if space is None or not origin or any(k not in space.kinds for k in origin):
        return frozenset()
    mask = space.recommendable.copy()
    for k in origin:
        mask &= space.kinds[k]
    return frozenset(space.ids[n] for n in mask.nonzero()[0])


def slate_fit(genre: Callable[[str], int] | None, topic: Callable[[str], int] | None) -> Callable[[str], int] | None:
    """The slate's order of fit: the subject first (a dog film that is no comedy before a comedy
    without a dog, for "a funny movie about dogs"), then the genres."""
    if topic is None:
        return genre
    if genre is None:
        return topic
    return lambda item_id: 100 * topic(item_id) + genre(item_id)


#: genres that set a film's tone rather than its subject: a film like a comedy is a comedy first
TONE_GENRES = frozenset({"comedy", "horror", "animation", "documentary", "musical", "family"})


#: a live-action film's fit is scaled by this past any animated film's (at most 5): ``genre_fit``
LIVE_ACTION_FIRST = 6

#: co-mentions of a liked film needed before they, not its genre list, say which of its tones define it
MIN_TONE_SUPPORT = 5.0


def defining_tones(recommender: Any, cat: Any, liked: Sequence[str]) -> frozenset[str] | None:
    """The tone genres (``TONE_GENRES``) that define the ``liked`` films, by what people talk about with them.

    Why: a genre list does not say which genre is the film's own. Pineapple Express and Jurassic Park
    each have five, a tone among them (comedy, horror), and "something like Jurassic Park" showed It
    (2017) and Get Out second and third: horror-only films put first for an incidental horror tag. In
    the training dialogues, the films mentioned with Pineapple Express are comedies 2.3x as often as
    the catalog's films are; those mentioned with Jurassic Park are horror 0.7x as often. A tone a
    liked film has defines it when its co-mentioned films (weighted by count) have it more often than
    the catalog at large (lift above 1, the plain "more than chance"). None -- use the genre list --
    when there are no co-mention counts or too few (``MIN_TONE_SUPPORT``) to say.
    """
    stats, space = getattr(recommender, "stats", None), getattr(recommender, "space", None)
    if stats is None or space is None or not liked:
        return None
    shares = cat.genre_shares
    weight: dict[str, float] = {}
    total = 0.0
    for item_id in liked:
        row = space.index.get(item_id)
        if row is None:
            continue
        for col, count in zip(*stats.comentioned(row), strict=True):
            genres = {g.lower() for g in cat.get(space.ids[col]).genres}
            if genres:  # as in the catalog's shares: films without genres do not count
                total += count
                for g in genres & TONE_GENRES:
                    weight[g] = weight.get(g, 0.0) + count
    if total < MIN_TONE_SUPPORT:
        return None
    return frozenset(g for g, w in weight.items() if shares.get(g) and w / total > shares[g])


def genre_fit(req: Any, moods: Sequence[str], cat: Any, like: Sequence[str] = (),
              tones: frozenset[str] | None = None, core: Collection[str] = (),
              origin: frozenset[str] = frozenset()) -> Callable[[str], int] | None:
    """How well a film fits the asked genres, for the slate's order (higher first; None: nothing asked).

    Each asked genre it has counts, and when it has one, a genre of the mood counts too. Why:
    "documentaries about music" listed The Lion King and Dirty Dancing (music, not documentaries),
    and "a war movie that is not too depressing" Schindler's List: any one asked genre was enough,
    and a mood beside a named genre changed nothing (the genre outranks the mood, as it should, but
    among war films the lighter ones should come first).

    With no genre asked, ``like`` (the genres of the film a "something like X" wish is about) says
    which films fit: any one of them; beside an asked genre, they count as the mood's do. "something like Pineapple Express" after "I loved Alien and
    The Thing" listed It (2017) second: the earlier films stay in the collaborative context, and
    what was co-mentioned with them outscored the comedies by a hair. ``tones`` (``defining_tones``):
    which of those genres set the liked film's tone; None: every tone genre it has.

    ``core``: the genres every one of several liked films has (``shared_genres``). "I loved Alien and
    The Thing" listed Annabelle, It (2017) and Get Out after Aliens: horror, the films' tone, but
    none of them science fiction, the other genre both films have. With two or more such genres, a
    film having two of them goes before one with the tone alone (two, not all: catalog genre lists are
    incomplete, and Reservoir Dogs, crime and thriller, is still like Heat and Collateral, which share
    action, crime and thriller).

    ``origin`` (``shared_origin``): where the liked films are from, in a language of its own. A film from there
    fits one point better. "I loved Oldboy" (2003) listed The Game, National Treasure, The Da Vinci Code,
    Taken and Die Hard, each sharing its thriller label, while Lady Vengeance, by the same director, ranked
    26th; "I loved Amélie" leaned to American romantic comedies."""
    asked = {g.lower() for g in req.genres_include}
    like_set = {g.lower() for g in like} - asked - {g.lower() for g in req.genres_exclude}
    if len(like_set) > 1:  # "drama" on half the catalog says little of The Godfather beside "crime"
        like_set = (like_set - broad_genres(cat)) or like_set
    if not asked:
        if not like_set:
            return None
        # a genre that sets a film's tone is what it is like first: "something older" after "something
        # like Pineapple Express" (action, adventure, comedy, crime, thriller) listed Die Hard, Jaws and
        # The Exorcist, films sharing a thriller's genre but no laugh
        tone = like_set & TONE_GENRES & (TONE_GENRES if tones is None else tones)
        shared = {g.lower() for g in core} - asked - {g.lower() for g in req.genres_exclude} - broad_genres(cat)
        shared = shared if len(shared) >= 2 else set()

        # animation is a form, not only a label: "something like Star Wars" (action, adventure, family,
        # fantasy, science fiction to CMU) listed Coco and Moana, animated films sharing its family and fantasy
        # labels, beside E.T. -- and, with one point off, still before Star Trek II, which shares only one.
        # For a live-action film, any live-action look-alike comes first (its fit scaled past the largest,
        # 5), then the animated ones by theirs
        live_action = "animation" not in {g.lower() for g in like}

        def like(item_id: str) -> int:
            film = cat.get(item_id)
            have = {g.lower() for g in film.genres}
            fit = (2 * bool(tone & have) + bool(like_set & have) + (len(shared & have) >= 2)
                   + bool(origin and origin & kinds_of(film)))
            return fit if not live_action or "animation" in have else LIVE_ACTION_FIRST * fit

        return like
    mood_genres = {g for m in moods for g in MOOD_GENRES.get(m, ((), ()))[0]}
    mood = mood_genres - asked
    # genres that only stand for a mood are alternatives: "Fight Club but less dark" (comedy, family,
    # animation) listed The Incredibles and Toy Story, films having all three, before dark comedies
    either = asked <= mood_genres and not getattr(req, "audience", None)

    def fit(item_id: str) -> int:
        # the asked genres first (ten per genre), then, among films with one, the mood's genres and
        # the genres of the film the wish is like: "something like Die Hard but funnier" puts action
        # comedies (Lethal Weapon, Hot Fuzz) before other comedies (The Hangover)
        have = {g.lower() for g in cat.get(item_id).genres}
        n = min(1, len(asked & have)) if either else len(asked & have)
        return 10 * n + (1 if n and mood & have else 0) + (1 if n and like_set & have else 0)

    return fit


def shared_genres(genre_lists: Sequence[Iterable[str]]) -> frozenset[str]:
    """The genres every one of two or more liked films has, given each film's genres
    (``film_genres``; a film without any does not count; empty for fewer: ``genre_fit``'s ``core``)."""
    sets = [x for x in ({g.lower() for g in gs} for gs in genre_lists) if x]
    return frozenset(set.intersection(*sets)) if len(sets) >= 2 else frozenset()


#: a genre on more than this share of the catalog's films describes a film too loosely to say what
#: films are like it when it has a narrower one
BROAD_GENRE_SHARE = 0.4


def broad_genres(cat: Any) -> set[str]:
    """The catalog's genres on more than ``BROAD_GENRE_SHARE`` of its films with genres
    (``Catalog.genre_shares``, computed once per catalog)."""
    return {g for g, share in cat.genre_shares.items() if share > BROAD_GENRE_SHARE}


#: how many of each liked film's own ranking ``balanced_by_liked`` takes turns with
