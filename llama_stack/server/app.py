"""The FastAPI application, generated from the contract for the APIs a stack serves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from llama_stack_api import Principal, api_spec, protocol_methods

from .. import __version__
from ..config import ServerConfig
from ..stack import Stack, served_paths
from ._endpoints import make_endpoint
from ._errors import error_response, route_not_found
from ._middleware import BodyLimitMiddleware, RequestContextMiddleware


def create_app(stack: Stack, server: ServerConfig, *, owns_stack: bool = True) -> FastAPI:
    """An app serving ``stack``; with ``owns_stack`` the stack is shut down with the app."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owns_stack:
                await stack.shutdown()

    app = FastAPI(
        title="Llama Stack",
        version=__version__,
        lifespan=lifespan,
        openapi_url=None,  # the contract's spec is served instead, see below
        docs_url=None,
        redoc_url=None,
    )
    timeout_s = server.limits.request_timeout_s
    for api, impl in stack.impls.items():
        for spec in protocol_methods(api_spec(api).protocol):
            for route in spec.routes:
                endpoint = make_endpoint(impl, spec, route, timeout_s)
                # HEAD with every GET: load balancers probe /v1/health that way
                methods: list[str] = [route.method, "HEAD"] if route.method == "GET" else [route.method]
                for path in served_paths(route.path, route.openai):
                    # a plain Starlette route: our endpoints parse and validate themselves, so FastAPI's
                    # dependency machinery would only add per-request cost (bench/gateway.py)
                    app.router.routes.append(Route(path, endpoint, methods=methods))

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        from ..openapi import generate_openapi

        return JSONResponse(generate_openapi(stack.served_apis))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return route_not_found(request.method, request.url.path)
        if exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            return route_not_found(
                request.method, request.url.path, [a.strip() for a in allowed.split(",") if a]
            )
        return JSONResponse(
            {"error": {"message": str(exc.detail), "type": "api_error", "param": None, "code": None}},
            status_code=exc.status_code,
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> Response:
        return error_response(exc)

    api_keys: dict[str, Principal] = {
        k.key.get_secret_value(): Principal(name=k.principal, attributes=dict(k.attributes))
        for k in (server.auth.api_keys if server.auth else [])
    }
    app.add_middleware(RequestContextMiddleware, api_keys=api_keys)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=server.limits.max_request_body_bytes,
        max_upload_bytes=server.limits.max_upload_bytes,
    )
    app.state.stack = stack
    return app


def app_summary(stack: Stack) -> list[tuple[str, str, str]]:
    """(api, provider_id, provider_type) rows for the startup banner."""
    rows: list[tuple[str, str, str]] = []
    for instance in stack.instances:
        request = instance.request
        rows.append((request.api.value, request.provider_id, request.spec.provider_type))
    framework: list[Any] = [api for api in stack.impls if api_spec(api).framework]
    rows.extend((api.value, "-", "framework") for api in framework)
    return rows
