"""The meta-reference engine: our own Llama in plain PyTorch, its checkpoint loaders, sampler and scheduler.

``load_checkpoint`` reads a Meta, Hugging Face or GGUF checkpoint into a
``LlamaModel``; ``Generator`` runs it synchronously (from a worker thread);
``GenerationScheduler`` is the async face that batches concurrent requests.
"""

from __future__ import annotations

from ._args import ModelArgs, RopeScaling
from ._batch import DecodeBatch, SequenceState
from ._checkpoint import LoadedCheckpoint, TokenizerSpec
from ._errors import CheckpointError, ContextLengthError
from ._generator import Generator
from ._kv_cache import KVCache
from ._load import default_dtype, load_checkpoint
from ._model import LlamaModel
from ._sampling import GeneratedToken, SamplingOptions
from ._scheduler import GenerationScheduler
from ._threads import release_thread_pool

__all__ = [
    "CheckpointError",
    "ContextLengthError",
    "DecodeBatch",
    "GeneratedToken",
    "GenerationScheduler",
    "Generator",
    "KVCache",
    "LlamaModel",
    "LoadedCheckpoint",
    "ModelArgs",
    "RopeScaling",
    "SamplingOptions",
    "SequenceState",
    "TokenizerSpec",
    "default_dtype",
    "load_checkpoint",
    "release_thread_pool",
]
