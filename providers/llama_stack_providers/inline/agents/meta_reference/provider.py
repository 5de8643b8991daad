"""``inline::meta-reference`` agents: the Agents API and the Responses API over one agent loop."""

from __future__ import annotations

from typing import Any

from llama_stack_api import Api
from llama_stack_api.plugins import ProviderContext

from .agents_service import AgentsService
from .config import MetaReferenceAgentsConfig
from .documents import SessionDocuments
from .engine import AgentLoop
from .names import NameCheck
from .responses import ResponsesService
from .responses.records import ResponseStore
from .store import AgentStore


class MetaReferenceAgents(AgentsService):
    """The provider: the Agents routes from ``AgentsService``, the Responses routes from a
    ``ResponsesService`` sharing its loop; state in the provider's kv namespace."""

    def __init__(self, agents: dict[str, Any], responses: ResponsesService) -> None:
        super().__init__(**agents)
        self._responses = responses
        self.create_openai_response = responses.create_openai_response
        self.list_openai_responses = responses.list_openai_responses
        self.get_openai_response = responses.get_openai_response
        self.delete_openai_response = responses.delete_openai_response
        self.list_openai_response_input_items = responses.list_openai_response_input_items
        self.cancel_openai_response = responses.cancel_openai_response

    async def initialize(self) -> None:
        await self._responses.fail_interrupted()

    async def shutdown(self) -> None:
        await self._responses.stop_background()


async def create(
    config: MetaReferenceAgentsConfig, deps: dict[Api, Any], context: ProviderContext
) -> MetaReferenceAgents:
    store = AgentStore(context.kvstore)
    tool_runtime = deps.get(Api.tool_runtime)
    vector_io = deps.get(Api.vector_io)
    loop = AgentLoop(deps[Api.inference], deps.get(Api.safety))
    documents = SessionDocuments(config, store, vector_io, tool_runtime, context.resources)
    names = NameCheck(context.resources)
    responses = ResponsesService(
        config,
        ResponseStore(context.kvstore),
        loop,
        vector_io,
        tool_runtime,
        deps.get(Api.conversations),
        names,
    )
    agents = {
        "config": config,
        "store": store,
        "loop": loop,
        "tool_runtime": tool_runtime,
        "documents": documents,
        "names": names,
    }
    return MetaReferenceAgents(agents, responses)
