"""WhyRec causal layer: discovery, background knowledge, effects, pictures, synthetic truths.

A pure library: it imports nothing of WhyRec's and is the only package that imports
causal-learn. Heavy imports (causal-learn, matplotlib) happen inside functions.
"""

from causal.background import Background
from causal.discovery import METHODS, discover
from causal.effects import EffectEstimate, Estimate, estimate_effect
from causal.errors import CausalError, CausalInputError, ColumnError, NotIdentifiableError
from causal.graph import CausalEdge, CausalGraph
from causal.priors import PriorsResult, ProposedEdge, discover_with_priors

__all__ = [
    "METHODS",
    "Background",
    "CausalEdge",
    "CausalError",
    "CausalGraph",
    "CausalInputError",
    "ColumnError",
    "EffectEstimate",
    "Estimate",
    "NotIdentifiableError",
    "PriorsResult",
    "ProposedEdge",
    "discover",
    "discover_with_priors",
    "estimate_effect",
]
