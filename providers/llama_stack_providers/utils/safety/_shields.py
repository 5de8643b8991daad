"""The shields a safety provider serves, as the registry handed them over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from llama_stack_api import InvalidRequestError, Shield, current_resource

P = TypeVar("P", bound=BaseModel)


class ShieldDirectory(Generic[P]):
    """Shield params, validated at registration and read back for each call.

    A routed call reads the params of the shield being served
    (``current_resource()``: several shields may share one guard model, each
    with its own params); a direct call by provider id falls back to what
    ``check_shield`` saw last. Per-call params override either.
    """

    def __init__(self, params_class: type[P], defaults: Callable[[], dict[str, Any]]) -> None:
        self._params_class = params_class
        self._defaults = defaults
        self._params: dict[str, P] = {}

    def check(self, shield: Shield) -> Shield:
        self._params[shield.provider_key] = self._validate(
            shield.params or {}, f"shield {shield.identifier!r}"
        )
        return shield

    def params(self, shield_id: str, overrides: dict[str, Any] | None = None) -> P:
        resource = current_resource()
        if isinstance(resource, Shield) and resource.provider_key == shield_id:
            # the shield being served, as registered (several shields may share one provider id)
            base = self._validate(resource.params or {}, f"shield {resource.identifier!r}")
        else:
            base = self._params.get(shield_id) or self._validate({}, f"shield {shield_id!r}")
        if not overrides:
            return base
        merged = {**base.model_dump(exclude_unset=True), **overrides}
        return self._validate(merged, "params")

    def _validate(self, params: dict[str, Any], what: str) -> P:
        try:
            return self._params_class.model_validate({**self._defaults(), **params})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidRequestError(f"{what}: invalid params: {problems}", param="params") from None


class ShieldProvider(Generic[P]):
    """Base of the safety providers: the shields they serve, with params validated at registration."""

    def __init__(self, params_class: type[P], defaults: Callable[[], dict[str, Any]]) -> None:
        self.shields: ShieldDirectory[P] = ShieldDirectory(params_class, defaults)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def check_shield(self, shield: Shield) -> Shield:
        return self.shields.check(shield)
