"""Errors of the causal layer.

Why its own module: ``causal/`` is a pure library that imports nothing of WhyRec's, so it
cannot raise ``tools.errors`` types. ``CausalInputError`` subclasses ``ValueError`` so every
caller that already turns ``ValueError`` into a friendly message (the CLI, the agent's tool
wrappers) handles it without knowing this package.
"""

from __future__ import annotations


class CausalError(Exception):
    """Base class of every error raised on purpose by ``causal``."""


class CausalInputError(CausalError, ValueError):
    """Bad input: the message says what is wrong and how to fix it."""


class NotIdentifiableError(CausalError):
    """The graph does not identify the requested effect by covariate adjustment."""
