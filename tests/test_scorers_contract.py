"""The shared scorer contract (tests/scorer_contract.py) for popularity and LightGCN."""

from __future__ import annotations

from tests.scorer_contract import ScorerContract
from tools.scorers.lightgcn import LightGCNScorer
from tools.scorers.lightgcn_train import LightGCNConfig
from tools.scorers.popularity import PopularityScorer


class TestPopularityContract(ScorerContract):
    KNOWN_ANSWER = "popularity"  # cannot know communities: most popular unseen item first
    EVIDENCE_CITES_LIKED = False  # its score does not depend on what the session liked

    def make_scorer(self) -> PopularityScorer:
        return PopularityScorer()


class TestLightGCNContract(ScorerContract):
    KNOWN_ANSWER = "community"

    def make_scorer(self) -> LightGCNScorer:
        cfg = LightGCNConfig(dim=16, layers=3, lr=0.05, batch_size=256, epochs=60, l2=1e-4, seed=0)
        return LightGCNScorer(cfg, validate=False)
