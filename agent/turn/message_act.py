"""Rule 3 of the turn parser: what the whole message does (its act), and which card a "why" asks about.

Why a module of its own: the act decides the turn's route (refusal, chit-chat, "why the second
one?", slate rejection, "instead", a refinement, a new request) before any title or genre
matters; its patterns are checked in a fixed order that is easier to follow read alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.turn.card_refs import PLACES, place_rank
from agent.turn.lexicon import CHAT_REPLY_WORDS
from agent.turn.state_update import TitleRef
from tools.resolve.title_resolution import normalise
from tools.resolve.titles import SpanMatch, TitleResolver

PROMPT_LEAK = re.compile(
    r"(system prompt|your (instructions|prompt|rules)|ignore (all |the |your |previous |prior )*(instructions|rules)|"
    r"developer mode|jailbreak|reveal .*prompt|print .*prompt|repeat .*(instructions|prompt)|"
    r"you are now|act as (an? )?(unrestricted|dan)|disregard .*instructions)", re.I)
OTHER_DATA = re.compile(
    r"(other (users?|people|customers)'?s?|another user|someone else'?s|all users|every user|user id|"
    r"session id|sessions? of|their (history|data|chats?)|support password|admin password|password|"
    r"database|sql|drop table|delete (all|the) (data|rows|records)|write to the (store|database))", re.I)
_ORDINAL_RE = re.compile(r"\b(" + "|".join(PLACES) + r"|last)\b(?! (time|year|night|week))|(?:#|\bnumber |\bno\. ?|"
                         r"\boption |\bpick )(\d{1,2})\b", re.I)
WHY = re.compile(r"\bwhy\b(?! not\b)|\bhow come\b|\bwhat made you\b|\breason (for|behind)\b|\bexplain\b", re.I)
_REJECT = re.compile(
    r"\b(none of (those|these|them|that)|not (these|those|them|that one|any of (those|these|them))|still no|"
    r"(seen|saw|watched) (them all|all of (those|these|them)|(all )?(those|these) (already|before))|"
    r"(don'?t|do not) (like|want) any( of (those|these|them))?|neither of (those|these|them)|"
    r"(something|anything|show me|give me) else|(any|some|got|give me|show me) other (options|suggestions|ones|movies)|"
    r"any others|different (ones|options)|"
    r"already (seen|watched|saw) (them|those|these|all)|no(,)? (thanks|thank you)|try again|"
    r"not (really )?feeling (any of )?(those|these|them|it)|(those|these) (don'?t|do not) (appeal|work|interest))\b", re.I)
_MORE = re.compile(r"^\W*(and |some |a few |show me |give me )?(more|others?|another( one)?)( please| of (those|these|them))?"
                   r"\W*$", re.I)
#: a card named by its place after a "why" ("why the second one?" ... "what about the fourth?"), or
#: asked about: the same question about another card, not an off-topic line
_ABOUT_CARD = re.compile(r"^\W*(?:(?:and|so|ok|okay|hmm)\W+)?(?:(?:what|how) about|tell me (?:more )?about|and) "
                         r"(?:the |number |#|no\. ?|card )?(?:" + "|".join(PLACES) + r"|last|\d{1,2})"
                         r"(?: one| pick| card| film| movie)?\W*$", re.I)
_BARE_NO = re.compile(r"^\W*(no+|nope|nah|not really)\W*$", re.I)
#: with a slate on screen, the whole message says the user has seen it, or turns every card down: "nah, seen
#: those", "I've seen them already", "thumbs down to all" (each got the greeting, read as chit-chat: "seen those"
#: without a slate is a remark about a film, "I've seen that")
_SLATE_SEEN_OR_DOWN = re.compile(
    r"^\W*(?:(?:no+|nope|nah|meh|ugh|yeah|yes|sorry|hmm+)\W+)*(?:(?:i|we)(?:'ve| have)?\s+)?(?:already\s+)?"
    r"(?:(?:seen|watched|saw)\s+(?:those|these|them|all(?:\s+of)?\s+(?:those|these|them)|(?:those|these)\s+all|em)"
    r"(?:\s+(?:already|before|too|all|ones))*"
    r"|thumbs?\s+down(?:\s+(?:to|on|for))?(?:\s+(?:all|every(?:one|thing)|those|these|them|all of (?:those|these|them)))?)"
    r"\W*$", re.I)
_REPLACE = re.compile(r"\binstead\b|^\s*actually\b[,. ]+(something|make it|let'?s|i('d| would)? (want|prefer|rather)|"
                      r"how about|what about|can we|give me|show me|i'?m in the mood)|\bscratch that\b|\bforget (that|it|those|the)\b|"
                      r"\bchange of plans?\b|\bnever ?mind\b|\bon second thought", re.I)
_REFINE = re.compile(r"\b(scarier|funnier|darker|lighter|sadder|shorter|longer|less|more like (that|this|it|those)|"
                     r"(older|newer|more recent)(?=\s*(ones?\b|please\b|stuff\b|than\b(?!\s*(19|20)\d\d)|[.,!?]|$))|"
                     r"(was|were|is|are|it'?s|that'?s) too \w+|too (much|many)\b|"
                     r"more (?!like\b|of\b|movies?\b|films?\b|suggestions?\b|options?\b|ideas?\b|than\b|and\b|about\b|time\b|"
                     r"recommendations?\b|info\b)\w+|"
                     r"even more|not as \w+|make it|same but)\b", re.I)
_CHIT = re.compile(
    r"^\W*(hi+|good (morning|evening|afternoon|night)|thank you|see you|haha\w*|" + "|".join(CHAT_REPLY_WORDS) + "|"
    r"(i'?m|doing) (good|great|fine|well)|how are you|sounds (good|great|interesting|fun)|"
    r"i('ll| will) (check|look|watch|give)|that('s| is| sounds) (good|great|interesting|awesome|cool)|"
    r"(i )?(have|haven'?t|'ve|never) (not )?(seen|heard of|watched) (that|it|this|those|them))\b", re.I)
_CHIT_ANY = re.compile(
    r"\b((seen|heard of|heard|watched) (that|it|this|those|them|either|both)|(it|that|this) (looks|sounds|seems) \w+|"
    r"(is it|are they|was it) (any )?good|what('s| is) (it|that) about|who('s| is) in (it|that)|"
    r"^\W*(it|that|this)('s| is| was) (a |really |so |very )*(good|great|nice|fun|awesome|cool|funny)\b|"
    r"^\W*(i|we) (really )?(loved|liked|enjoyed|hated|love|like) (it|that|that one|them|those)\W*$)", re.I)
_OPEN = re.compile(r"\b(open to|up for|down for) (anything|any|whatever|suggestions?|ideas?)\b", re.I)
_MOVIE_WORDS = re.compile(
    r"\b(movies?|films?|flicks?|watch|watched|recommend\w*|suggest\w*|show me|something|seen|cinema|genre|"
    r"actors?|actress|director|starring|directed|liked|loved|another|older|newer|recent|classic|anything|give me|"
    r"pel[ií]culas?|peli|cin[ée]ma)\b", re.I)
_OFF_TOPIC_HINT = re.compile(r"\b(weather|recipe|cook|solve|equation|capital of|stock|bitcoin|homework|code|python|"
                             r"poem|news|translate|math|calculate|president)\b|\d\s*[-+*/x=]\s*\d", re.I)


_LIKE_THAT = re.compile(r"\bmore like (that|this|it|those)\b", re.I)


def new_anchor(masked: str) -> bool:
    """"Toy Story 3 made me cry, more like that": "that" is the film just named, not the last slate.

    True when "more like that" is the message's only refine cue; the caller checks that the
    message named a film the user liked. Such a message starts a fresh wish anchored on that film
    (act "replace": the user's refusals stay, the earlier genres and years go).
    """
    return bool(_LIKE_THAT.search(masked)) and not _REFINE.search(_LIKE_THAT.sub(" ", masked))


def message_act(text: str, masked: str, has_content: bool, has_slate: bool = False) -> str:
    """The act of the whole message (rule 3); ``why`` needs a target, decided by the caller."""
    if WHY.search(masked) and re.search(r"\b(you|suggest\w*|recommend\w*|pick\w*|choose|chose|that|this|it|one|"
                                         r"on the list|_)\b|_", masked, re.I):
        return "ask_why"
    if has_slate and _ABOUT_CARD.match(masked):
        return "ask_why"
    if _REJECT.search(masked) or (has_slate and (_BARE_NO.match(masked) or _SLATE_SEEN_OR_DOWN.match(masked))):
        return "reject_slate"
    if _REPLACE.search(masked) and (has_content or re.search(r"\bsomething\b", masked, re.I)):
        return "replace"
    if _REFINE.search(masked) and not re.search(r"\bmore like (?!(that|this|it|those)\b)", masked, re.I):
        return "refine"
    if has_slate and _MORE.match(masked):
        return "refine"  # "and more": the same wish, further down the list
    if has_content or _OPEN.search(masked):
        return "recommend"
    if _OFF_TOPIC_HINT.search(masked) and not re.search(r"\b(movies?|films?|watch\w*|flicks?)\b", masked, re.I):
        return "off_topic"  # "give me a recipe for banana bread": a request, but not for a film
    if _CHIT.search(text) or _CHIT_ANY.search(masked) or _BARE_NO.match(masked):
        return "chit_chat"
    if not _MOVIE_WORDS.search(masked):
        return "off_topic" if (_OFF_TOPIC_HINT.search(masked) or text.rstrip().endswith("?")
                               or len(text.split()) > 6) else "chit_chat"
    return "recommend"


def why_target_in(text: str, resolver: TitleResolver, last_slate: Sequence[str],
                spans: Sequence[SpanMatch]) -> tuple[int | None, TitleRef | None]:
    m = _ORDINAL_RE.search(text)
    if m:
        rank = place_rank(m.group(1), m.group(3), len(last_slate))
        if rank and (not last_slate or rank <= len(last_slate)):
            return rank, None
    norm_text = f" {normalise(text)} "
    for i, title in enumerate(last_slate, 1):
        res = resolver.resolve(title)
        bare = normalise(re.sub(r"\s*\(\d{4}\)\s*$", "", title))
        hit = bare and f" {bare} " in norm_text
        hit = hit or any(res.item is not None and s.resolution.item is not None
                         and s.resolution.item.item_id == res.item.item_id for s in spans)
        if hit:
            ref = TitleRef(res.item.item_id, title, res.item.title) if res.item is not None else None
            return (None, ref) if ref is not None else (i, None)
    return None, None
