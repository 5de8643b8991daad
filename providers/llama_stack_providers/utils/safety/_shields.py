"""The shields a safety provider serves, as the registry handed them over."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from llama_stack_api import InvalidRequestError, Shield

P = TypeVar("P", bound=BaseModel)


class ShieldDirectory(Generic[P]):
    """Shield params by the provider's id for the shield, validated once at registration.

    The registry calls ``check_shield`` for every shield a provider serves (at
    registration and at each startup), so the provider knows each shield's
    params when ``run_shield`` names it. Per-call params override them.
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
        base = self._params.get(shield_id)
        if base is None:
            base = self._validate({}, f"shield {shield_id!r}")
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
