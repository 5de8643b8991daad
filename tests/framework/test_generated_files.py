"""Generated files stay in step with the contract: the OpenAPI spec and the client's typed surface."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llama_stack.client import codegen
from llama_stack.openapi import generate_openapi
from llama_stack_api import available_apis

ROOT = Path(__file__).resolve().parents[2]


def test_checked_in_openapi_matches_the_contract() -> None:
    checked_in = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert checked_in == generate_openapi(), (
        "docs/openapi.json is stale; regenerate: python -m llama_stack.openapi > docs/openapi.json"
    )


def test_client_typed_surface_matches_the_contract() -> None:
    assert codegen.TARGET.read_text() == codegen.generate(), (
        "llama_stack/client/_generated.py is stale; regenerate: python -m llama_stack.client.codegen"
    )


def test_openapi_lists_every_route_of_every_api() -> None:
    from llama_stack_api import api_spec, protocol_methods

    spec = generate_openapi()
    for api in available_apis():
        for method in protocol_methods(api_spec(api).protocol):
            for route in method.routes:
                path = route.path.replace(":path}", "}")
                assert route.method.lower() in spec["paths"][path], f"{route.method} {path} missing"


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/openai/v1/chat/completions"])
def test_streaming_routes_document_both_response_kinds(path: str) -> None:
    ok = generate_openapi()["paths"][path]["post"]["responses"]["200"]["content"]
    assert set(ok) == {"application/json", "text/event-stream"}


def test_request_bodies_reference_component_schemas_that_exist() -> None:
    spec = generate_openapi()
    components = spec["components"]["schemas"]
    refs: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                refs.add(ref.rsplit("/", 1)[-1])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    assert refs, "the spec references no schemas at all"
    assert refs <= set(components), f"dangling $refs: {sorted(refs - set(components))}"
