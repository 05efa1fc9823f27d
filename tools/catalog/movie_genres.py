"""Genres for ReDial movies from the CMU Movie Summary Corpus (Bamman et al., ACL 2013; CC BY-SA).

Why a separate module: the join is the one place where a wrong rule silently attaches
another film's genres to a movie ("Black Panther (2018)" -> a 1977 film), so the rules
live here, small and tested:

1. titles are compared after ``normalise_title`` (lowercase, accents and punctuation
   stripped, ``&`` -> ``and``, leading/trailing articles dropped);
2. a match needs the same year, or a year one off (release dates differ by country);
3. the title before a subtitle (``"Star Wars: A New Hope"`` -> ``"star wars"``) is tried
   when the full title does not match, on either side; last, a CMU title that *starts
   with* the whole ReDial title is taken when only one such film exists ("Star Wars
   (1977)" -> "Star Wars Episode IV"). Both looser rules need the exact year and a title of
   two words or more (one-word titles and sequels a year apart matched wrong films);
4. a ReDial movie *without* a year may take a title-only match, but only when exactly one
   CMU film has that title; a title-only match when both years are known and disagree is
   NEVER accepted, and a CMU film without a year never matches a dated ReDial movie.

The corpus's 363 genre names are noisy (formats like "Black-and-white", markets like
"World cinema" or "Bollywood", themes like "LGBT"). ``simplify_genres`` maps them onto
``CLEAN_GENRES`` (27 names) and DROPS the format/market/production labels: they describe
how or where a film was made, not what a viewer asks for, and they would dominate
retrieval text ("Black-and-white" is on 9,094 films). The raw names are kept per item in
``attributes["cmu_genres"]`` so nothing is lost for anyone who wants them.

Wikipedia's genre labels (``map_wikipedia_genres``) are mapped onto the same ``CLEAN_GENRES``;
the demo catalog uses them only for films CMU gives no genre (mostly films after 2012).
"""

from __future__ import annotations

import gzip
import json
import re
import urllib.parse
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.errors import DataError
from tools.text import fold

#: The clean genre set, in display order (more specific genres after the broad ones).
CLEAN_GENRES: tuple[str, ...] = (
    "action", "adventure", "animation", "comedy", "crime", "drama", "family", "fantasy", "horror",
    "mystery", "romance", "science fiction", "thriller", "documentary", "biography", "history", "war",
    "western", "musical", "music", "sports", "martial arts", "superhero", "spy", "disaster", "teen",
    "holiday",
)

#: A *compound* genre ("comedy+romance": a romantic comedy) means a film with every part. Users rule
#: these out as one thing ("I hate romantic comedies" is not "no romance, no comedy"), so exclusions
#: keep them whole; ``genre_parts`` splits one, ``genre_label`` names it the way people say it.
COMPOUND_SEP = "+"
_NOUN_LAST = ("comedy", "drama", "thriller", "musical", "western", "documentary", "mystery", "horror")
_ADJECTIVE = {"romance": "romantic", "animation": "animated", "science fiction": "sci-fi", "history": "historical"}


def genre_parts(spec: str) -> tuple[str, ...]:
    """'comedy+romance' -> ('comedy', 'romance'); a plain genre is its own single part."""
    return tuple(p.strip() for p in spec.split(COMPOUND_SEP) if p.strip())


def compound_genre(parts: tuple[str, ...] | list[str]) -> str:
    """The canonical spelling of a film having all ``parts`` (sorted, so word order does not matter)."""
    return COMPOUND_SEP.join(sorted(dict.fromkeys(parts)))


def genre_label(spec: str) -> str:
    """How people say it: 'comedy+romance' -> 'romantic comedy', 'comedy+horror' -> 'horror comedy'."""
    parts = list(genre_parts(spec))
    if len(parts) < 2:
        return spec
    nouns = [p for p in _NOUN_LAST if p in parts][:1]  # the first in _NOUN_LAST is the noun
    rest = [p for p in parts if p not in nouns]
    return " ".join([*(_ADJECTIVE.get(p, p) for p in rest), *nouns])


#: Exact CMU genre name -> clean genres ([] = dropped on purpose). Checked before the keyword rules.
_EXPLICIT: dict[str, tuple[str, ...]] = {
    # formats, markets, production labels, themes: dropped (see module docstring)
    **{name: () for name in (
        "Black-and-white", "World cinema", "Indie", "Short Film", "Silent film", "Japanese Movies",
        "Chinese Movies", "Bollywood", "Film adaptation", "LGBT", "Television movie", "Cult", "B-movie",
        "Culture & Society", "Ensemble Film", "Art film", "Remake", "Gay Themed", "Gay", "Gay Interest",
        "Filipino Movies", "Filipino", "Pornographic movie", "Adult", "Gay pornography", "Softcore Porn",
        "Hardcore pornography", "Pornography", "Sexploitation", "Pre-Code", "Experimental film",
        "Avant-garde", "Surrealism", "Propaganda film", "Christian film", "Religious Film", "Film",
        "Feature film", "Fictional film", "Tamil cinema", "Tollywood", "Malayalam Cinema", "Bengali Cinema",
        "New Hollywood", "Americana", "Political cinema", "Social issues", "Social problem film",
        "Roadshow theatrical release", "Movie serial", "Supernatural", "Buddy film", "Buddy Picture",
        "Road movie", "Prison", "Prison film", "Slice of life story", "Absurdism", "Existentialism",
        "Albino bias", "Goat gland", "Point of view shot", "Star vehicle", "Camp", "Z movie", "C-Movie",
        "Exploitation", "Blaxploitation", "Mondo film", "Pinku eiga", "Dogme 95", "Kitchen sink realism",
        "British New Wave", "Czechoslovak New Wave", "Neorealism", "New Queer Cinema", "Mumblecore",
        "Sponsored film", "Fan film", "Live action", "Anthology", "Reboot", "Erotica", "Erotic Drama",
        "Feminist Film", "Gender Issues", "Homoeroticism", "Statutory rape", "Race movie",
        "Early Black Cinema", "Latino", "Stoner film", "Interpersonal Relationships", "Expressionism",
        "Filmed Play", "Kafkaesque", "Northern", "Outlaw", "Revenge", "Medical fiction",
        "Illnesses & Disabilities", "Addiction Drama", "Epic",
    )},
    "Action/Adventure": ("action", "adventure"),
    "Action Thrillers": ("action", "thriller"),
    "Romantic comedy": ("romance", "comedy"),
    "Romantic drama": ("romance", "drama"),
    "Romantic fantasy": ("romance", "fantasy"),
    "Romantic thriller": ("romance", "thriller"),
    "Comedy-drama": ("comedy", "drama"),
    "Tragicomedy": ("comedy", "drama"),
    "Crime Thriller": ("crime", "thriller"),
    "Crime Drama": ("crime", "drama"),
    "Crime Comedy": ("crime", "comedy"),
    "Sci-Fi Horror": ("science fiction", "horror"),
    "Sci-Fi Thriller": ("science fiction", "thriller"),
    "Sci-Fi Adventure": ("science fiction", "adventure"),
    "Horror Comedy": ("horror", "comedy"),
    "Comedy horror": ("horror", "comedy"),
    "Space western": ("science fiction", "western"),
    "Science fiction Western": ("science fiction", "western"),
    "Biopic [feature]": ("biography",),
    "Biographical film": ("biography",),
    "Hagiography": ("biography",),
    "Docudrama": ("drama", "history"),
    "Rockumentary": ("documentary", "music"),
    "Concert film": ("documentary", "music"),
    "Mockumentary": ("comedy",),
    "Historical Documentaries": ("documentary", "history"),
    "Political Documetary": ("documentary",),
    "Slasher": ("horror",), "Zombie Film": ("horror",), "Creature Film": ("horror",),
    "Monster movie": ("horror",), "Monster": ("horror",), "Haunted House Film": ("horror",),
    "Gothic Film": ("horror",), "Natural horror films": ("horror",), "Splatter film": ("horror",),
    "Giallo": ("horror", "thriller"), "Psycho-biddy": ("horror", "thriller"), "Vampire movies": ("horror",),
    "Werewolf fiction": ("horror",), "Demonic child": ("horror",), "Road-Horror": ("horror",),
    "Film noir": ("crime", "mystery"), "Neo-noir": ("crime", "thriller"), "Future noir": ("science fiction",),
    "Gangster Film": ("crime",), "Heist": ("crime",), "Caper story": ("crime", "comedy"),
    "Master Criminal Films": ("crime",), "Law & Crime": ("crime",), "Juvenile Delinquency Film": ("crime", "drama"),
    "Detective": ("mystery", "crime"), "Detective fiction": ("mystery", "crime"), "Whodunit": ("mystery",),
    "Suspense": ("thriller",), "Erotic thriller": ("thriller",), "Conspiracy fiction": ("thriller",),
    "Spy": ("spy",), "Glamorized Spy Film": ("spy", "action"),
    "Parody": ("comedy",), "Satire": ("comedy",), "Political satire": ("comedy",), "Media Satire": ("comedy",),
    "Slapstick": ("comedy",), "Gross out": ("comedy",), "Gross-out film": ("comedy",), "Humour": ("comedy",),
    "Stand-up comedy": ("comedy",), "Comdedy": ("comedy",), "Ealing Comedies": ("comedy",),
    "Family Film": ("family",), "Children's/Family": ("family",), "Children's": ("family",),
    "Children's Entertainment": ("family",), "Family-Oriented Adventure": ("family", "adventure"),
    "Children's Fantasy": ("family", "fantasy"), "Animal Picture": ("family",), "Fairy tale": ("fantasy", "family"),
    "Revisionist Fairy Tale": ("fantasy",),
    "Coming of age": ("teen",), "Coming-of-age film": ("teen",), "Teen": ("teen",), "School story": ("teen",),
    "Beach Film": ("teen", "comedy"), "Beach Party film": ("teen", "comedy"),
    "Boxing": ("sports",), "Auto racing": ("sports",), "Baseball": ("sports",), "Extreme Sports": ("sports",),
    "Horse racing": ("sports",), "Parkour in popular culture": ("sports",),
    "Martial Arts Film": ("martial arts", "action"), "Wuxia": ("martial arts",), "Samurai cinema": ("martial arts",),
    "Ninja movie": ("martial arts",), "Bruceploitation": ("martial arts",),
    "Anime": ("animation",), "Computer Animation": ("animation",), "Stop motion": ("animation",),
    "Animated cartoon": ("animation",), "Clay animation": ("animation",), "Silhouette animation": ("animation",),
    "Supermarionation": ("animation",), "Animated Musical": ("animation", "musical"),
    "Period piece": ("history",), "Costume drama": ("drama", "history"), "Historical Epic": ("history",),
    "Melodrama": ("drama",), "Tragedy": ("drama",), "Buddy cop": ("action", "comedy"),
    "Chick flick": ("romance", "comedy"), "Female buddy film": ("comedy",), "Sword and Sandal": ("history", "adventure"), "Movies About Gladiators": ("history", "action"),
    "British Empire Film": ("history",), "World History": ("history",),
    "Combat Films": ("war",), "Anti-war": ("war",), "Anti-war film": ("war",), "Gulf War": ("war",),
    "Cold War": ("war", "spy"), "The Netherlands in World War II": ("war",), "War effort": ("war",),
    "Foreign legion": ("war", "adventure"), "Cavalry Film": ("western",), "Singing cowboy": ("western",),
    "Superhero movie": ("superhero",), "Superhero": ("superhero",), "Tokusatsu": ("superhero", "science fiction"),
    "Disaster": ("disaster",), "Natural disaster": ("disaster",), "Doomsday film": ("disaster", "science fiction"),
    "Plague": ("disaster",), "Apocalyptic and post-apocalyptic fiction": ("science fiction",),
    "Holiday Film": ("holiday",), "Christmas movie": ("holiday",),
    "Dystopia": ("science fiction",), "Time travel": ("science fiction",), "Alien Film": ("science fiction",),
    "Alien invasion": ("science fiction",), "Cyberpunk": ("science fiction",), "Space opera": ("science fiction",),
    "Steampunk": ("science fiction",), "Sword and sorcery": ("fantasy", "adventure"),
    "Sword and sorcery films": ("fantasy", "adventure"), "Mythological Fantasy": ("fantasy",),
    "Heavenly Comedy": ("fantasy", "comedy"), "Heaven-Can-Wait Fantasies": ("fantasy",),
    "Swashbuckler films": ("adventure", "action"), "Costume Adventure": ("adventure",), "Jungle Film": ("adventure",),
    "Chase Movie": ("action",), "Escape Film": ("thriller",), "Prison escape": ("thriller",),
    "Dance": ("music",), "Hip hop movies": ("music",), "Punk rock": ("music",), "Instrumental Music": ("music",),
    "Breakdance": ("music",), "Therimin music": ("music",), "Jukebox musical": ("musical",),
    "Backstage Musical": ("musical",), "Film-Opera": ("musical",), "Operetta": ("musical",),
    "Music": ("music",), "Musical": ("musical",),
    "Biography": ("biography",), "History": ("history",), "Historical fiction": ("history",),
}

#: Keyword rules for names not listed above (each match adds its genres).
_KEYWORDS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(p, re.I), g) for p, g in (
        (r"\bcomed", ("comedy",)), (r"\bdrama\b", ("drama",)), (r"\bhorror", ("horror",)),
        (r"\bthriller", ("thriller",)), (r"\bwestern\b", ("western",)), (r"\bromanc|\bromantic", ("romance",)),
        (r"documentar", ("documentary",)), (r"\bmusical\b", ("musical",)), (r"\bfantasy\b", ("fantasy",)),
        (r"sci-?fi|science fiction", ("science fiction",)), (r"\banimat", ("animation",)),
        (r"\bwar\b", ("war",)), (r"\bcrime\b", ("crime",)), (r"\badventure\b", ("adventure",)),
        (r"\baction\b", ("action",)), (r"\bmystery\b", ("mystery",)), (r"\bsports?\b", ("sports",)),
        (r"\bfamily\b", ("family",)), (r"\bspy\b", ("spy",)), (r"\bsuperhero", ("superhero",)),
    )
)


def simplify_genres(names: Iterable[str]) -> tuple[str, ...]:
    """Map raw CMU genre names to ``CLEAN_GENRES`` (ordered as there, no duplicates)."""
    found: set[str] = set()
    for name in names:
        name = name.strip()
        if name in _EXPLICIT:
            found.update(_EXPLICIT[name])
            continue
        for pattern, genres in _KEYWORDS:
            if pattern.search(name):
                found.update(genres)
    return tuple(g for g in CLEAN_GENRES if g in found)


#: Wikipedia genre words (lower case, after splitting "spy/action") -> clean genres; [] = dropped on
#: purpose (formats and production labels, as for CMU). Anything else goes through ``_KEYWORDS``.
_WIKI_EXPLICIT: dict[str, tuple[str, ...]] = {
    "animated": ("animation",), "biography": ("biography",), "biopic": ("biography",),
    "historical": ("history",), "period drama": ("drama", "history"), "noir": ("crime", "mystery"),
    "slasher": ("horror",), "satire": ("comedy",), "mockumentary": ("comedy",), "black comedy": ("comedy",),
    "martial arts": ("martial arts", "action"), "disaster": ("disaster",), "teen": ("teen",),
    "suspense": ("thriller",), "dance": ("music",), "superhero": ("superhero",), "sport": ("sports",),
    "supernatural": (), "erotic": (), "independent": (), "silent": (), "political": (), "legal": (),
    "found footage": (), "live action": (), "short": (), "performance": (),
}


def wikipedia_genre_labels(names: Iterable[str]) -> tuple[str, ...]:
    """Wikipedia's genre strings, lower-cased and split ("Spy/Action" -> "spy", "action"), in order."""
    out: list[str] = []
    for name in names:
        for part in re.split(r"[/,]", str(name)):
            part = " ".join(part.lower().split())
            if part and part not in out:
                out.append(part)
    return tuple(out)


def map_wikipedia_genres(names: Iterable[str]) -> tuple[str, ...]:
    """Map Wikipedia's genre labels (see ``wikipedia_genre_labels``) to ``CLEAN_GENRES``.

    Why a second table: the Wikipedia film lists use their own ~85 labels ("Animated", "Noir",
    "Historical"); the keyword rules shared with CMU cover compounds like "crime thriller".
    """
    found: set[str] = set()
    for label in wikipedia_genre_labels(names):
        if label in _WIKI_EXPLICIT:
            found.update(_WIKI_EXPLICIT[label])
            continue
        for pattern, genres in _KEYWORDS:
            if pattern.search(label):
                found.update(genres)
    return tuple(g for g in CLEAN_GENRES if g in found)


_ARTICLES = ("the", "a", "an")


def normalise_title(title: str) -> str:
    """'The Lord of the Rings: The Two Towers' -> 'lord of the rings the two towers'."""
    t = urllib.parse.unquote(title)
    t = fold(t)
    t = t.replace("&", " and ")
    t = re.sub(r"['\u2019`]", "", t)  # "don't" -> "dont", not "don t"
    t = re.sub(r"[^0-9a-z]+", " ", t).strip()
    words = t.split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    if len(words) > 1 and words[-1] in _ARTICLES:  # "Matrix, The"
        words = words[:-1]
    return " ".join(words)


def main_title(title: str) -> str | None:
    """The title before a subtitle (':' or ' - '), normalised; None when there is no subtitle."""
    t = urllib.parse.unquote(title)
    m = re.split(r":| - | \u2013 | \u2014 ", t, maxsplit=1)
    if len(m) < 2 or not m[0].strip():
        return None
    head = normalise_title(m[0])
    return head or None


@dataclass(frozen=True, slots=True)
class CmuMovie:
    wikipedia_id: str
    title: str
    year: int | None
    genres: tuple[str, ...]  # raw CMU names, in file order
    #: spoken languages ("English", "Korean") and countries of production ("South Korea"), in file order
    languages: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()


def _language(name: str) -> str:
    """CMU's "English Language" -> "English"."""
    return re.sub(r"\s+language$", "", str(name).strip(), flags=re.I)


def load_cmu_movies(path: Path) -> list[CmuMovie]:
    """Read ``movie.metadata.tsv.gz`` (tab-separated, no header; see its README)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"CMU movie metadata not found at {path}; pass --shared pointing at shared/data")
    out: list[CmuMovie] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 9:
                raise DataError(f"{path}:{lineno}: expected 9 tab-separated columns, found {len(cols)}")
            m = re.match(r"(\d{4})", cols[3])
            try:
                genres = tuple(json.loads(cols[8]).values()) if cols[8] else ()
                languages = tuple(_language(v) for v in json.loads(cols[6]).values()) if cols[6] else ()
                countries = tuple(json.loads(cols[7]).values()) if cols[7] else ()
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{lineno}: a genres, languages or countries column is not JSON ({exc})") from exc
            out.append(CmuMovie(cols[0], cols[2], int(m.group(1)) if m else None, genres,
                                tuple(dict.fromkeys(languages)), countries))
    return out


@dataclass(frozen=True, slots=True)
class GenreMatch:
    movie: CmuMovie
    rule: str  # "title+year", "title+year±1", "main-title+year", "title-prefix+year", "title-unique-no-year"


class GenreIndex:
    """Look up CMU films by normalised title; ``match`` applies the rules in the module docstring."""

    def __init__(self, movies: Sequence[CmuMovie]):
        self._full: dict[str, list[CmuMovie]] = {}
        self._main: dict[str, list[CmuMovie]] = {}
        self._by_year: dict[int, list[tuple[str, CmuMovie]]] = {}
        for mv in movies:
            if not mv.genres:
                continue
            norm = normalise_title(mv.title)
            if not norm:  # e.g. a title in CJK script: nothing to match on
                continue
            self._full.setdefault(norm, []).append(mv)
            if mv.year is not None:
                self._by_year.setdefault(mv.year, []).append((norm, mv))
            head = main_title(mv.title)
            if head:
                self._main.setdefault(head, []).append(mv)

    @staticmethod
    def _best(cands: Iterable[CmuMovie], year: int, tolerance: int) -> CmuMovie | None:
        ok = [c for c in cands if c.year is not None and abs(c.year - year) <= tolerance]
        if not ok:
            return None
        # closest year first, then the better-described film, then a stable id order
        return min(ok, key=lambda c: (abs(c.year - year), -len(c.genres), int(c.wikipedia_id)))  # type: ignore[operator]

    def match(self, title: str, year: int | None) -> GenreMatch | None:
        full = normalise_title(title)
        head = main_title(title)
        if not full:  # a title with no letters or digits left (e.g. only CJK or empty) matches nothing
            return None
        if year is None:
            cands = self._full.get(full, [])
            return GenreMatch(cands[0], "title-unique-no-year") if len(cands) == 1 else None
        for tol, rule in ((0, "title+year"), (1, "title+year±1")):
            hit = self._best(self._full.get(full, []), year, tol)
            if hit:
                return GenreMatch(hit, rule)
        # Looser rules (subtitles, prefixes) only for titles of two words or more and the exact
        # year: one-word heads ("Planes: Fire & Rescue" vs "Planes", "Signs" vs "Signs of the
        # Time") and sequels one year apart ("The Hobbit: ...") otherwise pick the wrong film.
        pools = []
        if head and len(head.split()) >= 2:
            pools += [self._full.get(head, []), self._main.get(head, [])]
        if len(full.split()) >= 2:
            pools.append(self._main.get(full, []))
        for pool in pools:
            hit = self._best(pool, year, 0)
            if hit:
                return GenreMatch(hit, "main-title+year")
        # "Star Wars (1977)" vs "Star Wars Episode IV: A New Hope" (1977): a longer CMU title that
        # starts with the whole ReDial title, same year, and only one such film
        if len(full.split()) >= 2:
            prefixed = [c for n, c in self._by_year.get(year, []) if n.startswith(full + " ")]
            if len(prefixed) == 1:
                return GenreMatch(prefixed[0], "title-prefix+year")
        return None
