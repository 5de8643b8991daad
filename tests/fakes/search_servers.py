"""FAKE Brave Search and Tavily servers: Starlette apps answering in each API's documented shapes.

Serve them with ``tests.fakes.http_server.serve_asgi``. What they reproduce:

Brave ``GET /res/v1/web/search?q=&count=``: the ``X-Subscription-Token`` check
(a wrong or missing token gets Brave's 422 ``SUBSCRIPTION_TOKEN_INVALID``),
``{"type": "search", "query": {...}, "web": {"type": "search", "results": [...]}}``
with ``<strong>`` marking the query in titles and descriptions, and no ``web``
key at all when nothing matches (a query containing ``nothing``).

Tavily ``POST /search``: the ``Authorization: Bearer`` check (401
``{"detail": {"error": ...}}``), ``{"query", "answer", "results": [{"title",
"url", "content", "score", "raw_content"}], "response_time", ...}`` with
``answer`` only when ``include_answer`` is true.

Set ``fault`` to fail on purpose: ``"401"``, ``"429"`` (with Retry-After),
``"500"``, ``"malformed"`` (200 with a truncated JSON body). Every request's
headers (lower-cased) and query or body land in ``requests``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BRAVE_KEY = "brave-key-DO-NOT-ECHO-31"
TAVILY_KEY = "tvly-key-DO-NOT-ECHO-57"
CORPUS_SIZE = 8
MALFORMED = b'{"web": {"results": [{"title": "cut off'


@dataclass
class Recorded:
    """One request the fake received."""

    headers: dict[str, str]
    params: dict[str, Any]  # Brave: the query string; Tavily: the JSON body


@dataclass
class _FakeSearch:
    api_key: str
    fault: str | None = None
    requests: list[Recorded] = field(default_factory=list)

    def reset(self) -> None:
        self.fault = None
        self.requests.clear()

    def _fault(self) -> Response | None:
        if self.fault == "401":
            return JSONResponse(self._auth_error_body(), status_code=401)
        if self.fault == "429":
            return JSONResponse(self._rate_limit_body(), status_code=429, headers={"Retry-After": "3"})
        if self.fault == "500":
            return Response("Internal Server Error", status_code=500, media_type="text/plain")
        if self.fault == "malformed":
            return Response(MALFORMED, media_type="application/json")
        return None

    def _auth_error_body(self) -> dict[str, Any]:
        raise NotImplementedError

    def _rate_limit_body(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass
class FakeBrave(_FakeSearch):
    """State of one fake Brave Search API; ``app`` is what to serve."""

    api_key: str = BRAVE_KEY

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/res/v1/web/search", self.search, methods=["GET"])])

    async def search(self, request: Request) -> Response:
        params = dict(request.query_params)
        self.requests.append(Recorded(dict(request.headers), params))
        if request.headers.get("x-subscription-token") != self.api_key:
            return JSONResponse(self._auth_error_body(), status_code=422)
        if faulty := self._fault():
            return faulty
        query = params.get("q", "")
        if not query:
            return JSONResponse(
                _brave_error(422, "VALIDATION", "Unable to validate request parameter(s)"), 422
            )
        count = int(params.get("count", "20"))
        body: dict[str, Any] = {
            "type": "search",
            "query": {"original": query, "altered": None, "more_results_available": True},
            "mixed": {"type": "mixed", "main": [], "top": [], "side": []},
        }
        if "nothing" not in query:
            body["web"] = {
                "type": "search",
                "family_friendly": True,
                "results": [
                    {
                        "type": "search_result",
                        "title": f"<strong>{query}</strong> &amp; more, page {i}",
                        "url": f"https://example.com/{i}",
                        "is_source_local": False,
                        "description": f"All about <strong>{query}</strong> on page {i}.",
                        "page_age": "2024-05-01T00:00:00",
                        "profile": {"name": "Example", "url": f"https://example.com/{i}"},
                        "language": "en",
                        "extra_snippets": [f"more about {query}"],
                    }
                    for i in range(min(count, CORPUS_SIZE))
                ],
            }
        return JSONResponse(body)

    def _auth_error_body(self) -> dict[str, Any]:
        return _brave_error(
            401 if self.fault == "401" else 422,
            "SUBSCRIPTION_TOKEN_INVALID",
            "The provided subscription token is invalid.",
        )

    def _rate_limit_body(self) -> dict[str, Any]:
        return _brave_error(429, "RATE_LIMITED", "Request rate limit exceeded for plan.")


def _brave_error(status: int, code: str, detail: str) -> dict[str, Any]:
    return {
        "type": "ErrorResponse",
        "error": {"id": "3b7a1c9e", "status": status, "code": code, "detail": detail, "meta": {}},
        "time": 1714521600,
    }


@dataclass
class FakeTavily(_FakeSearch):
    """State of one fake Tavily Search API; ``app`` is what to serve."""

    api_key: str = TAVILY_KEY

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/search", self.search, methods=["POST"])])

    async def search(self, request: Request) -> Response:
        raw = await request.body()
        body: dict[str, Any] = json.loads(raw) if raw else {}
        self.requests.append(Recorded(dict(request.headers), body))
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse(self._auth_error_body(), status_code=401)
        if faulty := self._fault():
            return faulty
        query = body.get("query", "")
        if len(query) < 2:
            return JSONResponse(
                {"detail": {"error": "Query is too short. Min query length is 2 characters."}}, 400
            )
        count = int(body.get("max_results", 5))
        answer = f"The short answer about {query}." if body.get("include_answer") else None
        return JSONResponse(
            {
                "query": query,
                "follow_up_questions": None,
                "answer": answer,
                "images": [],
                "results": [
                    {
                        "title": f"{query}, page {i}",
                        "url": f"https://example.org/{i}",
                        "content": f"Everything on {query}, part {i}.",
                        "score": round(0.9 - i * 0.1, 2),
                        "raw_content": None,
                    }
                    for i in range(min(count, CORPUS_SIZE))
                ],
                "response_time": 0.42,
            }
        )

    def _auth_error_body(self) -> dict[str, Any]:
        return {"detail": {"error": "Unauthorized: missing or invalid API key."}}

    def _rate_limit_body(self) -> dict[str, Any]:
        return {"detail": {"error": "Your request has been blocked due to excessive requests."}}
