"""The shared scorer contract (tests/scorer_contract.py) for the RL policy scorer."""

from __future__ import annotations

from tests.scorer_contract import ScorerContract
from tools.rl.train import TrainConfig
from tools.scorers.rl_policy import RLPolicyConfig, RLPolicyScorer


class TestRLPolicyContract(ScorerContract):
    KNOWN_ANSWER = "community"  # trained on simulated seekers of both communities: same-community first
    EVIDENCE_CITES_LIKED = True  # the sim_liked feature's share is credited to the closest liked item

    def make_scorer(self) -> RLPolicyScorer:
        return RLPolicyScorer(RLPolicyConfig(k=2, pool_size=12, seed=0, train=TrainConfig(episodes=120, seed=0)))
