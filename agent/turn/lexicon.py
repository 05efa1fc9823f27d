"""The parser's vocabulary: user words for genres and moods, and the words that are never titles.

Why a module of its own: the words are data the parser (agent/turn/understand.py) and the title
acceptor share, and a newcomer adding "giallo" or "cosy" should find them without reading the
rules. Genres map to the catalog's genres (tools/movie_genres.CLEAN_GENRES); moods stay moods.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tools.catalog.movie_kinds import KINDS

#: one-word replies that are chat, not a wish or a film: a greeting, thanks, an acknowledgement.
#: The act parser reads a message starting with one as chit-chat (``message_act``); the title
#: acceptor never reads a message made of them as a film typed on its own (``title_slots``),
#: even where a film has the name ("Hello", "Yes", "Okay")
CHAT_REPLY_WORDS: tuple[str, ...] = ("hello", "hey", "howdy", "yo", "thanks", "thank", "thx", "bye", "goodbye",
                                     "ok", "okay", "cool", "great", "awesome", "nice", "perfect", "sure", "yes",
                                     "yeah", "yep", "lol")
#: user words -> catalog genres (tools/movie_genres.CLEAN_GENRES); moods are separate (MOOD_WORDS).
GENRE_WORDS: dict[str, tuple[str, ...]] = {w: tuple(g.split("+")) for ws, g in (
    ("horror horrors slasher slashers zombie zombies scary scarier creepy spooky frightening terrifying", "horror"),
    ("comedy comedies funny funnier hilarious", "comedy"), ("romcom romcoms rom-com rom-coms", "romance+comedy"),
    ("romance romances romantic", "romance"), ("action action-packed", "action"),
    ("animated animation cartoon cartoons anime pixar", "animation"),
    ("sci-fi scifi sci_fi science_fiction", "science fiction"), ("thriller thrillers suspense suspenseful", "thriller"),
    ("documentary documentaries docs", "documentary"), ("superhero superheroes marvel", "superhero"),
    ("war", "war"), ("western westerns", "western"), ("musical musicals", "musical"),
    ("music concert concerts rockumentary rockumentaries", "music"), ("crime gangster heist", "crime"),
    ("mystery mysteries whodunit whodunnit detective", "mystery"), ("fantasy", "fantasy"),
    ("drama dramas", "drama"), ("adventure adventures", "adventure"), ("family", "family"),
    ("biopic biopics biography", "biography"), ("historical history", "history"), ("sports sport", "sports"),
    ("martial_arts kung_fu", "martial arts"), ("spy spies espionage", "spy"), ("disaster", "disaster"),
    ("teen", "teen"), ("christmas holiday", "holiday"),
) for w in ws.replace("_", " ").split(" ") if w} | {"science fiction": ("science fiction",), "sci fi": ("science fiction",),
                                                    "rom com": ("romance", "comedy"), "rom coms": ("romance", "comedy"),
                                                    "martial arts": ("martial arts",), "kung fu": ("martial arts",)}
MOOD_WORDS: dict[str, str] = {w: m for ws, m in (
    ("dark darker gritty bleak", "dark"), ("feel-good feelgood uplifting heartwarming cheerful happy", "feel-good"),
    ("funny funnier hilarious laugh", "funny"), ("scary scarier creepy spooky terrifying frightening", "scary"),
    ("mind-bending mindbending trippy twisty cerebral", "mind-bending"), ("sad sadder tearjerker tearjerkers weepie weepies depressing cry emotional", "sad"),
    ("light lighter lighthearted light-hearted", "light"),
) for w in ws.split()} | {"feel good": "feel-good", "mind bending": "mind-bending", "light hearted": "light"}


#: user words -> film kinds (tools/catalog/movie_kinds.KINDS): finer than a genre, so "a psychological thriller"
#: is not any thriller. A kind's own genre still comes from GENRE_WORDS ("thriller") or, when its words name
#: none ("a mob movie", "a heist"), from the kind (``movie_kinds.Kind.genre``).
KIND_WORDS: dict[str, str] = {w.replace("_", " "): k for ws, k in (
    ("psychological psychological_thriller psychological_thrillers psych_thriller mind_games pyschological "
     "psycological phsychological", "psychological thriller"),
    ("heist heists caper capers bank_robbery robbery", "heist"),
    ("gangster gangsters mob mobster mobsters mafia", "gangster"),
    ("noir noirs neo-noir film_noir", "noir"), ("slasher slashers splatter", "slasher"),
    ("zombie zombies", "zombie"), ("haunted_house haunted_houses haunting", "haunted house"),
    ("found_footage", "found footage"), ("vampire vampires", "vampire"),
    ("monster monsters creature_feature creature_features", "monster"),
    ("alien_invasion alien_invasions", "alien invasion"), ("time_travel time-travel time_machine", "time travel"),
    ("dystopian dystopia dystopias post-apocalyptic apocalyptic cyberpunk", "dystopian"),
    ("space_opera space_operas set_in_space in_space with_space outer_space space_movie space_movies space_adventure "
     "space_adventures space_travel space_exploration spaceship spaceships astronaut astronauts", "space"),
    ("black_comedy black_comedies dark_comedy dark_comedies", "black comedy"),
    ("satire satires satirical", "satire"), ("stoner stoner_comedy stoner_comedies", "stoner comedy"),
    ("mockumentary mockumentaries", "mockumentary"), ("screwball", "screwball comedy"),
    ("slapstick", "slapstick"), ("gross-out gross_out", "gross-out comedy"),
    ("cop cops cop_movie cop_movies cop_film cop_films cop_show police police_movie police_movies "
     "police_procedural police_procedurals", "cop"),
    ("buddy_cop buddy_cops buddy_movie buddy_movies buddy_comedy buddy_comedies", "buddy"),
    ("coming-of-age coming_of_age", "coming-of-age"), ("road_movie road_movies road_trip", "road movie"),
    ("courtroom legal_drama legal_thriller legal_thrillers", "courtroom"),
    ("political_thriller political_thrillers conspiracy conspiracies", "political thriller"),
    ("erotic_thriller erotic_thrillers", "erotic thriller"),
    ("period_piece period_pieces period_drama period_dramas costume_drama costume_dramas", "period piece"),
    ("sword_and_sorcery", "sword and sorcery"), ("swashbuckler swashbucklers swashbuckling pirate pirates", "swashbuckler"),
    ("spaghetti_western spaghetti_westerns", "spaghetti western"),
    ("prison_movie prison_movies prison_film prison_break jail_movie", "prison"),
    ("boxing", "boxing"), ("cult_classic cult_classics cult_film cult_films cult_movie cult_movies", "cult classic"),
    ("indie indies independent_film independent_films", "indie"), ("silent_film silent_films silent_movie silent_movies", "silent film"),
    ("black_and_white black-and-white b&w b/w", "black-and-white"), ("anime", "anime"), ("stop-motion stop_motion claymation", "stop-motion"), ("samurai", "samurai"),
    ("korean k-movie k-movies", "Korean"), ("japanese", "Japanese"), ("french", "French"), ("italian", "Italian"),
    ("spanish spanish-language spanish_language mexican argentinian argentine latin_american", "Spanish-language"),
    ("german", "German"), ("chinese hong_kong mandarin cantonese", "Chinese"), ("indian bollywood hindi tamil", "Indian"),
    ("russian soviet", "Russian"), ("scandinavian nordic swedish danish norwegian finnish", "Scandinavian"),
    ("british", "British"), ("in_english english-language english_language", "English-language"),
    ("foreign foreign-language foreign_language non-english non_english subtitled subtitles world_cinema",
     "foreign-language"),
) for w in ws.split()}


def words_re(words: Sequence[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
                      + r")(?![\w-])", re.I)


GENRE_RE, MOOD_RE, KIND_RE = words_re(list(GENRE_WORDS)), words_re(list(MOOD_WORDS)), words_re(list(KIND_WORDS))
#: genre and mood words are never one-word titles ("horror", "funny"); of the kind words only the phrases are
#: reserved: "Monster", "Heist" and "Samurai" are films too;
#: nor are the words for where a film is from ("something Italian" is no mention of The Italian)
RESERVED = frozenset(GENRE_WORDS) | frozenset(MOOD_WORDS) | frozenset(w for w in KIND_WORDS if " " in w) | frozenset(
    w for w, k in KIND_WORDS.items() if KINDS[k].is_origin)

GORE_FACET = "level of gore or violence"
#: wishes about what the catalog does not record (some countries and languages, studios other than the dozen in
#: ``tools.catalog.film_studios``, running time, age rating, gore level, awards, critics' scores): said back to the user instead of being dropped in silence ("not french" was a greeting)
UNSUPPORTED: tuple[tuple[str, re.Pattern[str]], ...] = tuple((facet, re.compile(rx, re.I)) for facet, rx in (
    # countries and languages are kinds now (CMU's languages and countries); a few are not recorded
    ("country or language", r"\b(brazilian|iranian|portuguese|turkish|polish|greek|thai|dubbed)\b"),
    ("studio", r"\b(disney|pixar|dreamworks|ghibli|a24|netflix|blumhouse|warner bros|hallmark|lionsgate|paramount)\b"),
    ("running time", r"\b(runtime|run time|running time|(?:under|less than|at most|no more than|over|"
                     r"longer than|shorter than) (?:\d+|an?|one|two|three) (?:minutes?|mins?|hours?|hrs?)|"
                     r"(?:not|isn't|isnt|aren't|arent|nothing) (?:too|that|so|very|overly) long(?! ago)|"
                     # "Interstellar was great but too long": said of a film, about its running time
                     r"(?:was|were|is|but|bit|way|kinda|little) too long(?! ago)|short (?:movies?|films?|ones?)|"
                     # "something shorter" after a slate: a wish about running time, not "no longer"
                     r"shorter|less long|not as long|(?:something|anything|a|one|ones|bit|lot) longer(?! ago))\b"),
    ("age rating", r"(?<![\w-])(pg[- ]?13|pg|rated r|r[- ]rated|nc[- ]17|g[- ]rated)(?![\w-])"),
    (GORE_FACET, r"\b(gory|gore|bloody|blood|violent|violence)\b"),
    # "an oscar winning drama" listed Titanic and Wonder as if nothing was asked: no awards or critics' scores
    ("awards", r"\b(oscars?|academy awards?|award[- ]winning|golden globes?|oscar[- ](?:winning|winners?|nominated)|"
               r"won (?:an?|the|any) (?:oscars?|awards?))\b"),
    ("critics' scores", r"\b(imdb|rotten tomatoes|metacritic|critically acclaimed|highly rated|top[- ]rated|"
                        r"best[- ]rated|critics'? (?:choice|favou?rites?|picks?))\b"),
    # "horror but not jump scares" listed Insidious and The Conjuring without a word: no film records its scares
    ("jump scares", r"\b(jump[- ]?scares?|jumpscares?)\b"),
    # four Wikipedia texts of 6,040 say "twist ending": too few to choose by
    ("plot twists", r"\b(twist endings?|plot twists?|surprise endings?|(?:with|has|have) an? (?:good |big |great |real )?twist|twisty)\b"),
))


#: gore is not recorded, but slasher and splatter films are its nearest fact: turned down ("nothing with gore",
#: "not too bloody") they are ruled out; asked for ("something gory") only by these words ("a violent action
#: movie" is no slasher)
GORE_RE = re.compile(r"\b(gory|gore|bloody|blood|violent|violence|splatter)\b", re.I)
GORE_WANTED = frozenset({"gory", "gore", "splatter"})
GORE_KIND = "slasher"


def unsupported_wishes(masked: str) -> tuple[str, ...]:
    """The facets ``UNSUPPORTED`` finds in ``masked`` (titles and names already masked out), in order."""
    return tuple(facet for facet, rx in UNSUPPORTED if rx.search(masked))


#: misspelt taste verbs, read as the verb ("i lovd jurasic park" had no cue, so the film was not even liked)
_TASTE_TYPOS: dict[str, str] = {
    "lovd": "loved", "lovde": "loved", "lvoed": "loved", "loevd": "loved", "lovedd": "loved", "luv": "love",
    "luvd": "loved", "luved": "loved", "lurve": "love", "lurved": "loved", "likd": "liked", "liekd": "liked",
    "liek": "like", "lyk": "like", "lyked": "liked", "likeed": "liked", "hatd": "hated", "haet": "hate",
    "haetd": "hated", "h8": "hate", "h8ed": "hated", "dislikd": "disliked", "dislkied": "disliked",
    "enjoyd": "enjoyed", "enjoied": "enjoyed", "enjyed": "enjoyed", "adord": "adored",
}
_TASTE_TYPO_RE = words_re(list(_TASTE_TYPOS))
#: "loooved", "liiiked", "haaated": the stretched vowel of a taste verb -> one vowel
_STRETCHED = tuple(re.compile(rf"\b({c}{v}){v}+({n})", re.I) for c, v, n in
                   (("l", "o", "v"), ("l", "i", "k"), ("h", "a", "t")))


def fix_taste_typos(text: str) -> str:
    """``text`` with misspelt or stretched taste verbs spelt out (whole words only; nothing else changes).

    Why a list and not edit distance: "lived", "hat" and "lake" are words of their own, one edit
    away from a taste verb; only spellings that are no English word are rewritten.
    """
    for rx in _STRETCHED:
        text = rx.sub(r"\1\2", text)
    return _TASTE_TYPO_RE.sub(lambda m: _TASTE_TYPOS[m.group(1).lower()], text)
