"""The one place that builds WhyRec's chat model: LangChain ``ChatOpenAI`` against vLLM.

Why: the agent always talks to an OpenAI-compatible vLLM server over HTTP -- SmolLM2-135M
on this machine's CPU by default, a larger model on vLLM's CUDA build elsewhere -- so the
only things that vary are URLs, model name and timeouts, all from ``Settings``. Several
base URLs are spread round-robin with failover (:mod:`agent.llm.failover`). A server that
is down must not hang a user's turn: connects time out after ``llm_connect_timeout_s``
(~1 s) and every connection/timeout error surfaces as :class:`LLMUnavailableError`, so
callers can degrade (template replies) instead of crashing.

Tool-calling helpers live in :mod:`agent.llm.structured` (tool mode, ``respond``, structured calls).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from pydantic import Field

from agent.llm.failover import failover_clients
from agent.settings import Settings
from tools.errors import LLMUnavailableError, is_llm_unavailable

HOW_TO_START = "start it with `whyrec llm serve --background` or point WHYREC_LLM_BASE_URLS at a running server"


@contextlib.contextmanager
def unavailable_as_error(where: str) -> Iterator[None]:
    """Re-raise connection/timeout errors from inside the block as :class:`LLMUnavailableError`."""
    try:
        yield
    except LLMUnavailableError:
        raise
    except Exception as exc:
        if not is_llm_unavailable(exc):
            raise
        raise LLMUnavailableError(
            f"LLM server {where} is unavailable ({type(exc).__name__}: {exc}); {HOW_TO_START}"
        ) from exc


class WhyRecChatOpenAI(ChatOpenAI):
    """``ChatOpenAI`` whose connection/timeout failures raise :class:`LLMUnavailableError`.

    A subclass (not a wrapper) so ``bind_tools``, ``with_structured_output`` and streaming
    behave exactly like upstream's.
    """

    base_urls: list[str] = Field(default_factory=list, exclude=True)

    def _where(self) -> str:
        return "at " + ", ".join(self.base_urls or [str(self.openai_api_base)])

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        with unavailable_as_error(self._where()):
            return super()._generate(*args, **kwargs)

    async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
        with unavailable_as_error(self._where()):
            return await super()._agenerate(*args, **kwargs)

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with unavailable_as_error(self._where()):
            yield from super()._stream(*args, **kwargs)

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        with unavailable_as_error(self._where()):
            async for chunk in super()._astream(*args, **kwargs):
                yield chunk


def _timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(settings.llm_timeout_s, connect=settings.llm_connect_timeout_s)


def build_chat_model(
    settings: Settings,
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
    base_url: str | None = None,
) -> BaseChatModel:
    """The chat model for ``settings`` (or for one explicit ``base_url``).

    With several ``settings.llm_base_urls`` requests are spread round-robin and a URL that
    refuses connections is skipped; with one URL it is a plain ``ChatOpenAI``. Nothing is
    contacted here -- call :func:`check_llm` to probe.
    """
    urls = [base_url] if base_url else list(settings.llm_base_urls)
    urls = [u.rstrip("/") for u in urls]
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"LLM base URL {url!r} must start with http:// or https://")
    timeout = _timeout(settings)
    sync_client, async_client, _rotation = failover_clients(urls, timeout)
    return WhyRecChatOpenAI(
        model=settings.llm_model,
        base_url=urls[0],
        api_key="EMPTY",
        temperature=settings.llm_temperature if temperature is None else temperature,
        max_completion_tokens=settings.llm_max_tokens if max_tokens is None else max_tokens,
        timeout=timeout,
        max_retries=settings.llm_max_retries,
        http_client=sync_client,
        http_async_client=async_client,
        base_urls=urls,
    )


def server_root(base_url: str) -> str:
    """``http://h:p/v1`` -> ``http://h:p`` (vLLM's /health lives at the root)."""
    base = base_url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def probe_url(base_url: str, *, connect_timeout_s: float = 1.0, read_timeout_s: float = 3.0) -> dict:
    """Health of one server: ``{url, healthy, models, model_info, latency_ms, error}``; never raises."""
    started = time.perf_counter()
    timeout = httpx.Timeout(read_timeout_s, connect=connect_timeout_s)
    result: dict[str, Any] = {"url": base_url, "healthy": False, "models": [], "model_info": [], "error": None}
    try:
        with httpx.Client(timeout=timeout) as client:
            health = client.get(server_root(base_url) + "/health")
            if health.status_code != 200:
                raise httpx.HTTPStatusError(
                    f"/health answered {health.status_code}", request=health.request, response=health
                )
            models = client.get(base_url.rstrip("/") + "/models")
            models.raise_for_status()
            data = models.json().get("data", [])
    except (httpx.HTTPError, ValueError) as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
    else:
        result["healthy"] = True
        result["models"] = [m.get("id") for m in data]
        result["model_info"] = data
    result["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def check_llm(settings: Settings) -> dict:
    """Probe every base URL; raise :class:`LLMUnavailableError` (within ~1 s per URL) if none serves.

    Returns ``{healthy, model, urls: [probe...], healthy_urls, model_info}`` where
    ``model_info`` is the /v1/models entry of ``settings.llm_model`` (has ``max_model_len``,
    ``root``), useful for :func:`agent.llm.structured.resolve_tool_mode`.
    """
    probes = [
        probe_url(u, connect_timeout_s=settings.llm_connect_timeout_s,
                  read_timeout_s=max(2.0, settings.llm_connect_timeout_s * 3))
        for u in settings.llm_base_urls
    ]
    healthy = [p for p in probes if p["healthy"]]
    if not healthy:
        errors = "; ".join(f"{p['url']}: {p['error']}" for p in probes)
        raise LLMUnavailableError(f"no LLM server answers ({errors}); {HOW_TO_START}")
    serving = [p for p in healthy if settings.llm_model in p["models"]]
    if not serving:
        offered = sorted({m for p in healthy for m in p["models"]})
        raise LLMUnavailableError(
            f"the LLM server(s) serve {offered}, not {settings.llm_model!r}; set WHYREC_LLM_MODEL to one "
            f"of them or restart the server with `whyrec llm serve`"
        )
    info = next(m for m in serving[0]["model_info"] if m.get("id") == settings.llm_model)
    return {
        "healthy": True,
        "model": settings.llm_model,
        "urls": probes,
        "healthy_urls": [p["url"] for p in serving],
        "model_info": info,
    }
