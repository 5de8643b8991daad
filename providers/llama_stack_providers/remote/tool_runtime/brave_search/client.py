"""An aiohttp client for the Brave Search web API."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urlencode

from llama_stack_api import (
    LlamaStackError,
)
from llama_stack_providers.utils.inference.http_errors import UpstreamFailure, default_error, invalid_response
from llama_stack_providers.utils.web_search import (
    SearchHit,
    SearchResults,
    check_search_args,
    credential_error,
    require_api_key,
    search_backend,
)

BRAVE_LABEL = "Brave Search"
BRAVE_MAX_COUNT = 20  # the API refuses count > 20
SEARCH_PATH = "/res/v1/web/search"
_TAG = re.compile(r"<[^>]+>")


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
        self._backend = search_backend(BRAVE_LABEL, base_url, timeout_s, _brave_error)

    async def search(self, query: str, *, top_k: int = 3) -> SearchResults:
        """The first ``top_k`` web results for ``query`` (at most 20)."""
        query = check_search_args(query, top_k, BRAVE_MAX_COUNT)
        require_api_key(BRAVE_LABEL, self._api_key)
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
