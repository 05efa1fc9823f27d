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
#: ("ipw", 0.0005, 1.0, 0.7) met the target at 3e96341 (long-tail R@50 +25.2% [+18.0%, +33.2%], overall
#: R@50 -0.7% [-2.6%, +1.4%]) and was served from b110615; at 5a4ba4a the same bench measured it at +18.5%
#: [+12.6%, +25.0%] on the tail for -2.4% [-4.3%, -0.4%] overall -- no weighting met the target, so the
#: bench chose the plain ranker (R@10/R@50 .214/.427 against the blend's .213/.417). The blend also put
#: films almost no one mentions before the well-known ones a movie lover expects ("I loved Alien but
#: hated Prometheus": Creature and Night of the Creeps, 1 and 2 ReDial mentions, before The Thing).
#: The weightings stay options of ``whyrec train ranker --weighting``.
SERVED_WEIGHTING: tuple[str, float | None, float, float | None] = ("none", None, 1.0, None)
