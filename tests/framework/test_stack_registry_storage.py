"""The resource registry persists through the configured kv store: SQLite files and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llama_stack.config import parse_stack_config
from llama_stack.plugins import discover
from llama_stack.stack import start_stack
from llama_stack_api import Api, NotFoundError
from llama_stack_api.inference import UserMessage
from tests.fakes import plugin as fake_plugin


def _config(kvstore: dict[str, Any], models: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": 2,
        "name": "registry-test",
        "apis": ["inference", "models", "inspect", "providers"],
        "providers": {"inference": [{"provider_id": "fake", "provider_type": "inline::fake", "config": {}}]},
        "storage": {"kvstore": kvstore},
        "models": models,
    }


async def _restart_keeps_user_models_and_drops_removed_declared_ones(kvstore: dict[str, Any]) -> None:
    registry = discover([fake_plugin])
    declared = [{"model_id": "declared", "provider_id": "fake", "provider_model_id": "fake-llm"}]

    stack = await start_stack(parse_stack_config(_config(kvstore, declared), registry))
    try:
        models = stack.impls[Api.models]
        await models.register_model("mine", provider_model_id="fake-llm", aliases=["m"])
        assert (await models.get_model("declared")).provider_resource_id == "fake-llm"
    finally:
        await stack.shutdown()

    # second start: the YAML no longer declares `declared`
    stack = await start_stack(parse_stack_config(_config(kvstore, []), registry))
    try:
        models = stack.impls[Api.models]
        assert (await models.get_model("m")).identifier == "mine"
        with pytest.raises(NotFoundError, match="'declared' is not registered"):
            await models.get_model("declared")
        ids = [m.identifier for m in (await models.list_models()).data]
        assert ids == ["fake-embed", "fake-llm", "mine"]  # discovered + user-registered
    finally:
        await stack.shutdown()


async def test_registry_persists_in_sqlite(tmp_path: Path) -> None:
    await _restart_keeps_user_models_and_drops_removed_declared_ones(
        {"type": "sqlite", "db_path": str(tmp_path / "kv.db")}
    )


@pytest.mark.postgres
async def test_registry_persists_in_postgres(postgres_dsn: str) -> None:
    await _restart_keeps_user_models_and_drops_removed_declared_ones(
        {"type": "postgres", "dsn": postgres_dsn}
    )


async def test_shields_persist_with_their_params_and_declared_ones_follow_the_file(tmp_path: Path) -> None:
    registry = discover([fake_plugin])
    kvstore = {"type": "sqlite", "db_path": str(tmp_path / "kv.db")}

    def config(shields: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "version": 2,
            "name": "shields-test",
            "apis": ["inference", "models", "safety", "shields"],
            "providers": {
                "inference": [
                    {
                        "provider_id": "fake",
                        "provider_type": "inline::fake",
                        "config": {"guard_models": ["lg"]},
                    }
                ],
                "safety": [{"provider_id": "guard", "provider_type": "inline::llama-guard", "config": {}}],
            },
            "storage": {"kvstore": kvstore},
            "shields": shields,
        }

    stealing = [UserMessage(content="I will steal it")]
    stack = await start_stack(
        parse_stack_config(
            config([{"shield_id": "declared", "provider_id": "guard", "provider_shield_id": "lg"}]), registry
        )
    )
    try:
        await stack.impls[Api.shields].register_shield(
            "lenient", provider_shield_id="lg", params={"excluded_categories": ["S2"]}
        )
    finally:
        await stack.shutdown()

    stack = await start_stack(parse_stack_config(config([]), registry))
    try:
        shields = stack.impls[Api.shields]
        assert [s.identifier for s in (await shields.list_shields()).data] == ["lenient"]
        # the provider learnt the persisted shield's params again at startup
        verdict = await stack.impls[Api.safety].run_shield(shield_id="lenient", messages=stealing)
        assert verdict.violation is None
        with pytest.raises(NotFoundError, match="'declared' is not registered"):
            await shields.get_shield("declared")
    finally:
        await stack.shutdown()
