"""The spec of ``inline::builtin`` (conversations)."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.conversations.builtin"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.conversations,
        provider_type="inline::builtin",
        config_class=f"{_PACKAGE}.config:BuiltinConversationsConfig",
        factory=f"{_PACKAGE}.provider:create",
        description=(
            "Conversations in the distribution's kv store (SQLite or PostgreSQL): items kept in order, "
            "added all or none, paginated; the Responses engine appends to them."
        ),
    )
]
