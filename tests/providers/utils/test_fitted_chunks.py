"""``auto`` chunking fitted to the embedding model's context (see bench/chunking.py for why)."""

from __future__ import annotations

from typing import Any

import pytest

from llama_stack_api import Model, ModelType, Resource, ResourceType
from llama_stack_providers.utils.memory.ingest.fitted_chunks import auto_chunking


class Registry:
    """Just enough of the stack's registry: models by id."""

    def __init__(self, **contexts: Any) -> None:
        self.models = {
            name: Model(
                identifier=name,
                provider_id="p",
                model_type=ModelType.embedding,
                metadata={"embedding_dimension": 8, **({"context_length": c} if c is not None else {})},
            )
            for name, c in contexts.items()
        }

    def find(self, resource_type: ResourceType, identifier: str) -> Resource | None:
        return self.models.get(identifier) if resource_type == ResourceType.model else None

    def ids(self, resource_type: ResourceType) -> list[str]:
        return sorted(self.models)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("minilm", (204, 51)),  # 256 word pieces: 80 % of them, a quarter of that overlapping
        ("bge", (409, 102)),  # 512
        ("long", (800, 400)),  # 8192: OpenAI's auto
        ("tiny", (100, 25)),  # 32: never below 100 tokens, the smallest static chunk
        ("silent", (800, 400)),  # no context_length declared
        ("unknown", (800, 400)),  # not registered
    ],
)
def test_auto_fits_the_model(model: str, expected: tuple[int, int]) -> None:
    registry = Registry(minilm=256, bge=512, long=8192, tiny=32, silent=None)
    assert auto_chunking(registry, model) == expected


def test_without_a_registry_auto_is_openais() -> None:
    assert auto_chunking(None, "minilm") == (800, 400)
