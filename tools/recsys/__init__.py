"""Recommendation core: candidate sources, hard constraints, features and one learned ranker.

Why a package of its own: every slate — a live turn, the ReDial benchmark, the load test —
goes through ``Recommender.recommend``; sources nominate, constraints filter once, the
ranker orders and its per-feature contributions are the evidence the explanations cite.
"""
