"""The meta-reference engine: our own Llama in plain PyTorch, its checkpoint loaders, sampler and scheduler."""

from __future__ import annotations

from ._args import ModelArgs, RopeScaling
from ._checkpoint import LoadedCheckpoint, TokenizerSpec
from ._errors import CheckpointError, ContextLengthError
from ._kv_cache import KVCache
from ._load import default_dtype, load_checkpoint
from ._model import LlamaModel

__all__ = [
    "CheckpointError",
    "ContextLengthError",
    "KVCache",
    "LlamaModel",
    "LoadedCheckpoint",
    "ModelArgs",
    "RopeScaling",
    "TokenizerSpec",
    "default_dtype",
    "load_checkpoint",
]
