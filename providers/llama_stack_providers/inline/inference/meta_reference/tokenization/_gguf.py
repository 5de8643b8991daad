"""A byte-level BPE tokenizer rebuilt from the vocabulary a GGUF file carries in its metadata.

GGUF stores ``tokenizer.ggml.tokens`` / ``.merges`` / ``.token_type`` and names
the pre-tokenizer (``tokenizer.ggml.pre``) instead of spelling it out; the
table below gives, for each name we support, the same pre-tokenization
llama.cpp applies (and that the model's original ``tokenizer.json`` had).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenizers import AddedToken, Regex, decoders, models, pre_tokenizers
from tokenizers import Tokenizer as HFBackend

from ._hf import HFTokenizer

# llama.cpp's token types (gguf.TokenType)
_CONTROL = 3
_USER_DEFINED = 4

_LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_QWEN2_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def _gpt2() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)


def _digits_then_gpt2() -> pre_tokenizers.PreTokenizer:
    # SmolLM / StarCoder: every digit is its own word, then GPT-2's split
    return pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), _gpt2()])


def _split_then_bytes(pattern: str) -> Any:
    def build() -> pre_tokenizers.PreTokenizer:
        return pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )

    return build


PRE_TOKENIZERS: dict[str, Any] = {
    "default": _gpt2,
    "gpt2": _gpt2,
    "gpt-2": _gpt2,
    "smollm": _digits_then_gpt2,
    "starcoder": _digits_then_gpt2,
    "refact": _digits_then_gpt2,
    "llama-bpe": _split_then_bytes(_LLAMA3_PATTERN),
    "llama3": _split_then_bytes(_LLAMA3_PATTERN),
    "llama-v3": _split_then_bytes(_LLAMA3_PATTERN),
    "qwen2": _split_then_bytes(_QWEN2_PATTERN),
}
"""``tokenizer.ggml.pre`` -> a builder of the equivalent ``tokenizers`` pre-tokenizer."""


def _field(metadata: dict[str, Any], key: str, default: Any = None) -> Any:
    # the engine hands over the GGUF keys as they are; short names are accepted too
    if key in metadata:
        return metadata[key]
    return metadata.get(key.removeprefix("tokenizer.ggml."), default)


def gguf_tokenizer(metadata: dict[str, Any]) -> HFTokenizer:
    """A tokenizer from a GGUF file's ``tokenizer.*`` metadata.

    Raises ``ValueError`` for vocabularies other than byte-level BPE (``gpt2``)
    and for pre-tokenizers missing from ``PRE_TOKENIZERS``, naming what is supported.
    """
    kind = _field(metadata, "tokenizer.ggml.model", "gpt2")
    if kind != "gpt2":
        raise ValueError(
            f"GGUF tokenizer model {kind!r} is not supported; meta-reference reads byte-level BPE "
            "('gpt2') vocabularies from GGUF. Use the checkpoint's tokenizer.json instead."
        )
    pre = str(_field(metadata, "tokenizer.ggml.pre", "default") or "default")
    if pre not in PRE_TOKENIZERS:
        raise ValueError(
            f"GGUF pre-tokenizer {pre!r} is not supported; supported: {', '.join(sorted(PRE_TOKENIZERS))}"
        )
    tokens: list[str] = [str(t) for t in _field(metadata, "tokenizer.ggml.tokens")]
    merges_text: list[str] = [str(m) for m in _field(metadata, "tokenizer.ggml.merges", [])]
    token_types: list[int] = [
        int(t) for t in _field(metadata, "tokenizer.ggml.token_type", [1] * len(tokens))
    ]
    vocab = {token: i for i, token in enumerate(tokens)}
    merges: list[tuple[str, str]] = []
    for merge in merges_text:
        left, _, right = merge.partition(" ")
        merges.append((left, right))
    backend = HFBackend(models.BPE(vocab=vocab, merges=merges, byte_fallback=False, fuse_unk=False))
    backend.pre_tokenizer = PRE_TOKENIZERS[pre]()
    backend.decoder = decoders.ByteLevel()
    added = [
        AddedToken(tokens[i], special=token_types[i] == _CONTROL, normalized=False)
        for i in range(len(tokens))
        if token_types[i] in (_CONTROL, _USER_DEFINED)
    ]
    if added:
        backend.add_tokens(added)
    bos = _field(metadata, "tokenizer.ggml.bos_token_id")
    return HFTokenizer(backend, bos_id=int(bos) if bos is not None else None)


def read_gguf_tokenizer_metadata(path: Path) -> dict[str, Any]:
    """The ``tokenizer.*`` fields of a GGUF file (the vocabulary and the chat template), without its tensors."""
    from gguf import GGUFReader  # numpy-heavy: imported only when a GGUF file is read

    reader = GGUFReader(str(path))
    metadata: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key.startswith("tokenizer."):
            metadata[key] = field.contents()
    return metadata
