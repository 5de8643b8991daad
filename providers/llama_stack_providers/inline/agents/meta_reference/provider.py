"""``inline::meta-reference`` agents: the Agents API (and the Responses API) over one agent loop."""

from __future__ import annotations

from typing import Any

from llama_stack_api import Api
from llama_stack_api.plugins import ProviderContext

from .agents_service import AgentsService
from .config import MetaReferenceAgentsConfig
from .documents import SessionDocuments
from .engine import AgentLoop
from .store import AgentStore


class MetaReferenceAgents(AgentsService):
    """The provider: Agents API routes from ``AgentsService``, state in the provider's kv namespace."""

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


async def create(
    config: MetaReferenceAgentsConfig, deps: dict[Api, Any], context: ProviderContext
) -> MetaReferenceAgents:
    store = AgentStore(context.kvstore)
    tool_runtime = deps.get(Api.tool_runtime)
    loop = AgentLoop(deps[Api.inference], deps.get(Api.safety))
    documents = SessionDocuments(config, store, deps.get(Api.vector_io), tool_runtime)
    return MetaReferenceAgents(config, store, loop, tool_runtime, documents)
