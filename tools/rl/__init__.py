"""Reinforcement learning for WhyRec: which candidates to show, and when to ask instead.

Modules (one concept each):
- ``types``: state/action/reward/feedback dataclasses (``FeedbackEvent``, ``UpdateReport``, ``RewardConfig``);
- ``features``: per-candidate and dialogue features (``ItemSpace``, ``FeatureBuilder``);
- ``candidates``: candidate pools from score channels (``CandidateSource``, ``PoolBuilder``);
- ``env``: the conversation as an environment plus greedy/random baselines;
- ``qnet``: the Q network, ``policy_probs`` (softmax) and slate/ask decisions;
- ``train``: offline Q-learning (replay, soft target updates, temperature schedule);
- ``ope``: off-policy IPS/SNIPS estimates on ReDial's logged suggestions;
- ``world``: assembles catalog, seekers and channels for the CLI and the benchmark.
The learner itself is ``tools.scorers.rl_policy.RLPolicyScorer``; the seeker is ``tools.rl.simulator``.
"""
