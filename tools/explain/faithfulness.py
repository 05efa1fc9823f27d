"""Faithfulness checker: is every claim in an explanation backed by its evidence bundle?

Why a checker and not a better prompt: published LLM explainers read fluently yet only
4-33% of their statements are supported by data. We never show an unchecked sentence.
A sentence passes when
  1. it cites at least one evidence key and every cited key exists in ``bundle.facts()``;
  2. every number (years, percentages, counts, decimals) matches a number in the CITED
     facts (shares may be rounded to whole percents, decimals to the digits written,
     "1990s" matches a year in that decade);
  3. every evidence phrase it quotes (item/liked titles, tags, genres, query) is real;
  4. no other catalog item is named (``TitleIndex``; short common-word titles such as
     "Up", "It", "Her" only count when quoted, or capitalised and not sentence-initial);
  5. every genre/tag word it uses, every capitalised name and every cast/crew/award
     word appears in the CITED facts or the item's title (tolerant to case, punctuation,
     plurals and adjective forms, e.g. "animated" ~ "Animation");
  6. it states at least one thing its cited facts back, and does not repeat itself.
Matching is strict but fair: anything verbatim from the bundle is fine, anything else
that states a fact must be traceable to the bundle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.explain.faithfulness_lexicon import CREW_WORDS, SPELLED_NUMBERS
from tools.explain.faithfulness_titles import (
    MASK,
    TOKEN_RE,
    TitleIndex,
    fold_phrases,
    is_common,
    norm_token,
    norm_tokens,
)

_NUM_RE = re.compile(
    r"(?<![\w.])(?P<sign>[-\u2212])?(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?P<suf>\s?%|\s?percent\b|s\b|st\b|nd\b|rd\b|th\b)?(?!\w)"
)


@dataclass(frozen=True)
class Sentence:
    """One explanation sentence and the evidence keys it claims to rest on."""

    text: str
    evidence_keys: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "evidence_keys": list(self.evidence_keys)}


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    violations: list[str] = field(default_factory=list)
    claims_total: int = 0
    claims_supported: int = 0

    @property
    def support_rate(self) -> float:
        return self.claims_supported / self.claims_total if self.claims_total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed, "violations": list(self.violations),
            "claims_total": self.claims_total, "claims_supported": self.claims_supported,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CheckResult:
        return cls(bool(d["passed"]), list(d.get("violations") or []), int(d.get("claims_total") or 0),
                   int(d.get("claims_supported") or 0))


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _numbers(value: Any) -> list[float]:
    """Every number a fact states, including numbers inside strings and list lengths."""
    out: list[float] = []
    if isinstance(value, bool):
        return out
    if isinstance(value, int | float):
        out.append(float(value))
    elif isinstance(value, str):
        out.extend(float(m.group("num").replace(",", "")) for m in _NUM_RE.finditer(value))
    elif isinstance(value, Mapping):
        for v in value.values():
            out.extend(_numbers(v))
    elif isinstance(value, list | tuple):
        out.append(float(len(value)))
        for v in value:
            out.extend(_numbers(v))
    return out


def _number_supported(value: float, decimals: int, suffix: str, facts: Sequence[float]) -> bool:
    tol = 0.5 * 10 ** (-decimals) + 1e-9
    suffix = suffix.strip().lower()
    for f in facts:
        if abs(abs(f) - value) < 1e-9:
            return True
        if suffix in ("%", "percent"):
            if abs(f) <= 1.0 and abs(abs(f) * 100 - value) <= tol:
                return True
        elif suffix == "s" and value.is_integer():  # decades: "1990s", "90s"
            v, y = int(value), abs(f)
            if y.is_integer() and v % 10 == 0:
                if v >= 1000 and int(y) // 10 == v // 10:
                    return True
                if v < 100 and 1900 <= y < 2100 and (int(y) % 100) // 10 == v // 10:
                    return True
        elif decimals > 0 and abs(abs(f) - value) <= tol:
            return True
    return False


# ---------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------

def _mask_phrases(text: str, phrases: Sequence[str]) -> tuple[str, int]:
    """Replace verbatim evidence phrases with a marker; returns (masked text, count)."""
    count = 0
    low = text.lower()
    for p in phrases:
        words = TOKEN_RE.findall(p)
        if not words or not all(w.lower() in low for w in words):
            continue  # cannot match (and compiling a pattern per evidence phrase is most of this check's cost)
        # never split a number: "82" must not match inside "3.82"
        pattern = r"(?<!\w)(?<!\d[.,])" + re.escape(p.strip()).replace(r"\ ", r"\s+") + r"(?!\w)(?![.,]\d)"
        text, n = re.subn(pattern, f" {MASK} ", text, flags=re.I)
        count += n
        low = text.lower() if n else low
    return text, count


def repeats_itself(tokens: Sequence[str], n: int = 5) -> bool:
    """Whether normalised ``tokens`` say the same ``n`` words twice (degenerate output; the
    template writer asks this before joining clauses, so its sentences never trip the check)."""
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return len(grams) != len(set(grams))


def check_sentences(
    sentences: Sequence[Sentence],
    facts: Mapping[str, Any],
    index: TitleIndex | None = None,
    *,
    max_sentences: int = 3,
    display_title: str | None = None,
) -> CheckResult:
    """Check every sentence against ``facts`` (an ``EvidenceBundle.facts()`` dict)."""
    index = index or TitleIndex()
    violations: list[str] = []
    total = supported = 0
    if not sentences:
        return CheckResult(False, ["the explanation has no sentences"], 1, 0)
    if len(sentences) > max_sentences:
        violations.append(f"{len(sentences)} sentences; at most {max_sentences} are allowed")
    seen_sentences: dict[tuple[str, ...], int] = {}
    for si, s in enumerate(sentences, 1):
        where = f"sentence {si}"
        text = " ".join(s.text.split())
        if not text:
            violations.append(f"{where} is empty")
            total += 1
            continue
        # 1. citations
        total += 1
        missing = [k for k in s.evidence_keys if k not in facts]
        if not s.evidence_keys:
            violations.append(f"{where} cites no evidence key; cite the keys its facts come from")
        elif missing:
            violations.append(f"{where} cites unknown evidence key(s) {missing}; use only keys from the list")
        else:
            supported += 1
        supported_before = supported
        cited = [facts[k] for k in dict.fromkeys(s.evidence_keys) if k in facts]
        cited_numbers = [n for v in cited for n in _numbers(v)]
        # names, genres/tags and titles must come from the CITED facts (the item's own title is
        # always citable: the explanation is about it)
        scope = [*cited, facts.get("item.title", "")]
        phrases = sorted({" ".join(x.split()) for v in scope for x in _strings(v) if x.strip()}, key=len, reverse=True)
        if display_title:
            phrases.insert(0, display_title)
        evidence_tokens = {t for p in phrases for t in norm_tokens(p)}
        seqs = [norm_tokens(p) for p in phrases]

        def in_evidence_seq(toks: tuple[str, ...], seqs: list[tuple[str, ...]] = seqs) -> bool:
            n = len(toks)
            return any(q[i:i + n] == toks for q in seqs for i in range(len(q) - n + 1))

        # degenerate output: a sentence said twice, or a phrase repeated inside one sentence
        toks_all = norm_tokens(text)
        if toks_all in seen_sentences:
            total += 1
            violations.append(f"{where} repeats sentence {seen_sentences[toks_all]}")
        seen_sentences.setdefault(toks_all, si)
        if repeats_itself(toks_all):
            total += 1
            violations.append(f"{where} repeats itself")
        # 2. verbatim evidence phrases are supported claims; mask them out
        masked, n_phrases = _mask_phrases(text, phrases)
        total += n_phrases
        supported += n_phrases
        # 3. other catalog items
        for title, a, b in reversed(index.find_titles(masked)):
            total += 1
            if in_evidence_seq(norm_tokens(title)):
                supported += 1
            else:
                violations.append(f"{where} names catalog item {title!r}, which is not in the cited evidence")
            masked = masked[:a] + f" {MASK} " + masked[b:]
        # 4. numbers
        for m in _NUM_RE.finditer(masked):
            raw = m.group("num").replace(",", "")
            decimals = len(raw.split(".")[1]) if "." in raw else 0
            total += 1
            if _number_supported(float(raw), decimals, m.group("suf") or "", cited_numbers):
                supported += 1
            else:
                violations.append(f"{where}: the number {m.group(0).strip()!r} is not in the cited facts "
                                  f"{list(s.evidence_keys)}")
        masked = _NUM_RE.sub(f" {MASK} ", masked)
        folded = fold_phrases(masked)
        raw_tokens = list(TOKEN_RE.finditer(folded))
        ntoks = [norm_token(t.group()) for t in raw_tokens]
        handled: set[int] = set()
        for i, t in enumerate(ntoks):
            if t in SPELLED_NUMBERS:
                total += 1
                handled.add(i)
                if _number_supported(float(SPELLED_NUMBERS[t]), 0, "", cited_numbers):
                    supported += 1
                else:
                    violations.append(f"{where}: the count {raw_tokens[i].group()!r} is not in the cited facts")
        # 5. genre/tag vocabulary, crew words, capitalised names
        for phrase, i in index.find_vocabulary(ntoks):
            handled.update(range(i, i + len(phrase)))
            total += 1
            if all(t in evidence_tokens for t in phrase):
                supported += 1
            else:
                violations.append(f"{where} says {' '.join(phrase)!r}, which is not a genre/tag in the cited evidence")
        for i, t in enumerate(ntoks):
            if i in handled:
                continue
            word = raw_tokens[i].group()
            if word.lower() in CREW_WORDS or t in CREW_WORDS:
                handled.add(i)
                total += 1
                if t in evidence_tokens:
                    supported += 1
                else:
                    violations.append(f"{where} makes a cast/crew/award claim ({word!r}) the evidence does not hold")
        i = 0
        while i < len(ntoks):
            word = raw_tokens[i].group()
            if i in handled or not word[0].isupper() or word == "I" or is_common(word):
                i += 1
                continue
            if ntoks[i] in evidence_tokens:
                total += 1
                supported += 1
                i += 1
                continue
            j = i
            while j + 1 < len(ntoks) and raw_tokens[j + 1].group()[0].isupper() and j + 1 not in handled \
                    and not is_common(raw_tokens[j + 1].group()) and ntoks[j + 1] not in evidence_tokens:
                j += 1
            name = folded[raw_tokens[i].start():raw_tokens[j].end()]
            total += 1
            violations.append(f"{where} names {name!r}, which is not in the cited evidence")
            i = j + 1
        # a sentence must state something its citations back (filler that cites keys is not grounded);
        # a fact with no words to match -- a yes/no flag such as policy.explored, or a title made only
        # of punctuation (found by the property test: an item titled "-") -- is backed by citing it
        if supported == supported_before and not any(
                isinstance(v, bool) or (isinstance(v, str) and not TOKEN_RE.findall(v)) for v in cited):
            total += 1
            violations.append(f"{where} states nothing from its cited facts")
    return CheckResult(not violations, violations, total, min(supported, total))
