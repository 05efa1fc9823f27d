"""Deterministic explanations and plain-words evidence, built only from an ``EvidenceBundle``.

Why: when the LLM is down, or its text fails the faithfulness check twice, the user still
gets an explanation -- one that is faithful by construction: every sentence is made of
verbatim evidence values, numbers formatted from the cited facts, and connective words
from ``COMMON_WORDS`` (so it can never accidentally name another catalog item or make a
claim). Tests run the checker over many random bundles to keep it that way.

Also here: ``format_facts`` (the compact fact list the LLM prompt shows) and
``evidence_lines`` (the UI's "why?" expander).
"""

from __future__ import annotations

from typing import Any

from causal.segments import interval_excludes_zero
from tools.explain.evidence import EvidenceBundle
from tools.explain.faithfulness import Sentence


def _pct(share: float) -> str:
    return f"{round(abs(share) * 100)}%"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}"


def _join(values: list[str], limit: int = 4) -> str:
    vals = [" ".join(v.split()) for v in values if v and v.strip()][:limit]
    return ", ".join(vals)


def _contributors(facts: dict[str, Any]) -> str:
    return ", ".join(f"{c['title']} ({_pct(c['share'])})" for c in facts["collab.liked_contributors"])


def _causal_phrase(d: dict[str, Any]) -> str:
    s = f"{d['treatment']} changed {d['outcome']} by {d['estimate']:.2f}"
    if "interval" in d:
        lo, hi = d["interval"]
        s += f" ({_pct(d.get('level', 0.95))} interval {lo:.2f} to {hi:.2f})"
    return s


def _clear_effect(d: dict[str, Any]) -> bool:
    """True when the effect's interval excludes zero (never without an interval to judge by)."""
    interval = d.get("interval")
    if not interval:
        return False
    return interval_excludes_zero(*interval)


def template_sentences(bundle: EvidenceBundle, max_sentences: int = 3) -> list[Sentence]:
    """Up to ``max_sentences`` faithful sentences, most informative evidence first."""
    f = bundle.facts()
    title = " ".join(bundle.title.split()) or bundle.item_id
    out: list[Sentence] = []
    if "collab.liked_contributors" in f:
        out.append(Sentence(f"It is recommended mainly because you liked {_contributors(f)}.",
                            ("collab.liked_contributors",)))
    if "retrieval.matched_terms" in f:
        keys = ["retrieval.matched_terms"]
        text = f"It matches what you asked for: {_join(f['retrieval.matched_terms'])}"
        if "retrieval.similarity" in f:
            text += f" (similarity {f['retrieval.similarity']:.2f})"
            keys.append("retrieval.similarity")
        out.append(Sentence(text + ".", tuple(keys)))
    elif "retrieval.similarity" in f:
        out.append(Sentence(f"It is among the closest matches to your request (similarity "
                            f"{f['retrieval.similarity']:.2f}).", ("retrieval.similarity",)))
    keys = ["item.title"]
    text = title
    if "item.year" in f:
        text += f" ({f['item.year']})"
        keys.append("item.year")
    parts = []
    if _join(f.get("item.tags", [])):
        parts.append(f"is tagged {_join(f['item.tags'])}")
        keys.append("item.tags")
    tag_set = {" ".join(t.lower().split()) for t in f.get("item.tags", [])}
    genres = [g for g in f.get("item.genres", []) if " ".join(g.lower().split()) not in tag_set]
    if _join(genres):
        parts.append(f"has the genres {_join(genres)}")
        keys.append("item.genres")
    if parts:
        out.append(Sentence(f"{text} {parts[0]}" + (f" and {parts[1]}" if len(parts) > 1 else "") + ".",
                            tuple(keys)))
    elif "item.year" in f:
        out.append(Sentence(f"{title} was released in {f['item.year']}.", ("item.title", "item.year")))
    for key in sorted(k for k in f if k.startswith("causal.effect")):
        if _clear_effect(f[key]):  # an effect indistinguishable from zero tells the user nothing
            out.append(Sentence(f"In past conversations, {_causal_phrase(f[key])}.", (key,)))
    if f.get("policy.explored"):
        out.append(Sentence("It is also shown to explore something new for you.", ("policy.explored",)))
    elif "policy.q_value" in f:
        out.append(Sentence(f"The learning policy gives it a value of {f['policy.q_value']:.2f}.",
                            ("policy.q_value",)))
    if "popularity.mentions" in f:
        out.append(Sentence(f"It was mentioned {f['popularity.mentions']} times in past conversations.",
                            ("popularity.mentions",)))
    elif "popularity.score" in f:
        out.append(Sentence(f"Its popularity score is {f['popularity.score']:.2f}.", ("popularity.score",)))
    fkeys = sorted(k for k in f if k.startswith("filters."))
    if fkeys:
        desc = "; ".join(f"{k.removeprefix('filters.').replace('_', ' ')}: {_value(f[k])}" for k in fkeys)
        out.append(Sentence(f"It meets your filters ({desc}).", tuple(fkeys)))
    if not out:
        out.append(Sentence(f"{title} is in the catalog you asked about.", ("item.title",)))
    return out[:max_sentences]


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int | float):
        return _num(v)
    if isinstance(v, list | tuple):
        return ", ".join(_value(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k} {_value(x)}" for k, x in v.items())
    return " ".join(str(v).split())


def format_fact(key: str, value: Any) -> str:
    """One fact as the prompt shows it: compact, with numbers rounded the way the checker accepts."""
    if key == "collab.liked_contributors":
        return ", ".join(f"{c['title']} ({_pct(c['share'])} of the score)" for c in value)
    if key.startswith("causal.effect"):
        s = _causal_phrase(value)
        if value.get("edges"):
            s += "; graph edges: " + ", ".join(value["edges"])
        return s
    if key == "retrieval.query":
        return f'"{value}"'
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.2f}"
    return _value(value)


def format_facts(bundle: EvidenceBundle) -> str:
    return "\n".join(f"- {k}: {format_fact(k, v)}" for k, v in bundle.facts().items())


def evidence_lines(bundle: EvidenceBundle) -> list[str]:
    """The evidence in plain words, one line each (the UI's "why?" expander; not LLM text)."""
    f = bundle.facts()
    lines = [f"{bundle.title}" + (f" ({bundle.year})" if bundle.year else "")]
    if bundle.claims:
        from tools.explain.claim_text import clause

        for c in bundle.claims:
            kind = ("Constraint met" if c.constraint else "Main reason" if c.top else
                    "Past conversations" if c.relation.value == "causal_effect" else "Reason")
            lines.append(f"{kind}: {clause(c)}" + (f" ({c.share:.0%} of what placed it)" if c.share > 0 else ""))
    if bundle.genres:
        lines.append("Genres: " + ", ".join(bundle.genres))
    if bundle.tags:
        lines.append("Tags: " + ", ".join(bundle.tags))
    r = bundle.retrieval
    if r is not None:
        line = f'Matched your request "{r.query}"' if r.query else "Found by search"
        if r.matched_terms:
            line += " on: " + ", ".join(r.matched_terms)
        if r.similarity is not None:
            line += f" (similarity {r.similarity:.2f})"
        lines.append(line)
    if bundle.collab is not None and bundle.collab.contributors:
        lines.append(f"Because you liked ({bundle.collab.scorer}): " + ", ".join(
            f"{c.title} ({_pct(c.share)} of the score)" for c in bundle.collab.contributors))
    for c in bundle.causal:
        line = "Causal effect: " + _causal_phrase({
            "treatment": c.treatment, "outcome": c.outcome, "estimate": c.estimate, "level": c.level,
            **({"interval": list(c.interval)} if c.interval else {})})
        if c.edges:
            line += "; rests on graph edges " + ", ".join(f"{a} -> {b}" for a, b in c.edges)
        lines.append(line + (f" [{c.method}]" if c.method else ""))
    if bundle.policy is not None:
        lines.append(f"RL policy ({bundle.policy.scorer}) value {bundle.policy.q_value:.2f}"
                     + ("; shown to explore" if bundle.policy.explored else ""))
    if "popularity.mentions" in f:
        lines.append(f"Popularity: mentioned {f['popularity.mentions']} times in past conversations")
    elif "popularity.score" in f:
        lines.append(f"Popularity score: {f['popularity.score']:.2f}")
    filters = [f"{k.removeprefix('filters.')}={_value(v)}" for k, v in f.items() if k.startswith("filters.")]
    if filters:
        lines.append("Filters applied: " + ", ".join(filters))
    # versions stay in the audit trail (`whyrec why`), not in the end user's "why?" list
    return lines
