"""Round-robin with failover across several OpenAI-compatible base URLs, as httpx transports.

Why a transport and not a wrapper chat model: everything the openai SDK does (chat
completions, streaming, tool calls, structured outputs) goes through one ``send`` call,
so spreading and failing over *there* keeps every LangChain feature (``bind_tools``,
``with_structured_output``, ``stream``) working unchanged. The client is built against
the first URL; each request is rewritten onto the next URL in turn. A URL that refuses a
connection (or answers 502/503/504) is skipped for ``cooldown_s`` and the request moves
on to the next one; only when every URL failed does the last error reach the caller.
Failover happens before any response byte is read, so a stream is never duplicated.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable

import httpx

from tools.errors import UNAVAILABLE_STATUS

#: Status codes that mean "this replica cannot serve now", worth trying another one: the same set
#: that makes ``tools.errors.is_llm_unavailable`` call the model down once every replica gave it.
RETRYABLE_STATUS = frozenset(UNAVAILABLE_STATUS)


class UrlRotation:
    """Thread-safe round-robin order over base URLs, with a short penalty for failed ones."""

    def __init__(self, base_urls: Iterable[str], *, cooldown_s: float = 5.0, clock=time.monotonic) -> None:
        self.base_urls = [u.rstrip("/") for u in base_urls]
        if not self.base_urls:
            raise ValueError("UrlRotation needs at least one base URL, e.g. http://127.0.0.1:8000/v1")
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._counter = itertools.count()
        self._dead_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def order(self) -> list[str]:
        """URLs to try for the next request: healthy ones in round-robin order, then penalised."""
        start = next(self._counter) % len(self.base_urls)
        rotated = self.base_urls[start:] + self.base_urls[:start]
        now = self._clock()
        with self._lock:
            live = [u for u in rotated if self._dead_until.get(u, 0.0) <= now]
            dead = [u for u in rotated if self._dead_until.get(u, 0.0) > now]
        return live + dead

    def mark_failed(self, url: str) -> None:
        with self._lock:
            self._dead_until[url] = self._clock() + self.cooldown_s

    def mark_ok(self, url: str) -> None:
        with self._lock:
            self._dead_until.pop(url, None)

    def rewrite(self, request: httpx.Request, target_base: str) -> httpx.Request:
        """The same request sent to ``target_base`` instead of the primary base URL."""
        url = str(request.url)
        primary = self.base_urls[0]
        if target_base == primary or not url.startswith(primary):
            return request
        new_url = httpx.URL(target_base + url[len(primary):])
        headers = httpx.Headers(request.headers)
        headers["host"] = new_url.netloc.decode("ascii")
        return httpx.Request(
            request.method, new_url, headers=headers, content=request.content, extensions=request.extensions
        )


class FailoverTransport(httpx.BaseTransport):
    """Sync transport: sends each request to the next base URL, failing over on connect errors."""

    def __init__(self, rotation: UrlRotation, inner: httpx.BaseTransport | None = None) -> None:
        self.rotation = rotation
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # make the body replayable across attempts
        order = self.rotation.order()
        last_exc: Exception | None = None
        for i, base in enumerate(order):
            is_last = i == len(order) - 1
            try:
                response = self.inner.handle_request(self.rotation.rewrite(request, base))
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                self.rotation.mark_failed(base)
                last_exc = exc
                continue
            if response.status_code in RETRYABLE_STATUS and not is_last:
                response.close()
                self.rotation.mark_failed(base)
                continue
            self.rotation.mark_ok(base)
            return response
        raise last_exc or httpx.ConnectError("no base URL answered", request=request)

    def close(self) -> None:
        self.inner.close()


class AsyncFailoverTransport(httpx.AsyncBaseTransport):
    """Async twin of :class:`FailoverTransport` (shares the same rotation state)."""

    def __init__(self, rotation: UrlRotation, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.rotation = rotation
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        order = self.rotation.order()
        last_exc: Exception | None = None
        for i, base in enumerate(order):
            is_last = i == len(order) - 1
            try:
                response = await self.inner.handle_async_request(self.rotation.rewrite(request, base))
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                self.rotation.mark_failed(base)
                last_exc = exc
                continue
            if response.status_code in RETRYABLE_STATUS and not is_last:
                await response.aclose()
                self.rotation.mark_failed(base)
                continue
            self.rotation.mark_ok(base)
            return response
        raise last_exc or httpx.ConnectError("no base URL answered", request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def failover_clients(
    base_urls: list[str], timeout: httpx.Timeout, *, cooldown_s: float = 5.0
) -> tuple[httpx.Client, httpx.AsyncClient, UrlRotation]:
    """A sync and an async httpx client sharing one rotation over ``base_urls``."""
    rotation = UrlRotation(base_urls, cooldown_s=cooldown_s)
    sync = httpx.Client(transport=FailoverTransport(rotation), timeout=timeout)
    async_ = httpx.AsyncClient(transport=AsyncFailoverTransport(rotation), timeout=timeout)
    return sync, async_, rotation
