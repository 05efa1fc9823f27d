"""Causal studies on WhyRec's own data (discovery + effects, per-segment effects); causal/ does the maths."""
