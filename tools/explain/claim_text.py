"""Plain-words explanations written from a card's claims: the exact, instant template path.

Why templates per claim: the template is what the user sees whenever the LLM's text is late or
fails the check, so it has to read like a person wrote it *and* be true by construction. Each
claim has one clause; the largest contributor leads (with "mainly" only when it carries most of
the ranker's push); constraints the film meets come last; a card that only meets a constraint
says exactly that.
"""

from __future__ import annotations

from collections.abc import Sequence

from tools.explain.claims import Claim, Polarity, Relation
from tools.explain.faithfulness import Sentence, repeats_itself
from tools.explain.faithfulness_titles import norm_tokens

#: "mainly" is printed only when the top claim carries at least this share of the positive push
MAINLY_SHARE = 0.5


def _and(words: Sequence[str]) -> str:
    w = [x for x in words if x]
    return w[0] if len(w) == 1 else ", ".join(w[:-1]) + " and " + w[-1] if w else ""


def _joined(group: Sequence[tuple[Claim, str]]) -> str:
    """One sentence's clauses joined by "and", the one about what people who asked alike were pointed to
    last and after a semicolon.

    Why: its words ("people who asked for something like this") sit next to the film the clause before
    names, and "its story is close to The Matrix too and people who asked for ..." read, to our own check
    (``claim_check``: the nearest attitude cue in the clause), as "you asked for The Matrix", a film the
    user only mentioned: the sentence was dropped from the card. A semicolon ends the clause for the check
    and for a reader alike."""
    alike = [t for c, t in group if c.relation is Relation.ASKED_ALIKE]
    rest = [t for c, t in group if c.relation is not Relation.ASKED_ALIKE]
    if not alike or not rest:
        return _and([t for _c, t in group])
    return "; ".join([_and(rest), *alike])


def _attitude(c: Claim) -> str:
    return {Polarity.LIKED: "which you liked", Polarity.MENTIONED: "which you mentioned",
            Polarity.DISLIKED: "which you did not like"}.get(c.polarity, "")


def clause(c: Claim, *, again: bool = False, subject: str = "it") -> str:
    """One clause (no leading capital, no full stop) stating exactly claim ``c``; ``again``: its object was
    already introduced with the user's attitude, so it is not repeated; ``subject``: how the clause names the
    card's film where it names it as an object ("it", or the title when the clause stands alone)."""
    obj = _and(c.objects)
    if again and c.relation in (Relation.LIKED_ALSO, Relation.SIMILAR_TO):
        if c.relation is Relation.SIMILAR_TO:
            return f"its story is close to {obj} too"
        n = int(c.value or 0)
        return (f"{obj} came up together with it in {n} past conversation{'s' * (n != 1)} too"
                if c.detail == "comention" else f"conversations about {obj} went on to suggest it too")
    n = int(c.value) if c.value is not None else 0
    times = "once" if n == 1 else f"{n} times"
    if c.relation is Relation.LIKED_ALSO:
        if c.detail == "comention":
            return f"{obj}, {_attitude(c)}, came up together with it in {n} past conversation{'s' * (n != 1)}"
        return f"conversations that brought up {obj}, {_attitude(c)}, went on to suggest it {times}"
    if c.relation is Relation.SIMILAR_TO:
        return f"its story is close to {obj}, {_attitude(c)}"
    if c.relation is Relation.UNLIKE:
        return f"it is far from {obj}, {_attitude(c)}"
    if c.relation is Relation.MATCHES_GENRE:
        return f"it is {_article(obj)} {obj.lower()} film, as you asked"
    if c.relation is Relation.SHARES_GENRE:
        return f"it has {obj.lower()} in common with films you liked"
    if c.relation is Relation.HAS_PERSON:
        role, _, via = c.detail.partition(":")
        if c.polarity is Polarity.ASKED_FOR:
            return {"director": f"it is directed by {obj}, as you asked",
                    "author": f"it is adapted from a work by {obj}, as you asked"}.get(role, f"{obj} is in it, as you asked")
        liked = "" if again else ", which you liked"  # the film was introduced with the attitude already
        return {"director": f"it is directed by {obj}, who also made {via}{liked}",
                "author": f"it is adapted from a work by {obj}, who also wrote the source of {via}{liked}"}.get(role, f"{obj}, from {via}{liked}, is in it")
    if c.relation is Relation.MATCHES_WORDS:
        return (f"it matches your words: {obj}" if obj else
                f"its description is close to what you asked for (similarity {c.value:.2f})")
    if c.relation is Relation.ASKED_ALIKE:
        return f"people who asked for something like this in past conversations were pointed to {subject}"
    if c.relation is Relation.POPULAR:
        return f"it is a well-known pick, mentioned in {n} past conversations"
    if c.relation is Relation.SAME_ERA:
        return f"it is from the {obj}, like the films you liked"
    if c.relation is Relation.IN_YEAR_RANGE:
        return f"it is from {n}, inside the years you asked for ({obj})"
    if c.relation is Relation.AVOIDS:
        return (f"{obj} is not in it, as you asked" if c.detail == "person"
                else f"it is not {_article(obj)} {obj.lower()} film, which you ruled out")
    if c.relation is Relation.CAUSAL_EFFECT:
        lo, hi = c.interval or (0.0, 0.0)
        way = "raised" if (c.value or 0) >= 0 else "lowered"
        # an effect against the film is no reason for it: said as the caution it is, not read as one more reason
        # ("Interstellar is here because ... being suggested lowered the chance ...")
        caution = "one caution: " if (c.value or 0) < 0 else ""
        return (f"{caution}in past conversations about {obj}, being suggested {way} the chance that the person liked "
                f"the film by {abs(c.value or 0):.2f} (95% interval {lo:.2f} to {hi:.2f})")
    raise ValueError(f"no template for relation {c.relation!r}; add one in tools/explain/claim_text.py")


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def claim_sentence(c: Claim) -> Sentence:
    """One claim as a stand-alone sentence (what an LLM clause is replaced by when it fails)."""
    return Sentence(_cap(clause(c)) + ".", (c.key,))


def template_from_claims(claims: Sequence[Claim], title: str, max_sentences: int = 3) -> list[Sentence]:
    """The explanation of a card: the main reason first, up to two more, then one constraint.

    Only ``top`` may be called the main reason; causal context is added only when it fits.
    """
    reasons = [c for c in claims if not c.constraint and c.relation is not Relation.CAUSAL_EFFECT]
    constraints = [c for c in claims if c.constraint]
    causal = [c for c in claims if c.relation is Relation.CAUSAL_EFFECT]
    name = " ".join(title.split())
    out: list[Sentence] = []
    if reasons:
        top = reasons[0]
        lead = "mainly because" if top.top and top.share >= MAINLY_SHARE else "because"
        out.append(Sentence(f"{name} is here {lead} {clause(top)}.", (top.key,)))
        rest = reasons[1:3]
        if rest:
            def named(c: Claim) -> set[str]:  # the films a clause introduces with the user's attitude
                return {*c.objects, *([c.detail.partition(":")[2]] if ":" in c.detail else [])}

            # a clause that would make the sentence repeat itself (a long title named twice: "Rick Moranis,
            # from Honey, I Shrunk the Kids, ... is in it and its story is close to Honey, I Shrunk the
            # Kids too" failed our own check) starts a sentence of its own
            seen = named(top)
            groups: list[list[tuple[Claim, str]]] = [[]]
            for c in rest:
                piece = clause(c, again=bool(seen & named(c)))
                seen |= named(c)
                # ... and so does a clause about what the user disliked next to one about what they liked: "it is
                # far from Die Hard, which you did not like, and it has comedy in common with films you liked"
                # read as a disliked comedy to our own check (and to a hurried reader)
                turns = bool(groups[-1]) and Polarity.DISLIKED in {c.polarity, groups[-1][-1][0].polarity} \
                    and c.polarity is not groups[-1][-1][0].polarity
                if groups[-1] and (turns or repeats_itself(norm_tokens(_and([*(t for _c, t in groups[-1]), piece])))):
                    groups.append([])
                groups[-1].append((c, piece))
            for g, group in enumerate(groups):
                if len(group) == 1 and group[0][0].relation is Relation.ASKED_ALIKE:
                    # on its own the clause names nothing the card's facts hold ("... were pointed to it"
                    # failed our own check), so it names the film its fact is about
                    group = [(group[0][0], clause(group[0][0], subject=name))]
                text = _joined(group)
                out.append(Sentence(("Also, " + text if g == 0 else _cap(text)) + ".", tuple(c.key for c, _t in group)))
    elif constraints:
        c = constraints[0]
        out.append(Sentence(f"{name} is here because it meets what you asked: {clause(c)}; "
                            "nothing else you said pointed to it more strongly.", (c.key,)))
        constraints = constraints[1:]
    else:
        # SHAP shows no feature lifting it above the average card: say so instead of inventing a reason
        out.append(Sentence(f"{name} is here on the overall pattern of what you said; no single reason "
                            "stood out for it.", ("item.title",)))
    for c in [*constraints[:1], *causal[:1]]:
        if len(out) < max_sentences:
            out.append(claim_sentence(c))
    return out[:max_sentences]
