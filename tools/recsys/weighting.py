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
#: ("ipw", 0.0005, 1.0, 0.7): at 3e96341 it met the target (long-tail R@50 +25.2% [+18.0%, +33.2%],
#: overall R@50 -0.7% [-2.6%, +1.4%]) and had the best long tail inside the band
SERVED_WEIGHTING: tuple[str, float | None, float, float | None] = ("ipw", 0.0005, 1.0, 0.7)
