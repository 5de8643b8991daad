"""An aiohttp client for the Tavily Search API (``POST /search``)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from llama_stack_api import LlamaStackError, RateLimitError
from llama_stack_providers.utils.inference.http_errors import UpstreamFailure, default_error, invalid_response
from llama_stack_providers.utils.web_search import (
    SearchHit,
    SearchResults,
    check_search_args,
    credential_error,
    require_api_key,
    search_backend,
)

TAVILY_LABEL = "Tavily"
TAVILY_MAX_RESULTS = 20  # the API's limit on max_results
SEARCH_PATH = "/search"
# Tavily's own statuses: 432 the plan's credits are spent, 433 the pay-as-you-go limit is reached
_USAGE_LIMIT_STATUSES = (432, 433)


def _unwrap_detail(failure: UpstreamFailure) -> UpstreamFailure:
    """Tavily's errors are ``{"detail": {"error": "..."}}``; keep just the text."""
    try:
        detail: Any = json.loads(failure.message)
    except ValueError:
        return failure
    if isinstance(detail, dict) and isinstance(detail.get("error"), str):
        return replace(failure, message=detail["error"])
    return failure


def _tavily_error(failure: UpstreamFailure) -> LlamaStackError:
    failure = _unwrap_detail(failure)
    if failure.status == 401:
        return credential_error(failure)
    if failure.status == 403:
        return credential_error(failure, permission=True)
    if failure.status in _USAGE_LIMIT_STATUSES:
        return RateLimitError(
            f"{failure.where} refused the search: the account's usage limit is reached "
            f"(HTTP {failure.status}: {failure.message})",
            code="usage_limit_exceeded",
            retriable=False,  # waiting does not help until the plan or limit changes
        )
    return default_error(failure)


class TavilySearchClient:
    """``POST /search`` with ``Authorization: Bearer <key>``; one pooled session, opened on first use.

    Tavily's current API takes the key in the header only; its older API took an
    ``api_key`` field in the body, which this client does not send (the key then
    stays out of request bodies and any logs of them). ``timeout_s`` bounds
    connecting and each wait for bytes of the answer.
    """

    def __init__(
        self, api_key: str, *, base_url: str = "https://api.tavily.com", timeout_s: float = 15.0
    ) -> None:
        self._api_key = api_key
        self._backend = search_backend(TAVILY_LABEL, base_url, timeout_s, _tavily_error)

    async def search(self, query: str, *, top_k: int = 3, include_answer: bool = False) -> SearchResults:
        """The first ``top_k`` results for ``query`` (at most 20), and Tavily's answer if asked for."""
        query = check_search_args(query, top_k, TAVILY_MAX_RESULTS)
        require_api_key(TAVILY_LABEL, self._api_key)
        await self._backend.start()
        body = {
            "query": query,
            "max_results": top_k,
            "include_answer": include_answer,
            "search_depth": "basic",
        }
        raw = await self._backend.request(
            "POST",
            SEARCH_PATH,
            body=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self._api_key}"},
            secrets=(self._api_key,),
        )
        url = self._backend.url(SEARCH_PATH)
        try:
            data = json.loads(raw)
        except ValueError:
            snippet = raw[:200].decode("utf-8", errors="replace")
            raise invalid_response(TAVILY_LABEL, url, f"not JSON: {snippet!r}", (self._api_key,)) from None
        if not isinstance(data, dict):
            raise invalid_response(TAVILY_LABEL, url, f"a JSON {type(data).__name__}, not an object")
        results = data.get("results")
        if not isinstance(results, list):
            raise invalid_response(TAVILY_LABEL, url, "no results list")
        hits = [
            SearchHit(
                title=_text(item.get("title")),
                url=item["url"],
                content=_text(item.get("content")),
                score=_score(item.get("score")),
            )
            for item in results
            if isinstance(item, dict) and isinstance(item.get("url"), str)
        ]
        answer = data.get("answer")
        return SearchResults(
            query=query,
            hits=hits[:top_k],
            answer=answer if include_answer and isinstance(answer, str) else None,
        )

    async def close(self) -> None:
        await self._backend.close()


def _score(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
