"""``load_checkpoint``: recognise a Meta folder, an HF folder or a GGUF file, and build the model from it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

import torch

from ._checkpoint import LoadedCheckpoint, ParsedCheckpoint
from ._errors import CheckpointError
from ._gguf_format import is_gguf_file, read_gguf_checkpoint
from ._hf_format import is_hf_checkpoint, read_hf_checkpoint
from ._meta_format import is_meta_checkpoint, read_meta_checkpoint
from ._model import LlamaModel
from ._threads import release_thread_pool


def default_dtype(device: torch.device) -> torch.dtype:
    """float32 on CPU (fastest there for small models, and exact); bfloat16 on GPUs that have it."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def load_checkpoint(
    path: Path | str,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    max_seq_len: int | None = None,
) -> LoadedCheckpoint:
    """Load a Llama checkpoint and build a ready-to-run ``LlamaModel``.

    ``path`` is a folder with ``consolidated.*.pth`` + ``params.json`` (Meta), a
    folder with ``config.json`` + ``*.safetensors`` (Hugging Face), or a
    ``.gguf`` file (dequantised to ``dtype``). ``max_seq_len`` overrides the
    context window the checkpoint declares (to bound memory, or when Meta's
    ``params.json`` does not say).

    Raises ``CheckpointError`` naming the path and what is missing or unsupported.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise CheckpointError(
            path, "does not exist; expected a Meta or Hugging Face checkpoint folder or a .gguf file"
        )
    source_format: Literal["meta", "hf", "gguf"]
    parsed: ParsedCheckpoint
    if is_gguf_file(path):
        source_format, parsed = "gguf", read_gguf_checkpoint(path)
    elif is_meta_checkpoint(path):
        source_format, parsed = "meta", read_meta_checkpoint(path)
    elif is_hf_checkpoint(path):
        source_format, parsed = "hf", read_hf_checkpoint(path)
    else:
        raise CheckpointError(
            path,
            "is not a checkpoint we recognise; expected a folder with params.json + consolidated.*.pth (Meta), "
            "a folder with config.json + *.safetensors (Hugging Face), or a GGUF file",
        )
    args = parsed.args
    if max_seq_len is not None:
        args = dataclasses.replace(args, max_seq_len=max_seq_len)
    torch_device = torch.device(device)
    model = LlamaModel(args, device=torch_device, dtype=dtype or default_dtype(torch_device))
    try:
        model.load_weights(parsed.weights)
    except ValueError as exc:
        raise CheckpointError(path, f"weights do not match the declared shape: {exc}") from exc
    model.eval()
    release_thread_pool()  # the loading thread is rarely the one that decodes
    return LoadedCheckpoint(
        model=model,
        args=args,
        tokenizer=parsed.tokenizer,
        chat_template=parsed.chat_template,
        bos_token_id=parsed.bos_token_id,
        eos_token_ids=parsed.eos_token_ids,
        source_format=source_format,
        path=path,
    )
