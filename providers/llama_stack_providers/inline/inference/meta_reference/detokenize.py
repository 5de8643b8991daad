"""Streaming text out of token ids: whole UTF-8 characters only, and stop strings cut before they show."""

from __future__ import annotations

import codecs
from collections.abc import Sequence

from .tokenization import Tokenizer


class IncrementalDetokenizer:
    """Feeds tokens one at a time and returns only the text that is complete.

    Works on each token's bytes (``Tokenizer.token_bytes``), so a character
    split over several tokens — byte-level BPE pieces of an emoji, or
    ``<0xE2><0x82><0xAC>`` byte-fallback tokens — comes out once, whole, with
    the token that completes it. Control tokens produce no text.
    """

    def __init__(self, tokenizer: Tokenizer, *, skip_special: bool = True) -> None:
        self._tok = tokenizer
        self._skip_special = skip_special
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._strip_space = tokenizer.strip_leading_space
        self._started = False

    def add(self, token_id: int) -> str:
        """The text completed by ``token_id`` (often ``""`` in the middle of a character)."""
        if self._skip_special and self._tok.is_special(token_id):
            return ""
        return self._emit(self._decoder.decode(self._tok.token_bytes(token_id)))

    def flush(self) -> str:
        """Whatever is left at the end; an incomplete character becomes U+FFFD."""
        return self._emit(self._decoder.decode(b"", final=True))

    def _emit(self, text: str) -> str:
        if text and not self._started:
            self._started = True
            if self._strip_space and text.startswith(" "):
                text = text[1:]
        return text


class StopStrings:
    """Watches generated text for stop strings; text that may begin one is held back until it is decided.

    ``feed`` returns the text that is safe to show and whether a stop string
    was found; once one is, everything from its first character on is dropped.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = [s for s in stops if s]
        self._pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if self.stopped:
            return ""
        if not self._stops:
            return text
        self._pending += text
        cut = min((i for s in self._stops if (i := self._pending.find(s)) >= 0), default=-1)
        if cut >= 0:
            out, self._pending = self._pending[:cut], ""
            self.stopped = True
            return out
        hold = self._longest_partial_stop()
        out = self._pending[: len(self._pending) - hold]
        self._pending = self._pending[len(out) :]
        return out

    def flush(self) -> str:
        """The held-back text, at the end of a generation that met no stop string."""
        out, self._pending = self._pending, ""
        return "" if self.stopped else out

    def _longest_partial_stop(self) -> int:
        # the longest tail of the pending text that is a proper prefix of some stop string
        longest = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(self._pending)), longest, -1):
                if self._pending.endswith(stop[:size]):
                    longest = size
                    break
        return longest
