"""``TurnChecker``: judges one turn of a scripted dialogue against its ``Expect`` block.

Why a module of its own: the checks are the evaluation's yardstick (tools called, slate contents,
genres, franchises, years, acts, catalog fidelity, explanation faithfulness, dialogue-state
understanding) and change independently of how ``evals.dialogue_runner`` plays the scripts.
Each check returns a ``Check`` with a readable detail; none raises on a failed expectation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agent.turn.franchise import film_kin, franchise_tokens
from agent.types import RecCard, TurnResult
from evals.dialogue_schema import Expect, ItemRef, NotInRecs
from tools.catalog.catalog import Catalog
from tools.catalog.movie_kinds import kinds_of
from tools.errors import InputError
from tools.explain.evidence import EvidenceBundle
from tools.explain.explainer import explain_item
from tools.explain.faithfulness import Sentence, check_sentences
from tools.explain.faithfulness_titles import TitleIndex
from tools.resolve.title_resolution import normalise

#: ``because`` of a ``not_in_recs`` expectation -> the dialogue-state lists that count as that sentiment
STATE_LISTS: dict[str, tuple[str, ...]] = {"disliked": ("disliked", "rejected"), "liked": ("liked",), "seen": ("seen",)}
#: where an explanation shown on a card came from, judged from its text (``explanation_source``)
SOURCES = ("llm", "template", "none", "unknown")


@dataclass
class Check:
    check: str
    passed: bool
    detail: str = ""


class TurnChecker:
    """Evaluates one ``Expect`` against a ``TurnResult``, with the catalog for titles and genres."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.by_id = catalog.by_id
        self._by_title: dict[str, list[str]] = {}
        for it in catalog.items:
            self._by_title.setdefault(normalise(it.title), []).append(it.item_id)
        #: the faithfulness checker's view of the catalog (other titles, genre/tag vocabulary)
        self.titles = TitleIndex.from_catalog(catalog)
        #: catalog titles with a sentence stop inside ("Mrs. Doubtfire"): never split a shown text there
        self._dotted = sorted({it.title for it in catalog.items if _STOP.search(it.title + " ")}, key=len, reverse=True)

    def ref_ids(self, ref: ItemRef) -> set[str]:
        """Catalog ids a reference denotes: an id, or every item with that (normalised) title [and year]."""
        if ref.item_id:
            return {ref.item_id} if ref.item_id in self.by_id else set()
        ids = self._by_title.get(normalise(ref.title or ""), [])
        return {i for i in ids if ref.year is None or self.by_id[i].year == ref.year}

    def labels(self, item_id: str) -> set[str]:
        it = self.by_id.get(item_id)
        return {x.lower() for x in (*it.genres, *it.tags)} if it else set()

    def check(self, e: Expect, r: TurnResult, shown_before: set[str], disliked: set[str], *,
              act: str | None = None, previous: Sequence[RecCard] = (),
              state: Mapping[str, Any] | None = None) -> list[Check]:
        """``act``: the turn's reported act; ``previous``: the previous turn's cards, by rank;
        ``state``: the agent's dialogue state after the turn (``session_state``), None when the agent
        exposes none -- then a ``not_in_recs`` with ``because`` fails, since it cannot be verified."""
        recs = sorted(r.recommendations, key=lambda c: c.rank)
        ids = [c.item_id for c in recs]
        tools = [t.tool for t in r.tool_trace]
        out: list[Check] = []
        for t in e.tool_called:
            out.append(Check("tool_called", t in tools, f"{t} {'called' if t in tools else 'not called'}; "
                             f"tools: {', '.join(tools) or 'none'}"))
        for t in e.tool_not_called:
            out.append(Check("tool_not_called", t not in tools, f"{t} {'was called' if t in tools else 'not called'}"))
        for ref in e.in_top_k:
            want = self.ref_ids(ref)
            if not want:
                out.append(Check("in_top_k", False, f"{ref.label()} is not in the catalog (fix the script)"))
                continue
            hit = [i + 1 for i, x in enumerate(ids[: ref.k]) if x in want]
            out.append(Check("in_top_k", bool(hit), f"{ref.label()} {'at rank ' + str(hit[0]) if hit else 'not'} "
                             f"in top {ref.k} of [{'; '.join(c.title for c in recs[:ref.k])}]"))
        for ref in e.not_in_recs:
            out.append(self.not_in_recs_check(ref, ids, state))
        if e.year_min is not None or e.year_max is not None:
            lo, hi = e.year_min or -10**9, e.year_max or 10**9
            bad = [f"{c.title} ({c.year})" for c in recs if c.year is None or not lo <= c.year <= hi]
            out.append(Check("year_range", not bad, f"outside [{e.year_min}, {e.year_max}]: {', '.join(bad) or 'none'}"))
        if e.genre_any:
            want_g = {g.lower() for g in e.genre_any}
            bad = [c.title for c in recs if not self.labels(c.item_id) & want_g]
            out.append(Check("genre_any", not bad, f"without any of {sorted(want_g)}: {', '.join(bad) or 'none'}"))
        if e.genre_none:
            no_g = {g.lower() for g in e.genre_none}
            bad = [c.title for c in recs if self.labels(c.item_id) & no_g]
            out.append(Check("genre_none", not bad, f"with one of {sorted(no_g)}: {', '.join(bad) or 'none'}"))
        if e.kind_any:
            bad = [c.title for c in recs if c.item_id not in self.by_id
                   or not set(e.kind_any) & kinds_of(self.by_id[c.item_id])]
            out.append(Check("kind_any", bool(recs) and not bad,
                             f"of none of {sorted(e.kind_any)}: {', '.join(bad) or ('none' if recs else 'no cards')}"))
        if e.kind_none:
            bad = [c.title for c in recs if c.item_id in self.by_id and set(e.kind_none) & kinds_of(self.by_id[c.item_id])]
            out.append(Check("kind_none", not bad, f"of one of {sorted(e.kind_none)}: {', '.join(bad) or 'none'}"))
        if e.person_none:
            unwanted = {normalise(p) for p in e.person_none}
            bad = [c.title for c in recs if c.item_id in self.by_id and unwanted & {
                normalise(n) for n in self.by_id[c.item_id].people}]
            out.append(Check("person_none", not bad, f"with one of {sorted(e.person_none)}: {', '.join(bad) or 'none'}"))
        for person in e.person_all:
            who = normalise(person)
            bad = [c.title for c in recs if c.item_id not in self.by_id or who not in {
                normalise(n) for n in self.by_id[c.item_id].people}]
            out.append(Check("person_all", bool(recs) and not bad,
                             f"without {person}: {', '.join(bad) or ('none' if recs else 'no cards')}"))
        if e.genre_share is not None:
            want_g = {g.lower() for g in e.genre_share.genres}
            hit = [c for c in recs if self.labels(c.item_id) & want_g]
            share = len(hit) / len(recs) if recs else 0.0
            miss = [c.title for c in recs if c not in hit]
            out.append(Check("genre_share", bool(recs) and share >= e.genre_share.min,
                             f"{len(hit)}/{len(recs)} cards with one of {sorted(want_g)} "
                             f"(want >= {e.genre_share.min:.0%}); without: {', '.join(miss) or 'none'}"))
        if e.max_per_franchise is not None:
            per: dict[str, list[str]] = {}
            for c in recs:
                kin = film_kin(self.by_id[c.item_id]) if c.item_id in self.by_id else franchise_tokens(c.title)
                for token in kin:
                    per.setdefault(token, []).append(c.title)
            bad = {k: v for k, v in per.items() if len(v) > e.max_per_franchise}
            out.append(Check("max_per_franchise", not bad, f"more than {e.max_per_franchise} of one franchise: "
                             + ("; ".join(f"{k!r}: {', '.join(v)}" for k, v in bad.items()) or "none")))
        if e.act is not None:
            out.append(Check("act", act == e.act, f"act {act or '(not reported)'} (want {e.act})"))
        if e.reply_names_card is not None:
            n = e.reply_names_card
            prev = sorted(previous, key=lambda c: c.rank)
            if n > len(prev):
                out.append(Check("reply_names_card", False, f"the previous turn showed {len(prev)} cards, "
                                 f"no card {n}"))
            else:
                title = prev[n - 1].title
                named = title.lower() in r.reply.lower() or f" {normalise(title)} " in f" {normalise(r.reply)} "
                out.append(Check("reply_names_card", named, f"card {n} {title!r} "
                                 f"{'named' if named else 'not named'} in the reply"))
        if e.explanations_faithful:
            out.append(self.faithfulness_check(recs))
        if e.min_recs is not None:
            out.append(Check("min_recs", len(recs) >= e.min_recs, f"{len(recs)} cards (want >= {e.min_recs})"))
        if e.max_recs is not None:
            out.append(Check("max_recs", len(recs) <= e.max_recs, f"{len(recs)} cards (want <= {e.max_recs})"))
        low = r.reply.lower()
        for s in e.reply_contains:
            out.append(Check("reply_contains", s.lower() in low, f"{s!r} {'found' if s.lower() in low else 'missing'}"))
        for s in e.reply_not_contains:
            out.append(Check("reply_not_contains", s.lower() not in low,
                             f"{s!r} {'present' if s.lower() in low else 'absent'}"))
        if e.degraded is not None:
            out.append(Check("degraded", r.degraded == e.degraded, f"degraded={r.degraded} (want {e.degraded})"))
        if e.max_latency_ms is not None:
            out.append(Check("latency", r.latency_ms <= e.max_latency_ms,
                             f"{r.latency_ms:.0f} ms (budget {e.max_latency_ms:.0f} ms)"))
        if e.catalog_only:
            out.append(self.catalog_check(recs))
        if e.no_repeats:
            bad = [x for x in ids if x in shown_before] + [x for i, x in enumerate(ids) if x in ids[:i]]
            out.append(Check("no_repeats", not bad, f"repeated: {', '.join(self._t(x) for x in bad) or 'none'}"))
        if e.no_disliked:
            bad = [x for x in ids if x in disliked]
            out.append(Check("no_disliked", not bad, f"disliked items shown again: "
                             f"{', '.join(self._t(x) for x in bad) or 'none'}"))
        return out

    def catalog_check(self, recs: Sequence[RecCard]) -> Check:
        """Every card the user sees is a catalog item as the catalog has it: the id exists and the
        title and year printed on the card are that item's.

        Why against the catalog and not the agent's candidate bus: the bus only admits catalog ids,
        so asking it proves nothing; what matters is what the card shows (a card could carry a real id
        under a title the model made up, or a title the catalog does not have).
        """
        bad = []
        for c in recs:
            it = self.by_id.get(c.item_id)
            if it is None:
                bad.append(f"{c.title!r}: id {c.item_id} is not in the catalog")
            elif " ".join(c.title.split()) != " ".join(it.title.split()) or c.year != it.year:
                shown = f"{c.title} ({c.year})" if c.year is not None else c.title
                bad.append(f"{shown!r} shows id {c.item_id}, which the catalog has as {it.display_title!r}")
        return Check("catalog_only", not bad, f"{len(recs)} cards; not as in the catalog: {'; '.join(bad) or 'none'}")

    def not_in_recs_check(self, ref: NotInRecs | ItemRef, ids: Sequence[str],
                          state: Mapping[str, Any] | None) -> Check:
        """The item is absent from the slate and, with ``because``, the agent's state holds it so.

        Why the state: the agent excludes every title the user names, whatever they said about it,
        so absence alone passes whether or not "I hated X" was understood as a dislike.
        """
        want = self.ref_ids(ref)
        shown = [x for x in ids if x in want]
        detail = f"{ref.label()} {'recommended' if shown else 'absent'}"
        because = getattr(ref, "because", None)
        if because is None:
            return Check("not_in_recs", not shown, detail)
        if not want:
            return Check("not_in_recs", False, f"{ref.label()} is not in the catalog (fix the script)")
        if state is None:
            return Check("not_in_recs", False, f"{detail}; cannot tell whether it was understood as {because}: "
                                               "the agent exposes no dialogue state")
        held = {name: set(_state_list(state, name)) & want
                for name in ("liked", "disliked", "rejected", "seen", "mentioned")}
        understood = any(held[name] for name in STATE_LISTS[because])
        where = ", ".join(name for name, hit in held.items() if hit) or "not recorded at all"
        return Check("not_in_recs", not shown and understood,
                     f"{detail}; {'understood' if understood else 'NOT understood'} as {because} (state: {where})")

    def explanation_source(self, card: RecCard) -> str:
        """Where the shown text came from, judged from the text itself (one of ``SOURCES``).

        "template" when its words are exactly those of the deterministic template for the card's own
        evidence, "llm" otherwise; "none" without text, "unknown" without a readable bundle. Why not
        ``explanation_path``: that is the agent's account of what it did, and a run that silently fell
        back to templates must not count as the model's work.
        """
        if not card.explanation.strip():
            return "none"
        bundle = _bundle(card)
        if bundle is None:
            return "unknown"
        # the explainer's own no-model path: whichever template form the bundle takes (facts or claims)
        template = explain_item(bundle, None, self.titles).text
        return "template" if _words(template) == _words(card.explanation) else "llm"

    def sentences(self, text: str, bundle: EvidenceBundle) -> list[str]:
        """The shown text in sentences, never split inside an evidence phrase or a catalog title.

        Why split at all: the checker also rejects a phrase repeated within one sentence, and two
        sentences may rightly share one ("..., which you liked.").
        """
        facts = bundle.facts()
        keep = [p for p in {*_strings(facts), *self._dotted} if _STOP.search(p + " ")]
        protected = [(m.start(), m.end()) for p in keep for m in re.finditer(re.escape(p), text, flags=re.I)]
        out, start = [], 0
        for m in _STOP.finditer(text):
            if any(a <= m.start() < b for a, b in protected):
                continue
            out.append(text[start:m.end()].strip())
            start = m.end()
        out.append(text[start:].strip())
        return [x for x in out if x]

    def faithfulness_check(self, recs: Sequence[RecCard]) -> Check:
        """Every card's shown explanation passes the faithfulness checker against the card's evidence.

        Why re-run the checker: ``check_passed`` is the agent's word about text it chose itself, and the
        template fallback passes by construction, so the flag alone could never fail. Here the text the
        user reads is split into sentences, each checked (``tools.explain.faithfulness.check_sentences``) as
        citing every fact of the card's own evidence bundle: a name, number, genre, crew word or other
        film that no fact backs fails it, whichever path wrote it. The agent's own check must have passed
        too. (Citing every fact is the lexical check without the per-sentence citations, which the shown
        text does not carry; the claim polarity check needs those, so it stays the agent's.) The detail
        reports how many texts came from the LLM (by the text, ``explanation_source``) and any card whose
        ``explanation_path`` disagrees with its text.
        """
        if not recs:
            return Check("explanations_faithful", False, "no cards: no explanation was shown to check")
        bad: list[str] = []
        sources: list[str] = []
        mismatch: list[str] = []
        for c in recs:
            src = self.explanation_source(c)
            sources.append(src)
            if src == "none":
                bad.append(f"{c.title!r}: no explanation shown")
                continue
            bundle = _bundle(c)
            if bundle is None or bundle.item_id != c.item_id:
                bad.append(f"{c.title!r}: no evidence bundle of this item to check the explanation against")
                continue
            facts = bundle.facts()
            sents = [Sentence(x, tuple(facts)) for x in self.sentences(c.explanation, bundle)]
            result = check_sentences(sents, facts, self.titles, max_sentences=max(3, len(sents)),
                                     display_title=f"{bundle.title} ({bundle.year})" if bundle.year else None)
            if not result.passed:
                bad.append(f"{c.title!r}: {'; '.join(result.violations[:2])}")
            elif not c.check_passed:
                bad.append(f"{c.title!r}: the agent's own check failed")
            if (src == "template") != (c.explanation_path == "template"):
                mismatch.append(f"{c.title!r} says {c.explanation_path}, text is {src}")
        n_llm = sources.count("llm")
        detail = (f"{n_llm}/{len(recs)} shown texts from the LLM; unfaithful: {'; '.join(bad) or 'none'}"
                  + (f"; path disagrees with text: {'; '.join(mismatch)}" if mismatch else ""))
        return Check("explanations_faithful", not bad, detail)

    def _t(self, item_id: str) -> str:
        it = self.by_id.get(item_id)
        return it.display_title if it else item_id


#: a sentence stop: ., ! or ? (with any closing quote or bracket) followed by white space
_STOP = re.compile(r"[.!?][\"')\]\u201d]*\s+")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _strings(value: Any) -> list[str]:
    """Every string inside a fact value (titles, names, tags), for protecting them from the sentence split."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _bundle(card: RecCard) -> EvidenceBundle | None:
    """The card's evidence bundle as shown (``RecCard.evidence``), or None when there is none to read."""
    if not card.evidence:
        return None
    try:
        return EvidenceBundle.from_dict(card.evidence)
    except InputError:
        return None


def _state_list(state: Mapping[str, Any], name: str) -> list[str]:
    value = state.get(name) or []
    if not isinstance(value, list | tuple) or not all(isinstance(x, str) for x in value):
        raise ValueError(f"dialogue state field {name!r} must be a list of item ids, got {value!r:.80}")
    return list(value)
