"""The checker's test set: right and wrong explanations of real cards, labelled by construction.

Why built from real cards: the checker must reject the mistakes an explainer really makes on
the cards users really see. Each card comes from the live ranking path (a ReDial validation
conversation → the agent's reading of it → the recommender with its SHAP account → claims).
Right explanations restate the card's claims in varied wordings (not only the template's);
wrong ones change exactly one thing: the user's attitude flipped, another card's text, another
film named, an invented genre or person, a number changed, "mainly" on a minor reason, or a
relation the evidence does not hold (crowd vs story). Each wrong case is kept only when it is
wrong for this card (e.g. the swapped-in film is not among its claims).

Regenerate: ``python -m evals.explain_checkset`` (writes evals/data/explain_checks.jsonl).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tools.explain.claim_text import clause, template_from_claims
from tools.explain.claims import Claim, ClaimContext, Polarity, Relation
from tools.explain.evidence import EvidenceBundle
from tools.explain.faithfulness import Sentence

OUT = Path(__file__).resolve().parent / "data" / "explain_checks.jsonl"
WRONG_KINDS = ("flipped_polarity", "other_card", "other_film", "invented_genre", "invented_person",
               "unsupported_number", "false_mainly", "wrong_relation", "flipped_effect")


def _and(xs: Sequence[str]) -> str:
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]


#: paraphrases of each relation (different words from the template's), all true of the claim
def paraphrases(c: Claim, title: str) -> list[str]:
    o = _and(list(c.objects)) if c.objects else ""
    n = int(c.value) if c.value is not None else 0
    feel = {Polarity.LIKED: "you enjoyed", Polarity.MENTIONED: "you brought up"}.get(c.polarity, "")
    r = c.relation
    if r is Relation.LIKED_ALSO:
        if c.detail == "comention":
            return [f"{o} and {title} were talked about together in {n} earlier chats."]
        return [f"Since {feel} {o}: chats about it led to {title} {n} times.",
                f"When people brought up {o}, they were pointed to {title} {n} times."]
    if r is Relation.SIMILAR_TO:
        return [f"If {feel} {o}, the plot of {title} is close to it.", f"Its story resembles {o}, which {feel}."]
    if r is Relation.UNLIKE:
        return [f"It is nothing like {o}, which you disliked."]
    if r is Relation.MATCHES_GENRE:
        return [f"You asked for {o.lower()}, and {title} is exactly that.", f"It fits your request for {o.lower()}."]
    if r is Relation.SHARES_GENRE:
        return [f"Like the films you enjoyed, it is {o.lower()}."]
    if r is Relation.HAS_PERSON:
        role, _, via = c.detail.partition(":")
        if c.polarity is Polarity.ASKED_FOR:
            return [f"You wanted {o}, and {o} is in {title}."]
        return [f"It brings back {o}, whom you saw in {via}, which you enjoyed."]
    if r is Relation.MATCHES_WORDS:
        return [f"It fits the words you used: {o}."] if o else []
    if r is Relation.ASKED_ALIKE:
        return [f"People who put their wish much as you did were pointed to {title} before."]
    if r is Relation.POPULAR:
        return [f"It is a popular choice: {n} earlier conversations mentioned it."]
    if r is Relation.SAME_ERA:
        return [f"Like the films you enjoyed, it comes from the {o}."]
    if r is Relation.IN_YEAR_RANGE:
        return [f"It came out in {n}, within the years you asked for."]
    if r is Relation.AVOIDS:
        return ([f"{o} is not in it, as you wanted."] if c.detail == "person"
                else [f"It is not {'an' if o[:1].lower() in 'aeiou' else 'a'} {o.lower()} film, which you wanted to avoid."])
    if r is Relation.CAUSAL_EFFECT:
        lo, hi = c.interval or (0.0, 0.0)
        way = "raised" if (c.value or 0) >= 0 else "lowered"
        return [f"Among {o}, a suggestion {way} the chance of being liked by {abs(c.value or 0):.2f} "
                f"(95% interval {lo:.2f} to {hi:.2f})."]
    return []


def right_cases(b: EvidenceBundle, rng: random.Random) -> list[tuple[str, list[Sentence]]]:
    out: list[tuple[str, list[Sentence]]] = [("template", template_from_claims(b.claims, b.title))]
    para = [(c, p) for c in b.claims for p in paraphrases(c, b.title)]
    rng.shuffle(para)
    if para:
        out.append(("paraphrase", [Sentence(p, (c.key,)) for c, p in para[:rng.randint(1, 3)]]))
    top = next((c for c in b.claims if c.top), None)
    if top is not None:
        out.append(("mainly_top", [Sentence(f"Mainly, {clause(top)}.", (top.key,))]))
    return out


def _swap(text: str, old: str, new: str) -> str | None:
    pat = re.compile(r"(?<!\w)" + re.escape(old) + r"(?!\w)", re.I)
    return pat.sub(new, text, count=1) if pat.search(text) else None


def wrong_cases(b: EvidenceBundle, others: Sequence[EvidenceBundle], pools: dict[str, list[str]],
                rng: random.Random) -> list[tuple[str, list[Sentence]]]:
    out: list[tuple[str, list[Sentence]]] = []
    objects = {o.lower() for c in b.claims for o in c.objects} | {b.title.lower()}
    base = [Sentence(f"{clause(c)[:1].upper()}{clause(c)[1:]}.", (c.key,)) for c in b.claims]
    flips = {"which you liked": "which you hated", "which you mentioned": "which you said you hated",
             "as you asked": "which you ruled out", "which you ruled out": "as you asked",
             "which you did not like": "which you loved", "with films you liked": "with films you disliked",
             "like the films you liked": "unlike the films you loved"}
    for s in base:
        for a, z in flips.items():
            if a in s.text:
                text = s.text.replace(a, z)
                if "not a" in text and "as you asked" in text:
                    text = text.replace("is not a", "is a").replace("is not an", "is an")
                out.append(("flipped_polarity", [Sentence(text, s.evidence_keys)]))
                break
    other = next((o for o in rng.sample(list(others), min(6, len(others))) if o.title.lower() not in objects
                  and o.claims), None)
    if other is not None:
        out.append(("other_card", template_from_claims(other.claims, other.title)))
    film_claims = [c for c in b.claims if c.relation in (Relation.LIKED_ALSO, Relation.SIMILAR_TO, Relation.UNLIKE)]
    if film_claims:
        c = rng.choice(film_claims)
        new = next(t for t in rng.sample(pools["titles"], 20) if t.lower() not in objects)
        if (text := _swap(f"{clause(c)[:1].upper()}{clause(c)[1:]}.", c.objects[0], new)) is not None:
            out.append(("other_film", [Sentence(text, (c.key,))]))
    genre_claims = [c for c in b.claims if c.relation in (Relation.MATCHES_GENRE, Relation.SHARES_GENRE)]
    have = {g.lower() for g in b.genres} | objects
    if genre_claims:
        c = rng.choice(genre_claims)
        new = next((g for g in rng.sample(pools["genres"], len(pools["genres"])) if g.lower() not in have), None)
        if new and (text := _swap(f"{clause(c)[:1].upper()}{clause(c)[1:]}.", c.objects[0].lower(), new.lower())):
            out.append(("invented_genre", [Sentence(text, (c.key,))]))
    if b.claims:
        c = b.claims[0]
        person = next(p for p in rng.sample(pools["people"], 20) if p.lower() not in objects)
        out.append(("invented_person", [Sentence(f"{clause(c)[:1].upper()}{clause(c)[1:]}, and it stars {person}.",
                                                 (c.key,))]))
    numbered = [c for c in b.claims if c.value is not None]
    if numbered:
        c = rng.choice(numbered)
        text = f"{clause(c)[:1].upper()}{clause(c)[1:]}."
        nums = re.findall(r"\d+(?:\.\d+)?", text)
        if nums:
            v = nums[0]
            bad = f"{float(v) + 0.17:.2f}" if "." in v else str(int(v) + 7)
            out.append(("unsupported_number", [Sentence(text.replace(v, bad, 1), (c.key,))]))
    for c in b.claims:
        if c.relation is Relation.CAUSAL_EFFECT and c.value:
            text = clause(c)
            flipped = text.replace("raised", "lowered") if "raised" in text else text.replace("lowered", "raised")
            out.append(("flipped_effect", [Sentence(flipped[:1].upper() + flipped[1:] + ".", (c.key,))]))
    minor = [c for c in b.claims if not c.top and not c.constraint and c.relation is not Relation.CAUSAL_EFFECT]
    if minor:
        c = rng.choice(minor)
        out.append(("false_mainly", [Sentence(f"{b.title} is here mainly because {clause(c)}.", (c.key,))]))
    rels = {(c.relation, o.lower()) for c in b.claims for o in c.objects}
    for c in b.claims:
        if c.relation is Relation.LIKED_ALSO and (Relation.SIMILAR_TO, c.objects[0].lower()) not in rels:
            out.append(("wrong_relation", [Sentence(f"Its story is close to {c.objects[0]}.", (c.key,))]))
            break
        if c.relation is Relation.SIMILAR_TO and (Relation.LIKED_ALSO, c.objects[0].lower()) not in rels:
            out.append(("wrong_relation", [Sentence(f"People who brought up {c.objects[0]} were often pointed "
                                                    f"to it.", (c.key,))]))
            break
    return out


def real_cards(n_requests: int, seed: int, progress: bool = True) -> tuple[list[EvidenceBundle], dict[str, list[str]]]:
    """Bundles with claims for the top 5 of ``n_requests`` ReDial validation requests (live ranking path)."""
    from agent.recommender_assets import DialogueReader
    from agent.runtime import build_runtime
    from agent.settings import Settings
    from agent.turn.evidence import evidence_for
    from evals.redial_protocol import extract_samples
    from tools.datasets.redial import default_redial_dir, load_dialogues

    rt = build_runtime(Settings(), use_llm=False)
    cat, rec = rt.catalog, rt.services.recommender
    if rec is None:
        raise SystemExit("no trained ranker; run `whyrec train ranker` first")
    reader = DialogueReader(rt.services.resolver, rt.services.people, cat)
    dialogues = load_dialogues(default_redial_dir() / "valid_data.jsonl")
    titles = {it.item_id: it.display_title for it in cat.items}
    samples, _ = extract_samples(dialogues, titles, {it.item_id for it in cat.items}, filtered=True)
    rng = random.Random(seed)
    chosen = rng.sample(samples, min(n_requests, len(samples)))
    from agent.runtime import load_segment_effect

    ctx = ClaimContext(rec.space, rec.stats, cat, segment_effect=load_segment_effect(rt.settings, []))
    bundles: list[EvidenceBundle] = []
    for i, s in enumerate(chosen):
        req = reader.sample_request(s)
        for r in rec.recommend(req, k=5, explain=True):
            bundles.append(evidence_for(r, req, cat, versions={}, filters={}, claims=ctx))
        if progress and i % 20 == 0:
            print(f"  cards from {i + 1}/{len(chosen)} requests", flush=True)
    pools = {"titles": sorted({it.title for it in cat.items if it.year and len(it.title) > 4}),
             "genres": sorted({g for it in cat.items for g in it.genres}),
             "people": sorted({p for it in cat.items for p in (*it.cast[:2], *it.directors)})}
    return bundles, pools


def build(bundles: Sequence[EvidenceBundle], pools: dict[str, list[str]], seed: int,
          per_kind: int = 40, per_right_kind: int = 90) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for i, b in enumerate(bundles):
        if not b.claims:
            continue
        others = [o for o in bundles[max(0, i - 10):i + 10] if o.item_id != b.item_id]
        cases: list[tuple[str, str, list[Sentence]]] = [("right", k, s) for k, s in right_cases(b, rng)]
        cases += [("wrong", k, s) for k, s in wrong_cases(b, others, pools, rng)]
        for label, kind, sents in cases:
            if counts[kind] >= (per_right_kind if label == "right" else per_kind):
                continue
            counts[kind] += 1
            rows.append({"label": label, "kind": kind, "bundle": b.to_dict(),
                         "sentences": [s.to_dict() for s in sents]})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=80)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    bundles, pools = real_cards(args.requests, args.seed)
    rows = build(bundles, pools, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    c = Counter((r["label"], r["kind"]) for r in rows)
    print(f"wrote {len(rows)} cases to {args.out}: " + ", ".join(f"{k[0]}/{k[1]} {v}" for k, v in sorted(c.items())))
    return 0


def load(path: Path = OUT) -> list[tuple[str, str, EvidenceBundle, list[Sentence]]]:
    """(label, kind, bundle, sentences) of every stored case."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        out.append((r["label"], r["kind"], EvidenceBundle.from_dict(r["bundle"]),
                    [Sentence(s["text"], tuple(s["evidence_keys"])) for s in r["sentences"]]))
    return out


CheckFn = Callable[[EvidenceBundle, list[Sentence]], bool]

if __name__ == "__main__":
    raise SystemExit(main())
