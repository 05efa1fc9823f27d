"""ReDial dialogues as ranking samples: the published CRS protocol's unit of evaluation.

Why here (tools/) and not in evals/: the same samples train the ranker (training split)
and score it (validation split); training lives below evals in the layers.

Protocol (as KBRD/KGSF/UniCRS report it): consecutive messages by one speaker are merged
into one utterance; for every recommender utterance that mentions catalog movies, the system
gets the dialogue so far (``@id`` rendered as titles) and ranks the whole catalog; each
mentioned movie is one target. "Filtered" (He et al. 2023) drops targets already mentioned
earlier and lets systems exclude every already-mentioned movie. Utterances with no earlier
context are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tools.datasets.redial import Dialogue, render_text
from tools.recsys.cooccurrence import Episode


@dataclass(frozen=True)
class RedialSample:
    conversation_id: str
    utterance_index: int
    #: (role, rendered text) of every utterance before the recommender's: role is user|assistant
    history: tuple[tuple[str, str], ...]
    #: the seeker's latest utterance (rendered), the one the recommender answers
    text: str
    targets: tuple[str, ...]
    mentioned_before: tuple[str, ...]
    #: earlier mentions the seeker said they liked (ReDial's questionnaire): training data only,
    #: never an input to a ranking that is evaluated
    liked_before: tuple[str, ...]


def merged_utterances(d: Dialogue) -> list[tuple[bool, str, list[str]]]:
    """(is_seeker, raw text, mentions) with consecutive same-speaker messages merged."""
    out: list[tuple[bool, str, list[str]]] = []
    for t in d.turns:
        if out and out[-1][0] == t.is_seeker:
            seeker, text, ments = out[-1]
            out[-1] = (seeker, f"{text} {t.text}", ments + [m for m in t.mentions if m not in ments])
        else:
            out.append((t.is_seeker, t.text, list(dict.fromkeys(t.mentions))))
    return out


def extract_samples(dialogues: Iterable[Dialogue], titles: dict[str, str], catalog_ids: set[str],
                    filtered: bool = False) -> tuple[list[RedialSample], dict[str, int]]:
    """Samples of every recommender utterance with catalog mentions, and counts of what was skipped."""
    samples: list[RedialSample] = []
    skipped = {"targets_not_in_catalog": 0, "targets_repeated_filtered": 0, "no_context": 0}
    for d in dialogues:
        utts = merged_utterances(d)
        mentioned: list[str] = []
        history: list[tuple[str, str]] = []
        for i, (is_seeker, raw, ments) in enumerate(utts):
            rendered = render_text(raw, titles).strip()
            if not is_seeker and ments:
                targets = []
                for m in ments:
                    if m not in catalog_ids:
                        skipped["targets_not_in_catalog"] += 1
                    elif filtered and m in mentioned:
                        skipped["targets_repeated_filtered"] += 1
                    else:
                        targets.append(m)
                if targets and not history:
                    skipped["no_context"] += len(targets)
                elif targets:
                    last_user = next((t for r, t in reversed(history) if r == "user"), history[-1][1])
                    liked = tuple(m for m in mentioned
                                  if (lab := d.seeker_label(m)) is not None and lab.liked is True)
                    samples.append(RedialSample(d.conversation_id, i, tuple(history), last_user, tuple(targets),
                                                tuple(mentioned), liked))
            history.append(("user" if is_seeker else "assistant", rendered))
            mentioned += [m for m in ments if m not in mentioned]
    return samples, skipped


def episodes(dialogues: Iterable[Dialogue]) -> list[Episode]:
    """Co-suggestion episodes: what recommenders newly suggested after what had been mentioned."""
    out = []
    for d in dialogues:
        seen: list[str] = []
        for is_seeker, _raw, ments in merged_utterances(d):
            if not is_seeker and ments:
                new = tuple(m for m in ments if m not in seen)
                if new and seen:
                    out.append(Episode(d.conversation_id, tuple(seen), new))
            seen += [m for m in ments if m not in seen]
    return out
