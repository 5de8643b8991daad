"""An aiohttp client for the Brave Search web API, plus the search result types both web search tools share."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from llama_stack_api import (
    AuthenticationError,
    InvalidRequestError,
    LlamaStackError,
    PermissionDeniedError,
)
from llama_stack_providers.utils.inference.http_backend import HTTPBackend
from llama_stack_providers.utils.inference.http_errors import UpstreamFailure, default_error, invalid_response
from llama_stack_providers.utils.inference.remote_config import RemoteHTTPConfig

BRAVE_LABEL = "Brave Search"
BRAVE_MAX_COUNT = 20  # the API refuses count > 20
SEARCH_PATH = "/res/v1/web/search"
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class SearchHit:
    """One web page a search returned."""

    title: str
    url: str
    content: str  # the snippet, as plain text
    score: float | None = None  # relevance, where the service gives one (Tavily)


@dataclass(frozen=True)
class SearchResults:
    """What one search returned, best hit first."""

    query: str
    hits: list[SearchHit]
    answer: str | None = None  # a generated short answer (Tavily with include_answer)


def format_results(results: SearchResults) -> str:
    """The tool result an LLM reads: JSON ``{"query", "top_k": [{title, url, content, score?}], "answer"?}``.

    The shape of Llama Stack's ``builtin::websearch`` output, so prompts written for it keep working.
    """
    top_k: list[dict[str, Any]] = []
    for hit in results.hits:
        item: dict[str, Any] = {"title": hit.title, "url": hit.url, "content": hit.content}
        if hit.score is not None:
            item["score"] = hit.score
        top_k.append(item)
    payload: dict[str, Any] = {"query": results.query, "top_k": top_k}
    if results.answer is not None:
        payload["answer"] = results.answer
    return json.dumps(payload, ensure_ascii=False)


def check_search_args(query: str, top_k: int, max_results: int) -> str:
    """The query, stripped; an empty query or a ``top_k`` out of ``1..max_results`` is refused."""
    if not isinstance(query, str) or not query.strip():
        raise InvalidRequestError("the search query is empty", param="query", code="empty_query")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= max_results:
        raise InvalidRequestError(
            f"top_k must be an integer from 1 to {max_results}, got {top_k!r}", param="top_k"
        )
    return query.strip()


def credential_error(failure: UpstreamFailure, *, permission: bool = False) -> LlamaStackError:
    """The service refused the API key; the message never quotes the key or the service's words about it."""
    cls = PermissionDeniedError if permission else AuthenticationError
    return cls(
        f"{failure.where} refused the API key (HTTP {failure.status}); check the search provider's api_key "
        "in its config or in the X-LlamaStack-Provider-Data header",
        code="search_credentials_refused",
        retriable=False,  # every retry would be refused the same way
    )


def text_of(value: Any) -> str:
    """A snippet as plain text: HTML tags dropped (Brave marks matches with ``<strong>``), entities decoded."""
    if not isinstance(value, str):
        return ""
    return " ".join(html.unescape(_TAG.sub("", value)).split())


def _brave_error(failure: UpstreamFailure) -> LlamaStackError:
    # Brave answers a bad or missing token with 422 and code SUBSCRIPTION_TOKEN_INVALID, not 401
    code = (failure.code or "").upper()
    if failure.status == 401 or "SUBSCRIPTION_TOKEN" in code:
        return credential_error(failure)
    if failure.status == 403:
        return credential_error(failure, permission=True)
    return default_error(failure)


class BraveSearchClient:
    """``GET /res/v1/web/search`` with ``X-Subscription-Token``; one pooled session, opened on first use.

    ``timeout_s`` bounds connecting and each wait for bytes of the answer.
    """

    def __init__(
        self, api_key: str, *, base_url: str = "https://api.search.brave.com", timeout_s: float = 15.0
    ) -> None:
        self._api_key = api_key
        self._backend = HTTPBackend(
            label=BRAVE_LABEL,
            base_url=base_url,
            config=RemoteHTTPConfig(
                connect_timeout_s=timeout_s, read_timeout_s=timeout_s, max_connections=16
            ),
            map_error=_brave_error,
        )

    async def search(self, query: str, *, top_k: int = 3) -> SearchResults:
        """The first ``top_k`` web results for ``query`` (at most 20)."""
        query = check_search_args(query, top_k, BRAVE_MAX_COUNT)
        if not self._api_key:
            raise AuthenticationError(
                f"{BRAVE_LABEL}: no API key configured", code="search_credentials_missing", retriable=False
            )
        await self._backend.start()
        path = f"{SEARCH_PATH}?{urlencode({'q': query, 'count': top_k})}"
        raw = await self._backend.request(
            "GET",
            path,
            headers={"X-Subscription-Token": self._api_key, "Accept": "application/json"},
            secrets=(self._api_key,),
        )
        url = self._backend.url(SEARCH_PATH)
        try:
            data = json.loads(raw)
        except ValueError:
            snippet = raw[:200].decode("utf-8", errors="replace")
            raise invalid_response(BRAVE_LABEL, url, f"not JSON: {snippet!r}", (self._api_key,)) from None
        if not isinstance(data, dict):
            raise invalid_response(BRAVE_LABEL, url, f"a JSON {type(data).__name__}, not an object")
        web = data.get("web")  # absent when Brave found no web results
        results = web.get("results") if isinstance(web, dict) else None
        if web is not None and not isinstance(results, list | None):
            raise invalid_response(BRAVE_LABEL, url, "web.results is not a list")
        hits = [
            SearchHit(
                title=text_of(item.get("title")),
                url=item["url"],
                content=text_of(item.get("description")),
            )
            for item in results or []
            if isinstance(item, dict) and isinstance(item.get("url"), str)
        ]
        return SearchResults(query=query, hits=hits[:top_k])

    async def close(self) -> None:
        await self._backend.close()
