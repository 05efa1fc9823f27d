"""Claim-level checks: subject, polarity, relation and "mainly", on top of the lexical checker.

Why a second layer: the lexical checker (tools/explain/faithfulness.py) proves that every name, number,
genre and title in a sentence comes from the facts the sentence cites. It cannot tell "you
liked Alien" from "you hated Alien", "people who brought up Alien were pointed to it" from
"its story is close to Alien", or a "mainly" that belongs to a minor reason. Those are
statements about the claims (tools/explain/claims.py), so they are checked against the claims:

- polarity: every attitude word near a claim's object ("liked", "hated", "asked for", "ruled
  out", "not a …") must agree with the user's recorded attitude towards it;
- relation: crowd words ("people who", "past conversations", "fans of") need a crowd claim;
  story words ("plot", "story", "premise") need a content claim; people words ("directed",
  "stars") need a person claim; era words need a year claim;
- "mainly"/"mostly"/"above all" only in a sentence citing the top contributor;
- the card's own film is a new suggestion: a sentence may not say the user already liked or
  disliked it ("The Big Sick is one of your favorite films", seen from SmolLM2 in a chat);
- subject: a sentence may name no film other than this card's and its cited claims' objects
  (the lexical checker enforces it; claims give it the objects).

Hand-written because no library checks statements against a typed claim set; the rules are
small, listed here, and measured on a test set of 400+ right and wrong explanations built
from real cards (``python -m evals.bench_explain``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tools.explain.claims import Claim, Polarity, Relation
from tools.explain.faithfulness import CheckResult, Sentence, check_sentences
from tools.explain.faithfulness_titles import TitleIndex, is_common

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
#: attitude cues (lower-case word sequences) -> the polarity they express
_CUES: tuple[tuple[tuple[str, ...], Polarity], ...] = tuple(
    (tuple(phrase.split()), pol) for phrase, pol in sorted([
        *((p, Polarity.DISLIKED) for p in (
            "hated", "hate", "hates", "disliked", "dislike", "dislikes", "did not like", "didn't like",
            "do not like", "don't like", "not a fan of", "can't stand", "could not stand", "couldn't stand",
            "did not enjoy", "didn't enjoy", "were not into", "weren't into", "disliking", "detested", "loathed")),
        *((p, Polarity.RULED_OUT) for p in (
            "ruled out", "rule out", "ruling out", "avoid", "avoided", "avoiding", "excluded", "exclude",
            "not a", "not an", "is not", "isn't", "no", "without", "don't want", "do not want", "didn't want",
            "did not want", "steer clear", "nothing", "wanted to avoid", "want to avoid", "wanted to skip",
            "asked to avoid", "asked me to avoid", "asked for no", "wanted no", "asked to skip", "said no to")),
        *((p, Polarity.LIKED) for p in (
            "liked", "like", "loved", "love", "enjoyed", "enjoy", "adored", "adore", "favourite", "favorite",
            "a fan of", "fan of", "were into", "are into", "liking", "loving")),
        *((p, Polarity.ASKED_FOR) for p in (
            "asked for", "asked", "wanted", "want", "requested", "looking for", "in the mood for", "wished for",
            "hoping for", "as you asked", "you asked")),
        *((p, Polarity.MENTIONED) for p in ("mentioned", "brought up", "talked about", "named", "came up")),
        # "unlike the films you liked" denies the likeness a liked-side claim states
        ("unlike", Polarity.DISLIKED),
    ], key=lambda kv: -len(kv[0].split())))
#: which expressed attitudes agree with a recorded one
_AGREES = {
    Polarity.LIKED: {Polarity.LIKED, Polarity.ASKED_FOR, Polarity.MENTIONED},
    Polarity.ASKED_FOR: {Polarity.ASKED_FOR, Polarity.LIKED, Polarity.MENTIONED},
    Polarity.MENTIONED: {Polarity.MENTIONED},
    Polarity.DISLIKED: {Polarity.DISLIKED, Polarity.RULED_OUT, Polarity.MENTIONED},
    Polarity.RULED_OUT: {Polarity.RULED_OUT, Polarity.DISLIKED},
    Polarity.NONE: set(),
}
#: explicit statements of a user's refusal; unlike bare negations ("it is not a musical") they say what
#: the USER did, so a sentence may make them only while citing a claim that records it
_REFUSAL = re.compile(r"\b(ruled out|rule out|ruling out|avoid|avoided|avoiding|excluded|steer clear|said no to|"
                      r"hated|hate|hates|disliked|dislike|dislikes|did not like|didn't like|can't stand|"
                      r"couldn't stand|could not stand|did not enjoy|didn't enjoy|detested|loathed|"
                      r"(do|did) ?n[o']t want|asked (me )?to (avoid|skip)|wanted (to (avoid|skip)|no))\b", re.I)
#: attitude words that state what the user already felt (not "you'll love it", a forecast)
_PAST_ATTITUDE = frozenset({("liked",), ("loved",), ("enjoyed",), ("adored",), ("favourite",), ("favorite",),
                            ("a", "fan", "of"), ("fan", "of"), ("hated",), ("disliked",), ("did", "not", "like"),
                            ("didn't", "like"), ("did", "not", "enjoy"), ("didn't", "enjoy"), ("detested",),
                            ("loathed",)})
_MAINLY = re.compile(r"\b(mainly|mostly|primarily|chiefly|above all|main reason|largely|first and foremost)\b", re.I)
_RAISE = re.compile(r"\b(raised|raises|increased|increases|boosted|higher|more likely|improved)\b", re.I)
_LOWER = re.compile(r"\b(lowered|lowers|reduced|reduces|decreased|decreases|lower|less likely|hurt)\b", re.I)
#: relation words -> the relations that may back them
_RELATION_CUES: tuple[tuple[re.Pattern[str], frozenset[Relation], str], ...] = (
    (re.compile(r"\b(people|viewers|users|others|fans|everyone|conversations?|chats?|audiences?)\b"
                r"|\bsuggested\b|\bwent on to\b|\btogether\b", re.I),
     frozenset({Relation.LIKED_ALSO, Relation.POPULAR, Relation.CAUSAL_EFFECT, Relation.ASKED_ALIKE}),
     "what other people did"),
    (re.compile(r"\b(plot|story|stories|premise|storyline|themes?)\b", re.I),
     frozenset({Relation.SIMILAR_TO, Relation.MATCHES_WORDS}), "its story"),
    (re.compile(r"\b(directed|director|directs|stars|starring|star|cast|actor|actress|acted|plays|"
                r"wrote|writer|author|adapted from|adaptation of)\b", re.I),
     frozenset({Relation.HAS_PERSON, Relation.AVOIDS}), "the people in it"),
    (re.compile(r"\b(era|decade|years)\b|\b\d{2,4}s\b", re.I),
     frozenset({Relation.SAME_ERA, Relation.IN_YEAR_RANGE}), "when it was made"),
)


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


_CUES_BY_FIRST: dict[str, list[tuple[tuple[str, ...], Polarity]]] = {}
for _phrase, _pol in _CUES:  # already longest first
    _CUES_BY_FIRST.setdefault(_phrase[0], []).append((_phrase, _pol))


def _cue_spans(toks: list[str], protected: set[int]) -> list[tuple[int, int, Polarity]]:
    """Attitude cues left to right, the longest at each position, never inside a protected span (a title
    such as "Love Actually")."""
    spans: list[tuple[int, int, Polarity]] = []
    i = 0
    while i < len(toks):
        for phrase, pol in _CUES_BY_FIRST.get(toks[i], ()):
            n = len(phrase)
            if tuple(toks[i:i + n]) == phrase and not protected.intersection(range(i, i + n)):
                spans.append((i, i + n, pol))
                i += n - 1
                break
        i += 1
    return spans


def _find(toks: list[str], phrase: str) -> list[tuple[int, int]]:
    p = _tokens(phrase)
    if not p:
        return []
    return [(i, i + len(p)) for i in range(len(toks) - len(p) + 1) if toks[i:i + len(p)] == p]


def _outermost(toks: list[str], names: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
    """Each name's spans in ``toks`` that no longer span of another name contains.

    Why: a film's title often sits inside another's -- "Hangover" inside "The Hangover", "The
    Hangover" inside "The Hangover Part II" -- and the words belong to the longer title the
    sentence actually wrote. One rule for every title of the card (its own and its claims'
    objects), so neither direction is read as the shorter film."""
    found = {n: _find(toks, n) for n in dict.fromkeys(n for n in names if n)}
    every = [sp for spans in found.values() for sp in spans]
    return {n: [(a, b) for a, b in spans if not any(x <= a and b <= y and y - x > b - a for x, y in every)]
            for n, spans in found.items()}


#: one-word titles that are pronouns: at a sentence's start they are the pronoun
_PRONOUN_TITLES = frozenset("it her him us them me you she he we they this that these those".split())


def _as_written(spans: dict[str, list[tuple[int, int]]], text: str, toks: list[str],
                own: set[str]) -> dict[str, list[tuple[int, int]]]:
    """``spans`` without the pronoun read as a film: a one-word title that is an everyday word ("It",
    "Up", "Taken") counts only where it is written capitalised, and a pronoun ("It", "Her", "Us") not
    as the sentence's first word either, unless it is the card's own film, which opens its sentence.
    Why: "Also, it is a well-known pick ... close to what you asked for" was read as saying the user
    asked for It (2017); "Taken and Die Hard were talked about together" names Taken."""
    written = [text[m.start()] for m in _WORD.finditer(text.lower().replace("\u2019", "'"))]
    if len(written) != len(toks) or len(text.lower()) != len(text):  # lower() changed the tokens (rare ligatures): keep every span
        return spans
    out = {}
    for name, found in spans.items():
        if len(_tokens(name)) == 1 and is_common(_tokens(name)[0]):
            found = [(a, b) for a, b in found if written[a].isupper()
                     and (a > 0 or name in own or _tokens(name)[0] not in _PRONOUN_TITLES)]
        out[name] = found
    return out


def _clause_bounds(text: str) -> list[tuple[int, int]]:
    """Token ranges of the clauses (split at ; : and "but"/"while"), so a cue does not cross into the next one."""
    bounds, start, n = [], 0, 0
    for part in re.split(r"[;:]|\bbut\b|\bwhile\b|\bwhereas\b", text.lower()):
        n = len(_tokens(part))
        bounds.append((start, start + n))
        start += n
    return bounds


def _expressed(toks: list[str], span: tuple[int, int], cues: list[tuple[int, int, Polarity]],
               clauses: list[tuple[int, int]], window: int = 6) -> Polarity | None:
    """The attitude the sentence expresses towards the object at ``span``: the nearest cue in its clause."""
    a, b = span
    lo, hi = next(((s, e) for s, e in clauses if s <= a < e), (0, len(toks)))
    if b < len(toks) and toks[b] in ("which", "whom", "who", "that"):
        # a relative clause right after the object states the attitude towards it ("X, which you hated")
        rel = [(s, pol) for s, e, pol in cues if b < s <= b + 4 and e <= hi]
        if rel:
            return min(rel)[1]
    best: tuple[int, Polarity] | None = None
    for s, e, pol in cues:
        if s < lo or e > hi:
            continue
        dist = a - e if e <= a else s - b if s >= b else 0
        if 0 <= dist <= window and (best is None or dist < best[0]):
            best = (dist, pol)
    return None if best is None else best[1]


def _attitude_on_subject(toks: list[str], subject: list[tuple[int, int]], others: list[tuple[int, int]],
                         clauses: list[tuple[int, int]], cues: list[tuple[int, int, Polarity]]) -> str | None:
    """The past-attitude phrase of the user's that the sentence attaches to the card's own film, if any.

    ``cues`` are the sentence's attitude cues (``_cue_spans``, none inside a film's name). A cue
    belongs to the film right before a relative clause holding it ("X, which you liked"), else to
    the nearest film named in its clause; only a past-attitude cue that lands on the card's film counts.
    """
    for i, end, _ in cues:
        if tuple(toks[i:end]) not in _PAST_ATTITUDE:
            continue
        lo, hi = next(((a, b) for a, b in clauses if a <= i < b), (0, len(toks)))
        spans = [(a, b, True) for a, b in subject if lo <= a < hi] + [(a, b, False) for a, b in others if lo <= a < hi]
        if not any(mine for *_, mine in spans):
            continue
        rel = [(a, b, mine) for a, b, mine in spans if b < len(toks) and toks[b] in ("which", "whom", "who", "that")
               and b < i <= b + 4]
        a, b, mine = min(rel or spans, key=lambda t: (i - t[1]) if t[1] <= i else (t[0] - end))
        if mine:
            return " ".join(toks[i:end])
    return None


def claim_violations(sentences: Sequence[Sentence], claims: Sequence[Claim], title: str | None = None) -> list[str]:
    """Polarity, relation and "mainly" violations of ``sentences`` against this card's ``claims``.

    ``title``: the card's own title, a name whatever the card's claims (a card with none said "Toy Story
    is here on the overall pattern ..." and its "Story" read as a claim about the plot)."""
    by_key = {c.key: c for c in claims}
    top = next((c for c in claims if c.top), None)
    titles = {c.subject_title for c in claims} | ({title} if title else set())
    out: list[str] = []
    for si, s in enumerate(sentences, 1):
        where = f"sentence {si}"
        cited = [by_key[k] for k in s.evidence_keys if k in by_key]
        text = " ".join(s.text.split())
        toks = _tokens(text)
        names = [*titles, *(o for c in cited for o in c.objects), *(c.detail.partition(":")[2] for c in cited)]
        protected = {i for n in names if n for a, b in _find(toks, n) for i in range(a, b)}
        cues = _cue_spans(toks, protected)
        unsplit = text
        for n in names:  # a title such as "Talladega Nights: The Ballad of Ricky Bobby" is one clause
            if n and any(ch in n for ch in ":;") and n.lower() in unsplit.lower():
                unsplit = re.sub(re.escape(n), n.replace(":", " ").replace(";", " "), unsplit, flags=re.I)
        clauses = _clause_bounds(unsplit)
        spans_of = _as_written(_outermost(toks, [*titles, *(o for c in claims for o in c.objects)]), text, toks,
                               titles)
        free = " ".join(t for i, t in enumerate(toks) if i not in protected)
        if _MAINLY.search(free) and (top is None or top.key not in s.evidence_keys):
            out.append(f"{where} calls a reason the main one, but it does not cite the largest contributor"
                       + (f" ({top.key})" if top else " (this card has no reason claims)"))
        for c in cited:
            if c.relation in (Relation.LIKED_ALSO, Relation.SIMILAR_TO, Relation.UNLIKE) and c.objects \
                    and not spans_of.get(c.objects[0]):
                out.append(f"{where} cites {c.key} but does not name its film {c.objects[0]!r}")
            for obj in c.objects:
                for span in spans_of.get(obj, ()):
                    said = _expressed(toks, span, cues, clauses)
                    if said is not None and c.polarity is not Polarity.NONE and said not in _AGREES[c.polarity]:
                        out.append(f"{where} says you {said.value.replace('_', ' ')} {obj!r}, but you "
                                   f"{c.polarity.value.replace('_', ' ')} it ({c.key})")
                    elif said in (Polarity.DISLIKED, Polarity.RULED_OUT) and c.polarity is Polarity.NONE:
                        out.append(f"{where} gives {obj!r} an attitude the evidence does not record ({c.key})")
        others = [sp for c in claims for o in c.objects if o and o not in titles for sp in spans_of.get(o, ())]
        # "Hangover" inside "The Hangover" (a film the user liked) is that other film, not the card's own
        subject = [sp for t in titles if t for sp in spans_of.get(t, ())]
        inside_names = protected | {i for a, b in (*subject, *others) for i in range(a, b)}
        if subject and (said := _attitude_on_subject(toks, subject, others, clauses, _cue_spans(toks, inside_names))):
            out.append(f"{where} says you {said!r} {next(iter(titles))!r}, but it is a new suggestion: "
                       "you have said nothing about it")
        refusal = _REFUSAL.search(free)
        if refusal and not any(c.polarity in (Polarity.RULED_OUT, Polarity.DISLIKED) for c in cited):
            out.append(f"{where} says you {refusal.group(0).lower()!r} something, but cites no claim that records "
                       "a refusal (a ruled-out genre or person, a film you disliked)")
        for c in cited:
            if c.relation is Relation.CAUSAL_EFFECT and c.value:
                up, down = _RAISE.search(free), _LOWER.search(free)
                if (c.value < 0 and up and not down) or (c.value > 0 and down and not up):
                    out.append(f"{where} gets the direction of the effect wrong: it is {c.value:+.2f} ({c.key})")
        relations = {c.relation for c in cited}
        for pattern, allowed, what in _RELATION_CUES:
            if pattern.search(free) and not relations & allowed:
                out.append(f"{where} talks about {what}, but cites no claim of that kind "
                           f"(it cites {sorted(r.value for r in relations) or 'only item facts'})")
    return out


def check_card(sentences: Sequence[Sentence], facts: dict, claims: Sequence[Claim], index: TitleIndex | None,
               display_title: str | None = None, max_sentences: int = 3) -> CheckResult:
    """The lexical check and the claim check together: passes only when both do."""
    lexical = check_sentences(sentences, facts, index, display_title=display_title, max_sentences=max_sentences)
    extra = claim_violations(sentences, claims, title=facts.get("item.title"))
    total = lexical.claims_total + len(extra)
    return CheckResult(lexical.passed and not extra, [*lexical.violations, *extra], total,
                       min(lexical.claims_supported, total))
