"""Rule 2 of the turn parser: clauses, cue words, and the polarity each title, genre or person takes.

Why a module of its own: "loved X but not Y", "haven't seen X", "X was boring", "liked it" in
the next clause -- the polarity rules are the part of understanding most often tuned, and they
read best next to the cue lexicon they use. Input: the message with title and person spans
masked out (:func:`mask`); output: liked | disliked | seen | more_like | mentioned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.turn.title_slots import VERDICT_NEG as _VERDICT_NEG
from agent.turn.title_slots import VERDICT_POS as _VERDICT_POS

#: a film named, then how the wish differs from it: "The Godfather but funnier", "Inception, but for kids"
#: -- the film is what the slate is like (more_like), not a mere mention
_BUT_DIFFERENT = re.compile(
    r"\s*,?\s*but\s+(?:(?:a\s+)?(?:bit|little|lot)\s+|way\s+|much\s+|even\s+)?"
    r"(?:(?:more|less)\s+\w+|funnier|scarier|darker|lighter|sadder|happier|sillier|smarter|gorier|creepier|"
    r"weirder|sweeter|tamer|newer|older|shorter|for\s+(?:the\s+)?(?:kids|children|family|adults|teens|my\s+\w+)|"
    r"animated|as\s+an?\s+\w+)\b", re.I)

ACCEPT_RX = (r"\b(i'?ll|i will|we'?ll|we will|going to|gonna|i might|i may|i think i'?ll) (definitely |probably |"
              r"have to )?(check out|check|watch|try|look (for|into|up)|add|see|give)\b")
_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((k, re.compile(p, re.I)) for k, p in (
    ("ask", r"\b(have|did|ever|had) you (ever )?(seen|saw|watched|see|watch)\b|\bwhat about\b|\bhow about\b|"
            r"\bheard of\b|\b(is|was) (it|that|this) (like|similar to)\b|" + ACCEPT_RX),
    ("like_anchor", r"(?<!['’])\b(?!(i|we|you|they|he|she|really|also|all|still|do|did|does|don'?t|didn'?t|doesn'?t|would|"
                    r"i'?d|we'?d|kinda|totally|both|just|definitely|honestly|truly|actually|not|to|will|and|so|but)\b)"
                    r"[a-z][a-z'-]* (like|similar to)(?= )|\bin the (vein|style) of\b|\bsimilar to\b|\balong the lines of\b|"
                    # the same cue in the other languages the catalog's titles turn up in ("un film comme
                    # Alien", "algo como Alien", "so etwas wie Alien"); the reply stays English
                    r"\b(comme|como|wie|parecid[oa]s? a|semblables? [àa]|similaires? [àa]|[äa]hnlich wie)(?= )"),
    ("pos", r"\b(lov(e|ed|es|ing)|lik(e|ed|es|ing)|enjoy(ed|s|ing)?|ador(e|ed|es)|favou?rites?|fave?|fan of|into|dig|"
            r"great|awesome|amazing|amazed|fantastic|brilliant|excellent|good|fun|masterpiece|best|prefer|laughed|sweet|"
            r"encant[oóa]|gust[oóa]|gustan|ador[ée]|aim[ée]|j'aime|liebe|mag|mochte)\b"),
    ("neg", r"\b(hat(e|ed|es|ing)|dislik(e|ed|es)|can'?t stand|cannot stand|sick of|tired of|boring|awful|terrible|"
            r"worst|overrated|avoid|skip|odi[oeé]|d[ée]teste|hasse)\b"),
    ("seen", r"\b(seen|saw|watched|rewatched|seeing him in|seeing her in|visto|vu)\b"),
    ("req", r"\b(want|wanted|looking for|in the mood for|recommend|suggest|show me|give me|find me|something|anything|"
            r"quiero|busco)\b"),
    ("negator", r"\b(not|no|never|don'?t|didn'?t|doesn'?t|haven'?t|hasn'?t|wasn'?t|isn'?t|won'?t|without|except|"
                r"other than|besides|nothing|none|neither|nor|no more|anything but|rather not)\b|n't\b"),
))
CARRY = re.compile(r"\b(lov|lik|enjoy|hat|dislik)(e|ed|es)\s+(it|them|that( one)?|those|both|this( one)?)\b"
                    r"|\b(it|that|they|both|its|it's|that's)\s*(was|were|is|are)?\s+(so |really |pretty |very )?"
                    r"(great|good|awesome|amazing|terrible|awful|boring|bad)\b", re.I)

_CLAUSE_SPLIT = re.compile(
    r"[.!?;]+(?=\s|$)|\s(?=(but|though|although|however|except|whereas)\b)|"
    r"(,|\band\b|\bor\b)\s*(?=(i|i'm|i've|i'd|we|my|he|she|they|it|that|this|those|hated|loved|liked|disliked|"
    r"enjoyed|can'?t|don'?t|didn'?t|not|no|never|also|something|anything|maybe|please|nothing|without)\b)", re.I)
#: the clause asks about the film: "Is The Matrix any good?", "Was Hereditary scary?", "Does Up hold up?"
#: -- the user has not said what they think of it (the film is mentioned, not liked)
_ASKS_ABOUT = re.compile(r"^\W*(?:(?:so|and|but|ok|okay|hmm|also)\W+)?(?:is|was|are|were|does|did)\s+(?:the\s+)?$", re.I)
_ANYTHING_BUT = re.compile(r"\b(anything|everything|nothing|all)\s+but\b", re.I)


def mask(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """Blank title/person spans (same length) so cue and genre words inside them do not count."""
    chars = list(text)
    for s, e in spans:
        chars[s:e] = "_" * (e - s)
    return "".join(chars)


def split_clauses(text: str, protected: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Clause boundaries as (start, end) spans; never inside a title span or after "anything but"."""
    cuts = [0]
    for m in _CLAUSE_SPLIT.finditer(text):
        pos = m.end()
        if any(s <= m.start() < e or s == pos for s, e in protected):
            continue
        if (m.group(1) or "").lower() == "but" and _ANYTHING_BUT.search(text[max(0, m.start() - 12): m.end() + 4]):
            continue
        cuts.append(pos)
    cuts = sorted(set(cuts)) + [len(text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _events(masked: str, start: int, end: int) -> list[tuple[int, int, str]]:
    out = []
    for kind, rx in _CUES:
        for m in rx.finditer(masked, start, end):
            out.append((m.start(), m.end(), kind))
    # "seen" inside "have you seen" is a question, not the user's own viewing
    asks = [(s, e) for s, e, k in out if k == "ask"]
    out = [ev for ev in out if not (ev[2] in ("seen", "req", "like_anchor", "pos") and any(s <= ev[0] < e for s, e in asks))]
    anchors = [(s, e) for s, e, k in out if k == "like_anchor"]
    out = [ev for ev in out if not (ev[2] in ("pos", "req") and any(s <= ev[0] and ev[1] <= e for s, e in anchors))]
    return sorted(out)


def polarity(masked: str, clause: tuple[int, int], pos: int, end: int, default: str) -> str:
    """liked | disliked | seen | more_like | mentioned for the target at [pos, end) (rule 2)."""
    all_events = _events(masked, clause[0], clause[1])
    events = [ev for ev in all_events if ev[1] <= pos]
    after = masked[end:clause[1]]
    if _ASKS_ABOUT.match(masked[clause[0]:pos]) and "?" in masked[end:clause[1] + 1]:
        return "mentioned"
    if _VERDICT_POS.match(after):
        return "liked"
    if _VERDICT_NEG.match(after):
        return "disliked"
    cue = next((ev for ev in reversed(events) if ev[2] != "negator"), None)
    neg = next((ev for ev in reversed(events) if ev[2] == "negator"), None)
    if cue is None and neg is None and default == "mentioned" and _BUT_DIFFERENT.match(masked, end):
        return "more_like"
    if neg is not None and (cue is None or neg[0] >= cue[0]) and "," not in masked[neg[1]:pos]:
        return "disliked"
    pol = _cue_polarity(events, cue, masked, default)
    if pol in ("seen", "mentioned") and (cue is None or cue[2] not in ("ask",)):
        # "I saw X and was amazed", "X was another film I really liked": a verdict later in the clause
        later = [ev for ev in all_events if ev[0] >= end]
        nxt = next((ev for ev in later if ev[2] in ("pos", "neg")), None)
        if nxt is not None:
            return _cue_polarity(later[: later.index(nxt) + 1], nxt, masked, pol)
    return pol


def _cue_polarity(events: list[tuple[int, int, str]], cue: tuple[int, int, str] | None, masked: str,
                  default: str) -> str:
    if cue is None:
        return default
    neg = next((ev for ev in reversed(events) if ev[2] == "negator" and ev[1] <= cue[0]), None)
    gap = masked[neg[1]:cue[0]] if neg is not None else ""
    flipped = neg is not None and len(gap.split()) <= 3 and "," not in gap
    kind = cue[2]
    if kind == "like_anchor":
        return "disliked" if flipped else "more_like"
    if kind == "pos":
        return "disliked" if flipped else "liked"
    if kind == "neg":
        return "mentioned" if flipped else "disliked"
    if kind == "seen":
        return "mentioned" if flipped else "seen"
    if kind == "req":
        return "disliked" if flipped else default
    return "mentioned"
