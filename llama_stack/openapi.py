"""OpenAPI 3.1 spec generated from the contract (``python -m llama_stack.openapi > docs/openapi.json``)."""

from __future__ import annotations

import json
import sys
from typing import Any

from pydantic import TypeAdapter

from llama_stack_api import Api, MethodSpec, RouteSpec, api_spec, available_apis, protocol_methods

from . import __version__
from .binding import arguments_model, returns_binary, wire_shape
from .stack import served_paths

_REF = "#/components/schemas/{model}"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}


class _Schemas:
    """Collects component schemas; each type's ``$defs`` move to ``components.schemas``."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {"ErrorResponse": ERROR_SCHEMA}

    def of(self, annotation: Any, mode: str = "serialization") -> dict[str, Any]:
        schema = TypeAdapter(annotation).json_schema(ref_template=_REF, mode=mode)  # type: ignore[arg-type]
        self.components.update(schema.pop("$defs", {}))
        return schema


def generate_openapi(apis: list[Api] | None = None) -> dict[str, Any]:
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for api in apis if apis is not None else available_apis():
        for spec in protocol_methods(api_spec(api).protocol):
            for route in spec.routes:
                operation = _operation(api, spec, route, schemas)
                for path in served_paths(route.path, route.openai):
                    op = dict(operation)
                    if path != route.path:
                        op["operationId"] = f"{operation['operationId']}_openai_v1"
                        op["deprecated"] = True
                    paths.setdefault(path.replace(":path}", "}"), {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Llama Stack", "version": __version__},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.components.items()))},
    }


def _operation(api: Api, spec: MethodSpec, route: RouteSpec, schemas: _Schemas) -> dict[str, Any]:
    shape = wire_shape(spec, route)
    arguments = schemas.of(arguments_model(spec), mode="validation")
    properties: dict[str, Any] = arguments.get("properties", {})
    required = set(arguments.get("required", []))
    operation: dict[str, Any] = {
        "operationId": f"{api.value}_{spec.name}",
        "tags": [api.value],
        "summary": route.summary or (spec.function.__doc__ or "").strip().split("\n")[0],
        "parameters": [
            {"name": n, "in": "path", "required": True, "schema": properties.get(n, {"type": "string"})}
            for n in shape.path_params
        ]
        + [
            {"name": n, "in": "query", "required": n in required, "schema": properties.get(n, {})}
            for n in shape.query_params
        ],
    }
    if route.deprecated:
        operation["deprecated"] = True
    if shape.body_params or shape.collects_extra:
        body = {
            "type": "object",
            "properties": {n: properties[n] for n in shape.body_params if n in properties},
            "required": sorted(n for n in shape.body_params if n in required),
            "additionalProperties": shape.collects_extra,
        }
        media = "multipart/form-data" if shape.multipart else "application/json"
        operation["requestBody"] = {"required": bool(body["required"]), "content": {media: {"schema": body}}}
    plain, chunk = spec.response_types()
    content: dict[str, Any] = {}
    if returns_binary(spec):
        content["application/octet-stream"] = {"schema": {"type": "string", "format": "binary"}}
    elif plain is not None and plain is not type(None):
        content["application/json"] = {"schema": schemas.of(plain)}
    if chunk is not None:
        content["text/event-stream"] = {"schema": schemas.of(chunk)}
    ok: dict[str, Any] = {"description": "OK"}
    if content:
        ok["content"] = content
    error = {
        "description": "Error",
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorResponse")}}},
    }
    operation["responses"] = {str(route.status_code): ok, "default": error}
    return operation


def main() -> None:
    json.dump(generate_openapi(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
