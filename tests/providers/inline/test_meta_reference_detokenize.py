"""meta-reference streaming text: characters split over tokens come out whole; stop strings never show."""

from __future__ import annotations

from llama_stack_providers.inline.inference.meta_reference.detokenize import (
    IncrementalDetokenizer,
    StopStrings,
)
from llama_stack_providers.inline.inference.meta_reference.tokenization import Llama3Tokenizer
from tests.fakes.meta_reference import byte_fallback_tokenizer


def stream(detokenizer: IncrementalDetokenizer, ids: list[int]) -> list[str]:
    return [detokenizer.add(i) for i in ids] + [detokenizer.flush()]


def test_multibyte_characters_split_over_byte_level_tokens() -> None:
    tok = Llama3Tokenizer()
    text = "naïve 😀 日本語 €"
    ids = tok.encode(text)
    # the emoji alone is several byte-level BPE pieces, none of which is valid UTF-8 on its own
    emoji_ids = tok.encode("😀")
    assert len(emoji_ids) > 1
    assert all(b"\xf0" not in tok.token_bytes(i) or len(tok.token_bytes(i)) < 4 for i in emoji_ids)
    pieces = stream(IncrementalDetokenizer(tok), ids)
    assert "".join(pieces) == text
    assert all("\ufffd" not in p for p in pieces)
    assert "😀" in pieces or any("😀" in p for p in pieces)
    assert [p for p in stream(IncrementalDetokenizer(tok), emoji_ids) if p] == ["😀"]


def test_byte_fallback_tokens_make_one_character() -> None:
    tok = byte_fallback_tokenizer()
    euro = [tok.backend.token_to_id(f"<0x{b:02X}>") for b in "€".encode()]
    hi = tok.backend.token_to_id("▁hi")
    pieces = stream(IncrementalDetokenizer(tok), [hi, *euro, hi])
    # the leading SentencePiece space is dropped, as a whole decode drops it; € waits for its third byte
    assert pieces == ["hi", "", "", "€", " hi", ""]
    assert "".join(pieces) == tok.decode([hi, *euro, hi])


def test_control_tokens_make_no_text_and_a_cut_character_is_replaced() -> None:
    tok = Llama3Tokenizer()
    detokenizer = IncrementalDetokenizer(tok)
    first_byte = tok.encode("😀")[0]
    assert detokenizer.add(tok.encode("ok")[0]) == "ok"
    assert detokenizer.add(128009) == ""
    assert detokenizer.add(first_byte) == ""
    assert detokenizer.flush() == "\ufffd"


def test_stop_string_is_cut_and_partial_matches_are_held() -> None:
    stops = StopStrings(["END", "\n\n"])
    assert stops.feed("Hello E") == "Hello "
    assert stops.feed("N") == ""
    assert stops.feed("ough\n") == "ENough"
    assert stops.feed("\nmore") == ""
    assert stops.stopped
    assert stops.feed("after") == "" and stops.flush() == ""


def test_stop_string_inside_one_piece_and_unmatched_tail_released() -> None:
    stops = StopStrings(["</answer>"])
    assert stops.feed("42</answer>junk") == "42"
    open_ended = StopStrings(["STOP"])
    assert open_ended.feed("go ST") == "go "
    assert open_ended.flush() == "ST"
    assert StopStrings([]).feed("anything") == "anything"
