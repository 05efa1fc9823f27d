"""The contract every ``Scorer`` must pass, as a reusable mixin (like implicit's test mixins).

Usage (one file per scorer)::

    class TestMyScorer(ScorerContract):
        KNOWN_ANSWER = "community"   # or "popularity": what this scorer can honestly know
        def make_scorer(self): return MyScorer(...)

The data are two DISJOINT communities. Community A: items A0..A5 and users ua0..ua5, each
liking all A items but one; user ``alice`` likes A0..A3 (and dislikes B1). Community B:
items B0..B5 and ten users; everybody in B likes B0, so B0 is the most popular item.

Known answers:
- ``"community"`` scorers (personalised) must put an unseen A item (A4/A5) first for alice
  and for a cold-start session that likes A0 and A1.
- ``"popularity"`` scorers cannot know communities; their known answer is "the most popular
  unseen item first", i.e. B0 for both — stated, not skipped.
- ``EVIDENCE_CITES_LIKED``: True when evidence shares come from the session's liked items
  (then they must be non-empty and only cite liked items); False when the score does not
  depend on liked items (then contributions must be empty and ``details['basis']`` must say why).
"""

from __future__ import annotations

import json
from typing import ClassVar, Literal

import numpy as np
import pytest

from tools.catalog.catalog import Interaction
from tools.scoring import Scorer, ScoringContext

A_ITEMS = tuple(f"A{i}" for i in range(6))
B_ITEMS = tuple(f"B{i}" for i in range(6))
ALL_ITEMS = A_ITEMS + B_ITEMS
ALICE_LIKES = ("A0", "A1", "A2", "A3")


def community_interactions() -> list[Interaction]:
    out: list[Interaction] = []
    for k in range(6):
        out += [Interaction(f"ua{k}", a, "liked") for j, a in enumerate(A_ITEMS) if j != k]
    for k in range(10):
        out.append(Interaction(f"ub{k}", "B0", "liked"))
        out += [Interaction(f"ub{k}", b, "liked") for j, b in enumerate(B_ITEMS[1:], 1) if j != (k % 5) + 1]
    out += [Interaction("alice", a, "liked") for a in ALICE_LIKES]
    out.append(Interaction("alice", "B1", "disliked"))
    return out


class ScorerContract:
    KNOWN_ANSWER: ClassVar[Literal["community", "popularity"]] = "community"
    EVIDENCE_CITES_LIKED: ClassVar[bool] = True

    def make_scorer(self) -> Scorer:  # pragma: no cover - subclasses define it
        raise NotImplementedError

    @pytest.fixture(scope="class")
    def fitted(self) -> Scorer:
        return self.make_scorer().fit(community_interactions(), item_ids=ALL_ITEMS)

    def expected_top(self) -> set[str]:
        if self.KNOWN_ANSWER == "community":
            return {"A4", "A5"}
        return {"B0"}

    # -- known answers ---------------------------------------------------------
    def test_trained_user_gets_known_answer_first(self, fitted: Scorer) -> None:
        ctx = ScoringContext(user_id="alice", seen_ids=ALICE_LIKES)
        top = fitted.rank(ctx, ALL_ITEMS, k=1)
        assert top[0][0] in self.expected_top(), top

    def test_cold_start_session_gets_known_answer_first(self, fitted: Scorer) -> None:
        ctx = ScoringContext(liked_ids=("A0", "A1"))
        ranked = fitted.rank(ctx, ALL_ITEMS, k=len(ALL_ITEMS))
        if self.KNOWN_ANSWER == "community":
            assert ranked[0][0] in {"A2", "A3", "A4", "A5"}, ranked
            # every unseen A item above every B item
            pos = {item: i for i, (item, _) in enumerate(ranked)}
            assert max(pos[a] for a in A_ITEMS[2:]) < min(pos[b] for b in B_ITEMS), ranked
        else:
            assert ranked[0][0] in self.expected_top(), ranked

    # -- interface guarantees ----------------------------------------------------
    def test_scores_aligned_with_candidates(self, fitted: Scorer) -> None:
        ctx = ScoringContext(liked_ids=("A0",))
        forward = fitted.score(ctx, list(ALL_ITEMS))
        backward = fitted.score(ctx, list(reversed(ALL_ITEMS)))
        assert forward.shape == (len(ALL_ITEMS),)
        np.testing.assert_allclose(forward, backward[::-1], rtol=1e-6, atol=1e-9)
        singles = np.array([fitted.score(ctx, [c])[0] for c in ALL_ITEMS])
        np.testing.assert_allclose(forward, singles, rtol=1e-6, atol=1e-9)

    def test_unknown_candidates_get_the_minimum(self, fitted: Scorer) -> None:
        ctx = ScoringContext(liked_ids=("A0", "no-such-liked-item"))
        scores = fitted.score(ctx, ["no-such-item", "A1", "B2", "also-unknown"])
        assert np.isfinite(scores).all()
        assert scores[0] == scores.min() and scores[3] == scores.min()
        assert scores[0] < min(scores[1], scores[2])

    def test_save_load_round_trip_gives_identical_scores(self, fitted: Scorer, tmp_path) -> None:
        written = fitted.save(tmp_path / "model")
        loaded = type(fitted).load(written)
        for ctx in (ScoringContext(user_id="alice"), ScoringContext(liked_ids=("B1",), disliked_ids=("A0",))):
            np.testing.assert_allclose(fitted.score(ctx, ALL_ITEMS), loaded.score(ctx, ALL_ITEMS), rtol=1e-6)
        assert loaded.version == fitted.version

    def test_evidence_cites_liked_items(self, fitted: Scorer) -> None:
        ctx = ScoringContext(liked_ids=("A0", "A1"), disliked_ids=("B3",))
        ev = fitted.evidence(ctx, "A4")
        assert ev.item_id == "A4"
        assert ev.score == pytest.approx(float(fitted.score(ctx, ["A4"])[0]), rel=1e-6)
        shares = ev.contributions
        assert all(0.0 <= v <= 1.0 for v in shares.values())
        assert sum(shares.values()) <= 1.0 + 1e-9
        if self.EVIDENCE_CITES_LIKED:
            assert shares and set(shares) <= {"A0", "A1"}, shares
        else:
            assert shares == {} and ev.details.get("basis"), ev
        assert set(ev.neighbours) <= set(A_ITEMS) - {"A4"}, ev.neighbours  # disjoint graph
        json.dumps(ev.to_dict())

    def test_rank_excludes_seen_liked_and_disliked(self, fitted: Scorer) -> None:
        ctx = ScoringContext(liked_ids=("A0",), disliked_ids=("B0",), seen_ids=("A1", "B2"))
        ranked = [item for item, _ in fitted.rank(ctx, ALL_ITEMS, k=len(ALL_ITEMS))]
        assert not {"A0", "B0", "A1", "B2"} & set(ranked)
        assert len(ranked) == len(ALL_ITEMS) - 4
