"""Scorers: popularity, LightGCN and the RL policy behind one ``Scorer`` interface."""
