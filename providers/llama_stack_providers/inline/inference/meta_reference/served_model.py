"""A model being served: checkpoint, tokenizer, chat format and the engine's scheduler, loaded from its config."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_stack_api import Model, ModelType

from .chat_format import ChatFormat, Llama3ChatFormat
from .chat_template import TemplateChatFormat
from .config import MetaReferenceModelConfig, resolve_checkpoint
from .engine import GenerationScheduler, Generator, LoadedCheckpoint, load_checkpoint
from .generation import TokenStreamer
from .tokenization import HFTokenizer, Llama3Tokenizer, Tokenizer, build_tokenizer

logger = logging.getLogger(__name__)

_LLAMA3_MARKERS = ("<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>", "<|python_tag|>")


@dataclass
class ServedModel:
    """Everything a request needs about one model; ``chat_format`` is ``None`` for a model that cannot chat."""

    model_id: str
    tokenizer: Tokenizer
    chat_format: ChatFormat | None
    engine: TokenStreamer
    max_seq_len: int
    stop_token_ids: list[int]
    add_bos: bool  # whether raw completion prompts start with BOS
    path: Path
    source_format: str

    def as_model(self, provider_id: str) -> Model:
        return Model(
            identifier=self.model_id,
            provider_id=provider_id,
            provider_resource_id=self.model_id,
            model_type=ModelType.llm,
            metadata={
                "context_length": self.max_seq_len,
                "checkpoint_format": self.source_format,
                "chat_format": self.chat_format.name if self.chat_format else None,
            },
        )


@dataclass
class LoadedFiles:
    """What ``load_files`` reads in a worker thread; the scheduler is started on the event loop."""

    config: MetaReferenceModelConfig
    checkpoint: LoadedCheckpoint
    tokenizer: Tokenizer
    chat_format: ChatFormat | None
    generator: Generator


def _device(choice: str) -> str:
    if choice != "auto":
        return choice
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _dtype(choice: str) -> Any:
    if choice == "auto":
        return None
    import torch

    return getattr(torch, choice)


def is_llama3_vocabulary(tokenizer: Tokenizer) -> bool:
    return isinstance(tokenizer, Llama3Tokenizer) or all(
        tokenizer.special_id(t) is not None for t in _LLAMA3_MARKERS
    )


def choose_chat_format(
    config: MetaReferenceModelConfig, tokenizer: Tokenizer, checkpoint: LoadedCheckpoint
) -> ChatFormat | None:
    """The Llama 3 format for Llama 3 vocabularies (``auto``), else the checkpoint's chat template.

    Raises ``ValueError`` when the configured format cannot work with the checkpoint.
    """
    if config.chat_format == "llama3" or (config.chat_format == "auto" and is_llama3_vocabulary(tokenizer)):
        return Llama3ChatFormat(tokenizer, default_tool_prompt_format=config.tool_prompt_format)
    if checkpoint.chat_template:
        bos = checkpoint.bos_token_id
        eos = checkpoint.eos_token_ids[0] if checkpoint.eos_token_ids else None
        return TemplateChatFormat(
            tokenizer,
            checkpoint.chat_template,
            stop_token_ids=checkpoint.eos_token_ids,
            bos_token=tokenizer.piece(bos) if bos is not None else None,
            eos_token=tokenizer.piece(eos) if eos is not None else None,
        )
    if config.chat_format == "template":
        raise ValueError(
            f"model {config.model_id!r}: chat_format is 'template' but the checkpoint has no chat template"
        )
    logger.warning("model %s has no chat template: it serves text completions only", config.model_id)
    return None


def _adds_bos(tokenizer: Tokenizer, checkpoint: LoadedCheckpoint) -> bool:
    if isinstance(tokenizer, Llama3Tokenizer):
        return True
    if checkpoint.tokenizer.kind == "gguf":
        return bool((checkpoint.tokenizer.gguf_metadata or {}).get("tokenizer.ggml.add_bos_token", False))
    if isinstance(tokenizer, HFTokenizer) and tokenizer.bos_id is not None:
        # whatever the tokenizer.json's post-processor does for a plain encode
        return tokenizer.backend.encode("a", add_special_tokens=True).ids[:1] == [tokenizer.bos_id]
    return False


def load_files(config: MetaReferenceModelConfig) -> LoadedFiles:
    """Resolve, load and prepare one model (blocking: run it in a worker thread).

    Raises ``FileNotFoundError`` for a checkpoint that is not there, the engine's
    ``CheckpointError`` for one it cannot read, ``ValueError`` for a tokenizer
    or chat format that does not fit.
    """
    path = resolve_checkpoint(config.checkpoint)
    checkpoint = load_checkpoint(
        path, device=_device(config.device), dtype=_dtype(config.dtype), max_seq_len=config.max_seq_len
    )
    tokenizer = build_tokenizer(checkpoint.tokenizer, bos_id=checkpoint.bos_token_id)
    chat_format = choose_chat_format(config, tokenizer, checkpoint)
    generator = Generator(checkpoint, max_batch_size=config.max_batch_size)
    return LoadedFiles(config, checkpoint, tokenizer, chat_format, generator)


def start_model(files: LoadedFiles) -> ServedModel:
    """The served model, with the engine's scheduler started on the running event loop."""
    checkpoint = files.checkpoint
    scheduler = GenerationScheduler(files.generator, max_batch_size=files.config.max_batch_size)
    return ServedModel(
        model_id=files.config.model_id,
        tokenizer=files.tokenizer,
        chat_format=files.chat_format,
        engine=scheduler,
        max_seq_len=checkpoint.args.max_seq_len,
        stop_token_ids=list(checkpoint.eos_token_ids),
        add_bos=_adds_bos(files.tokenizer, checkpoint),
        path=checkpoint.path,
        source_format=checkpoint.source_format,
    )
