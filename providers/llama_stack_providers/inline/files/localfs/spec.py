"""The spec of ``inline::localfs``."""

from __future__ import annotations

from llama_stack_api import Api, ProviderSpec

_PACKAGE = "llama_stack_providers.inline.files.localfs"

PROVIDER_SPECS = [
    ProviderSpec(
        api=Api.files,
        provider_type="inline::localfs",
        config_class=f"{_PACKAGE}.config:LocalFSFilesConfig",
        factory=f"{_PACKAGE}.provider:create",
        description=(
            "Files on the local disk (written atomically, named by id so no upload can escape the folder), "
            "metadata in the distribution's kv store; expiry and pagination."
        ),
    )
]
