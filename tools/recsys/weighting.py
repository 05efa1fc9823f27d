"""How the ranker's training rows may be weighted, and which way the served ranker is trained.

Why a module of constants: the command line (``whyrec train ranker``), the training code and
the benchmark that chooses (``evals/bench_debias.py``) must name the same default, and the
command line should not import the causal machinery just to print ``--help``.
"""

from __future__ import annotations

#: none | ipw (clipped inverse exposure propensity) | snips (self-normalised); see tools.recsys.debias
WEIGHTINGS = ("none", "ipw", "snips")
#: (weighting, propensity clip, power, blend share: None = the weighted model alone) that ``whyrec train ranker`` uses unless told otherwise: the
#: variant ``evals/bench_debias.py`` chose on the full validation split (its report says whether this
#: still agrees with the measurement)
SERVED_WEIGHTING: tuple[str, float | None, float, float | None] = ("none", None, 1.0, None)
