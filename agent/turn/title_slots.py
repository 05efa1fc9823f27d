"""Which word spans of a message may name a film: the title acceptor and the title slots.

Why a module of its own: a 7k-film catalog turns almost every word into a title ("it", "up",
"her", "us", "the thing", "the others"), and people type titles in lower case ("loved alien
and the thing"), so capitals alone cannot tell titles from words. Rule 1 of the turn parser
(``understand.py``) therefore combines three signals, all kept here:

1. **form**: quoted, followed by a year, title-cased (and not a lone everyday word opening a
   sentence), or a long, uncommon word after a strong cue (``make_acceptor``);
2. **slot**: for a lower-case span, the sentence must put a film there -- after a verb of taste
   or viewing ("loved X", "hated X", "seen X"), later in a list such a verb opens ("loved X and
   Y", "watched X, Y"), as the subject of a verdict ("X was sooo boring"), or before a year or
   "(the carpenter one)" -- *and* the span must end where a title ends (end of the message,
   punctuation, "and/or/but", a year, a verdict), so "i loved the thing you said" or "the thing
   is, ..." stay words;
3. **evidence about the film**: a lower-case span made only of everyday words ("the thing",
   "die hard") or one short word ("alien", "jaws") must name a film the catalog's users mention
   often (``TitleResolver.popular_floor``, the top decile); one everyday word alone ("it", "up",
   "her", "heat") is never enough -- unless the message is about children and a taste verb puts a
   children's film there ("my 6 year old loved frozen") -- and phrases that point back at the conversation ("the others",
   "the last one") are never titles in lower case.

Typos follow the same slots: a near-miss in a slot resolves when the resolver's typo match is
confident and unambiguous (``scan``, or :func:`near_misses` for a list item the n-gram scan did
not line up with), and a phrase that is only close is offered back as a question
(``UnresolvedTitle(reason="typo")``: "did you mean ...?"), never silently dropped. A single
word that is only close to a title is left alone: without a dictionary, "stories" ~ Stripes is
as likely a word as a typo (``typo_plausible`` keeps the same guards on ``scan``'s matches).
The typo and unknown-title rules live in agent/turn/title_typos.py.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from agent.turn.lexicon import CHAT_REPLY_WORDS
from agent.turn.title_context import CHILD_GENRES, CHILD_WORDS
from tools.resolve.title_resolution import _COMMON_WORDS, normalise
from tools.resolve.titles import TitleResolver

_ADVERBS = (r"(?:(?:so+|soo+|really|realy|pretty|very|just|also|still|super|kinda|kind of|honestly|absolutely|"
            r"incredibly|extremely|truly|totally)\s+)*")
_VERDICT_HEAD = r"^\W*(\(\d{4}\)\s*)?((movies?|films?|ones)\s+)?(was|is|were|are|'s)\s+" + _ADVERBS
#: "X was great", "X is my all time fave": a verdict right after a span (also used for polarity)
#: "X made me cry", "X blew me away": what a film did to the viewer, said right after it, is praise too
_FELT = (r"(made me (cry|laugh|tear up|smile|think)|blew (me|my mind) away|blew my mind|"
         r"scared (me|the (hell|crap|life) out of me)|gave me (chills|goosebumps)|had me (hooked|in tears|laughing|"
         r"on the edge of my seat)|kept me (hooked|guessing|on the edge of my seat)|broke my heart|moved me|"
         r"stuck with me|never gets old)")
VERDICT_POS = re.compile("(?:" + _VERDICT_HEAD + r"(great|good|awesome|amazing|fantastic|excellent|brilliant|fun|"
                         r"funny|hilarious|sweet|a classic|a masterpiece|(one of )?(my|our) (all[- ]time )?(fav\w*)|"
                         r"the best|incredible|wonderful|perfect|superb|outstanding|phenomenal|stunning|beautiful|"
                         r"gorgeous|epic|lovely|cool|solid|underrated|unforgettable|mind[- ]?blowing|a gem|a blast)\b)"
                         r"|(?:^\W*(\(\d{4}\)\s*)?" + _ADVERBS + _FELT + r"\b)", re.I)
VERDICT_NEG = re.compile(_VERDICT_HEAD + r"(boring|awful|terrible|bad|meh|the worst|overrated|horrible|dreadful|"
                         r"garbage|trash|dull|lame|disappointing|a (letdown|disappointment)|mediocre|stupid|dumb|"
                         r"forgettable|pretentious|cringe\w*|unwatchable|"
                         r"not (good|great|for me|my (thing|speed|type|style|cup of tea)))\b", re.I)
_STRONG_CUE = re.compile(r"(\b(lov|lik|enjoy|hat|dislik|ador)(e|ed|es|ing)|\bseen|\bsaw|\bwatched|\bwatching|\bthan|"
                         r"\bcalled|\btitled|\bnamed|\bsee|\bwatch|\brecommend me|\bsimilar to|\bsuch as|\bfavou?rite is|"
                         r"\bencant[oóa]|\bgust[oóa])\s+$", re.I)
EVERYDAY = _COMMON_WORDS | frozenset("""get got out tonight lol omg ok okay yeah sure need maybe guess think know kind
    sort type pretty little lot lots much many most few bit every any all both each other same real true right left down
    off back away around about through after before again even ever only own enough quite rather almost thing things
    stuff way people man woman men women girl girls boy boys guy guys friend friends kid house world place end part
    start going gone went come came make made take took give gave find found look looking feel felt keep let put say
    said tell told ask work play run live believe bring happen sit stand lose meet change stop read grow open walk win
    remember buy wait die stay fall kill hope sleep dream fight hate enjoy mind care sound sounds fun cool nice awesome
    amazing interesting bad long short high low small large young late early hard easy real sweet wild lucky lost free
    dead alone together forever yesterday weekend morning evening summer winter money game games help school
    married wedding party beautiful super kind dog cat ones one choice sequel sequels original series rest date
    tonight weekend family kids children others""".split())
SMALL = frozenset("of the a an and in on to at for with from by vs de la le el los las du des der die das".split())
#: words that point back at the conversation ("the others", "the last one"): never a lower-case title
_DEICTIC = frozenset("other others rest same one ones first second third last latter former original sequel remake "
                     "new old latest next previous".split())

# -- slots -----------------------------------------------------------------------------------------
#: verbs of taste or viewing that open a title slot ("loved X", "can't stand X", "seen X")
_TASTE = (r"(?:lov(?:e|ed|es|ing)|lik(?:e|ed|es)|enjoy(?:ed|s)?|ador(?:e|ed|es)|hat(?:e|ed|es)|dislik(?:e|ed|es)|"
          r"can'?t stand|cannot stand|seen|saw|watched|rewatched|re-watched|fan of|(?:favou?rite|fave?)s? (?:is|are|was|were))")
_TASTE_BEFORE = re.compile(r"\b" + _TASTE + r"\s+(?:(?:both|all|the movies?|the films?)\s+)?$", re.I)
TASTE_ANY = re.compile(r"\b" + _TASTE + r"\b", re.I)
_SEP = r"(?:\s*,\s*(?:and\s+|or\s+|&\s*)?|\s+(?:and|or|nor|plus|&)\s+)"
_SEP_BEFORE = re.compile(_SEP + r"$", re.I)
SEP_SPLIT = re.compile(_SEP, re.I)
#: where a clause starts: the message start, a sentence mark, a comma, or a linking word
_CLAUSE_START = re.compile(r"(?:^|[.!?;:,]|\b(?:but|and|though|although|however|also|plus|whereas|while|"
                           r"honestly|tbh|imo|ok|oh|well|then|i think|i thought|i guess|i found|i feel like))\s*$", re.I)
#: "(the carpenter one)", "(the 1982 version)": a qualifier that only follows a title
_QUALIFIER = re.compile(r"\s*\((?:the|that)\s[^()]{1,40}\)", re.I)
_YEAR_AFTER = re.compile(r"\s*\(?(?:19|20)\d\d\b")
#: where a title ends: the message end, punctuation, a list word, a linking word, an afterthought
_END = re.compile(r"\s*(?:$|[,.!?;:…)\]]|-\s|(?:and|or|but|nor|&|too|also|though|tho|because|cause|cuz|bc|since|so|"
                  r"as well|a lot|lol|lmao|haha\w*|again|last (?:night|week|month|year|time)|yesterday|twice|both|"
                  r"more|better|ever|either|when|as a kid|growing up|with (?:my|the|our)|on (?:netflix|tv))\b)", re.I)
_CLAUSE_MARK = re.compile(r"[.!?;]|\bbut\b", re.I)
MAX_ITEM_WORDS = 6


def _verdict_after(t: str, end: int) -> str | None:
    """"verdict" right after the span, "list_verdict" after the rest of its list ("alien and the
    thing were great"), else None."""
    if VERDICT_POS.match(t[end:]) or VERDICT_NEG.match(t[end:]):
        return "verdict"
    m = re.match(_SEP, t[end:], re.I)
    if not m:
        return None
    tail = t[end + m.end():end + m.end() + 60]
    tail = tail[:mk.start()] + " " if (mk := re.search(r"[.!?;]", tail)) else tail
    return "list_verdict" if any(VERDICT_POS.match(tail[p.start():]) or VERDICT_NEG.match(tail[p.start():])
                                 for p in re.finditer(r"(?<=\S)\s", tail)) else None


def _list_head(t: str, start: int) -> str | None:
    """When the span continues a list ("loved alien and X"): "cue" if a taste verb opens the list,
    "subject" if the clause does (the caller then wants a verdict after it); None otherwise."""
    sep = _SEP_BEFORE.search(t, 0, start)
    if not sep:
        return None
    clause_from = max((m.end() for m in _CLAUSE_MARK.finditer(t, 0, sep.start())), default=0)
    cues = list(TASTE_ANY.finditer(t, clause_from, sep.start()))
    head = cues[-1].end() if cues else clause_from
    items = [i for i in SEP_SPLIT.split(t[head:sep.start()]) if i.strip()]
    if not items or any(len(i.split()) > MAX_ITEM_WORDS for i in items):
        return None
    return "cue" if cues else "subject"


def slot(t: str, start: int, end: int) -> tuple[str | None, str | None]:
    """(left, right) of a span: left "cue" | "list" | "subject" | "subject_list" | None; right
    "qualifier" | "year" | "verdict" | "end" | None (see the module docstring)."""
    before = t[:start]
    if _TASTE_BEFORE.search(before):
        left: str | None = "cue"
    elif (head := _list_head(t, start)) is not None:
        left = "list" if head == "cue" else "subject_list"
    elif _CLAUSE_START.search(before):
        left = "subject"
    else:
        left = None
    after = t[end:]
    if _QUALIFIER.match(after):
        right: str | None = "qualifier"
    elif _YEAR_AFTER.match(after):
        right = "year"
    elif verdict := _verdict_after(t, end):
        right = "verdict"
        left = "subject_list" if left == "subject" and verdict == "list_verdict" else left
    elif _END.match(after):
        right = "end"
    else:
        right = None
    return left, right


def _slot_accepts(t: str, start: int, end: int, key: str, fuzzy: bool, resolver: TitleResolver,
                  reserved: Collection[str], child: bool = False) -> bool:
    """Rules 2 and 3 of the module docstring for a lower-case span (``child``: the message is about
    children, which makes one everyday word after a taste verb a children's film)."""
    words = key.split()
    content = [w for w in words if w not in SMALL]
    all_common = all(w in EVERYDAY or w in SMALL for w in words)
    left, right = slot(t, start, end)
    in_slot = (right in ("qualifier", "year") or (left in ("cue", "list") and right is not None)
               or (left in ("subject", "subject_list") and right == "verdict"))
    if left in ("cue", "list") and not all_common and len(content) >= 2:
        in_slot = True  # "loved back to teh future so much": a distinctive phrase needs no clean end
    if not in_slot or not content:
        return False
    if fuzzy:  # a typo: the resolver checks the spelling (and ``typo_plausible`` the film it lands on)
        return not all_common and (len(content) >= 2 or len(content[0]) >= 6)
    popular = resolver.popularity(key) >= resolver.popular_floor
    pointer = words[-1] in _DEICTIC and right not in ("qualifier", "year")  # "the others", "the last one"
    if all_common and left == "subject" and right not in ("qualifier", "year"):
        return False  # "date night was fun", "the house was great": more often the evening than the film
    if len(words) == 1 and key not in reserved and resolver.short_name(key) is not None:
        return True  # "loved shawshank and lebowski": a film's short name is no English word to mistake
    if len(content) == 1:  # one word ("alien", "the mist", "the thing"): a popular film under its whole
        # title ("birds" is not The Birds), never a genre word; an everyday word only with its article
        if content[0] in reserved or not popular or not any(normalise(i.title) == key for i in resolver.exact(key)):
            return False
        if all_common and len(words) == 1:
            # "my 6 year old loved frozen", "the kids watched cars twice": a word is a children's film
            # when the message is about children and a taste verb puts a film there
            return child and left in ("cue", "list") and key not in _PRONOUNS and any(
                CHILD_GENRES & set(i.genres) for i in resolver.exact(key))
        return (len(words) >= 2 and not pointer) if all_common else len(content[0]) >= 4
    if all_common:  # "die hard", "pretty woman": only a popular film, and not a phrase pointing back
        return popular and not pointer
    return True


#: words that stand for a film already named ("loved it"), never a title of their own in lower case
_PRONOUNS = frozenset("it its them that this those these one ones her him us you me all both everything anything "
                      "something nothing".split())

#: a quoted phrase: double quotes, or single ones that open after a space and close before a non-letter
#: ("I'm" and "don't" are no quotes); the phrase is group 1 or group 2
QUOTED = re.compile(r"[\"“]([^\"”]{2,80})[\"”]|(?:(?<=^)|(?<=[\s(]))['‘]([^\s'’][^'’\n]{1,79})['’](?!\w)")


#: words of a message typed on its own that make it a greeting, thanks, an answer or a request, not a
#: film: "hello", "thanks", "more", "ok" are chat even where a film has the name; "frozen", "cars" and
#: "the thing" typed alone are films
CHAT_WORDS = frozenset(CHAT_REPLY_WORDS) | frozenset("""hi hiya cheers morning evening afternoon night good no nope
please help movie movies film films show shows recommend recommendations suggest suggestions something anything
more less another other again instead what why how who when which haha wow""".split())


def make_acceptor(text: str, resolver: TitleResolver, reserved: Collection[str]):
    """The plausibility rule for title spans (``TitleResolver.scan``'s ``accept``); ``reserved``:
    genre and mood words, which are never one-word titles."""
    lower_text = text == text.lower()
    quoted = [m.span(m.lastindex or 0) for m in QUOTED.finditer(text)]
    child = bool(CHILD_WORDS.search(text))

    def accept(t: str, start: int, end: int, key: str, fuzzy: bool) -> bool:
        words, surface = key.split(), t[start:end]
        if start > 0 and t[start - 1] in "\"“‘*'" and end < len(t) and t[end] in "\"”’*'":
            return True
        if any(qs <= start and end <= qe and (qs, qe) != (start, end) for qs, qe in quoted):
            return False  # a part of a quoted title is not a title
        if re.search(r"[()]", surface) or (fuzzy and re.search(r"[.!?;]\s", surface)):
            return False
        if re.match(r"\s+(movies?|films?|flicks?|ones)\b", t[end:], re.I) and not (
                len(words) >= 2 and all(w[:1].isupper() or normalise(w) in SMALL for w in surface.split())
                and not all(w in reserved or w in SMALL for w in words)):
            # "Italian films", "Marvel movies": an adjective, not a title; "Star Wars movies", "no Mission
            # Impossible movies" name a series by its title (agent.turn.sequels.with_series_ruled_out)
            return False
        if all(w.isupper() and len(w) > 1 for w in surface.split()) and not text.isupper() and all(
                w in EVERYDAY for w in words):
            return False  # "I LOVE Chicago": capitals for emphasis
        if re.match(r"\s*\(\d{4}\)", t[end:end + 8]) and not fuzzy:
            return True
        if len(words) == 1 and (key in reserved or len(key) == 1):
            return False
        if key.isdigit() and len(words) == 1:
            return False
        toks = surface.split()

        def up(w: str) -> bool:
            return w[:1].isupper() or w[:1].isdigit()

        cased = up(toks[0]) and up(toks[-1]) and all(up(w) or normalise(w) in SMALL for w in toks)
        if (not cased and not lower_text and not fuzzy and len(toks) >= 3 and up(toks[0]) and up(toks[-1])
                and any(normalise(i.title) == key for i in resolver.exact(key))):
            # a film's whole title with its first and last words capitalised, a verb inside in lower case:
            # "I loved Life is Beautiful" asked which "Life" was meant (the rest read as a verdict on it)
            return True
        if not cased and any(w in ("movie", "movies", "film", "films") for w in words):
            return False
        all_common = all(w in EVERYDAY or w in SMALL for w in words)
        if cased and not lower_text:
            if _sentence_initial(t, start) and (all_common or len(words) == 1 and fuzzy):
                return len(words) >= 2 and not fuzzy and toks[1][:1].isupper()
            return not (fuzzy and len(words) == 1 and len(key) < 6)
        cue = bool(_STRONG_CUE.search(t[:start])) or bool(VERDICT_POS.match(t[end:]) or VERDICT_NEG.match(t[end:]))
        # "the beach", "the score": an article and one word is as short and as common as the word
        content = [w for w in words if w not in SMALL]
        if (not fuzzy and _whole_message(t, start, end) and content and key not in reserved
                and not any(w in CHAT_WORDS for w in words) and max(len(w) for w in content) >= 2):
            return True  # a title typed on its own, any case ("the matrix", "frozen"): nothing else it can be
        long_enough = len(content) >= 2 or (len(content) == 1 and len(content[0]) >= 6 and content[0] not in reserved)
        if cue and long_enough and not all_common:
            return True
        if lower_text and not fuzzy and len(content) >= 2 and not all_common and key not in reserved:
            return True
        return _slot_accepts(t, start, end, key, fuzzy, resolver, reserved, child)

    return accept


def _whole_message(text: str, start: int, end: int) -> bool:
    """Is ``text[start:end]`` all the message says, punctuation aside?"""
    return not re.search(r"\w", text[:start]) and not re.search(r"\w", text[end:])


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \"'“‘*(")
    return not before or before[-1] in ".!?:;"
