"""Checks of the model and shield names a request gives, against the stack's registry, before any work."""

from __future__ import annotations

from llama_stack_api import InvalidRequestError, NotFoundError, ResourceType
from llama_stack_api.plugins import ResourceLookup


class NameCheck:
    """``resources`` is ``None`` outside a stack (unit tests): then nothing is checked here and an unknown
    name fails where it is used."""

    def __init__(self, resources: ResourceLookup | None) -> None:
        self.resources = resources

    def model(self, model: str, param: str, *, bad_request: bool) -> None:
        """An LLM registered under ``model``; raises ``InvalidRequestError`` (in a config) or
        ``NotFoundError`` (as a request's routing key) naming the registered LLMs."""
        if self.resources is None:
            return
        found = self.resources.find(ResourceType.model, model)
        if found is not None and getattr(found, "model_type", "llm") == "llm":
            return
        llms = [
            m
            for m in self.resources.ids(ResourceType.model)
            if getattr(self.resources.find(ResourceType.model, m), "model_type", "") == "llm"
        ]
        problem = "is not a language model" if found is not None else "is not registered"
        message = f"model {model!r} {problem}; registered language models: {', '.join(llms) or 'none'}"
        if bad_request:
            raise InvalidRequestError(message, param=param)
        raise NotFoundError(message, param=param)

    def shields(self, shields: list[str], param: str) -> None:
        if self.resources is None:
            return
        for shield in shields:
            if self.resources.find(ResourceType.shield, shield) is None:
                known = ", ".join(self.resources.ids(ResourceType.shield)) or "none"
                raise InvalidRequestError(
                    f"shield {shield!r} is not registered; registered shields: {known}", param=param
                )
