"""The WhyRec error hierarchy.

Why a hierarchy: callers (the agent loop, the CLI, the UI) decide how to react by
*kind* of failure -- show the user a friendly line, send the message back to the LLM
as a tool message, or switch to degraded mode -- without string-matching messages.
Every message says what went wrong *and how to fix it*.

``causal/`` sits below this package and keeps its own ``causal.errors``; its
``CausalInputError`` is also a ``ValueError`` so callers can treat both alike.
"""

from __future__ import annotations


class WhyRecError(Exception):
    """Base class for every error WhyRec raises on purpose."""


class InputError(WhyRecError, ValueError):
    """Bad input from a user, a file or a caller; the message says how to fix it."""


class DataError(WhyRecError):
    """A data file or store is missing, malformed or inconsistent."""


class NotFoundError(WhyRecError, LookupError):
    """An id (item, session, rec_id, user) that does not exist."""


class IndexMismatchError(DataError):
    """The vector index was built with another embedding model or catalog version."""


class ModelNotReadyError(DataError):
    """A model/checkpoint/index that must be prepared first (the message names the command)."""


class LLMUnavailableError(WhyRecError):
    """The LLM server cannot be reached or timed out; callers degrade instead of failing."""


class StoreError(WhyRecError):
    """The store could not be written or read (read-only dir, disk full, integrity)."""


class AccessDeniedError(WhyRecError, PermissionError):
    """The caller may not see or change this (another user's data, support-only queries)."""


class RateLimitedError(WhyRecError):
    """Too many requests for one session in a short time."""


#: HTTP statuses that mean "the server is there but cannot serve now" (gateway, overload, restart)
UNAVAILABLE_STATUS = (502, 503, 504)


def is_llm_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means "the LLM server cannot be reached / did not answer in time".

    Why one function: the planner (agent/) and the explainer (tools/) must agree on when the model
    is down, or one of them keeps waiting on a server the other has given up on.
    """
    if isinstance(exc, LLMUnavailableError | ConnectionError | TimeoutError):
        return True
    import httpx
    import openai

    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError) and exc.status_code in UNAVAILABLE_STATUS:
        return True
    return isinstance(exc, httpx.TransportError)
