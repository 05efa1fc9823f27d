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


class SegmentError(CausalInputError):
    """One segment's effect cannot be estimated: too few rows, or the treatment (or outcome)
    does not vary inside it.

    Why a subclass with ``segment`` and ``reason`` ("too_small", "constant_treatment",
    "constant_outcome"): a caller estimating many segments skips the ones that raise this and
    lists them with the reason, while any other bad input (unknown column, bad level) still stops it.
    """

    def __init__(self, message: str, *, segment: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.segment = segment
        self.reason = reason


class ColumnError(CausalInputError):
    """A specific column is unusable; ``columns`` names it (them) and ``fix`` says what to do.

    Why a subclass: callers that show a table (the CLI, the UI) can point at the column
    instead of parsing the message; everyone else still sees a ``ValueError`` whose text
    names the column and the fix. ``reason`` is a short code (``"text_in_numbers"``,
    ``"free_text"``, ``"empty"``, ``"missing"``, ``"constant"``, ``"copy"``) for callers that
    treat some problems differently (a loader may skip a free-text column but not a broken one).
    """

    def __init__(self, columns: str | tuple[str, ...] | list[str], problem: str, fix: str, *, reason: str = "") -> None:
        cols = (columns,) if isinstance(columns, str) else tuple(columns)
        self.columns, self.problem, self.fix, self.reason = cols, problem, fix, reason
        # "column(s) a, b <problem>": the wording as_table has always used (callers match on it)
        super().__init__(f"column(s) {', '.join(cols)} {problem}; fix: {fix}")
