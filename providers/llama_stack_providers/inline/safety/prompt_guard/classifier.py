"""Prompt Guard classifier engine: scores texts for jailbreak / prompt injection with windowing over long inputs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

GuardType = Literal["jailbreak", "injection"]

# Windows run through the model this many at a time: bounds peak memory (a 512-token window of
# mDeBERTa-base is ~50 MB of activations) while still amortising per-forward overhead.
MAX_WINDOWS_PER_FORWARD = 32
# Consecutive windows share this many tokens by default, so a sentence cut by one window boundary is whole
# in the next (backends with short windows choose their own overlap).
DEFAULT_WINDOW_OVERLAP = 64


@dataclass(frozen=True)
class GuardScores:
    """Class probabilities of one text, each in [0, 1]; a windowed text gets the max over windows (benign: min).

    For 3-label models (Prompt-Guard: BENIGN / INJECTION / JAILBREAK), per Meta's guidance
    ``jailbreak = P(JAILBREAK)`` and ``injection = P(INJECTION) + P(JAILBREAK)`` (a jailbreak in third-party
    data is an injection too). Binary models (nanoguard: safe / injection) have no jailbreak class, so both
    ``injection`` and ``jailbreak`` are ``P(injection)``: an input meant to override the model's instructions
    is what either shield type is there to stop.
    """

    benign: float
    injection: float
    jailbreak: float

    def score(self, guard_type: GuardType) -> float:
        """The probability a shield of ``guard_type`` compares with its threshold."""
        if guard_type == "jailbreak":
            return self.jailbreak
        if guard_type == "injection":
            return self.injection
        raise ValueError(f"unknown guard_type {guard_type!r}: expected 'jailbreak' or 'injection'")


@runtime_checkable
class PromptGuardClassifier(Protocol):
    """A loaded classifier; ``scores`` is blocking CPU/GPU work, so async callers run it in a thread."""

    name: str
    max_window_tokens: int

    def scores(self, texts: list[str]) -> list[GuardScores]:
        """One result per text, in order; a text longer than a window scores the max over its windows."""
        ...


def load_classifier(
    checkpoint_dir: str | None,
    *,
    device: str = "cpu",
    window_tokens: int | None = None,
    window_stride: int | None = None,
) -> PromptGuardClassifier:
    """Load a Prompt Guard classifier; torch / transformers are imported here, not when this module is.

    ``checkpoint_dir`` set: a local Hugging Face sequence-classification checkpoint (e.g. Prompt-Guard-86M),
    read with ``local_files_only=True``; labels come from ``config.id2label`` matched case-insensitively to
    benign / injection / jailbreak, and a 2-label model's label 1 is the injection class. A missing directory
    raises FileNotFoundError, a checkpoint that is not a sequence classifier ValueError.
    ``checkpoint_dir`` None: the nanoguard classifier bundled with ``metatronnanoguard`` (binary safe/injection).

    ``window_tokens`` (including the model's special tokens) defaults to the model's maximum length for
    checkpoints (512 for Prompt-Guard) and to 48 for nanoguard (see ``_nanoguard_backend``: its mean-pooled
    head misses one injected sentence in a longer window). ``window_stride`` is the distance in tokens between
    the starts of consecutive windows; it defaults to a 64-token overlap (nanoguard: half a window).
    """
    if window_tokens is not None and window_tokens < 8:
        raise ValueError(f"window_tokens must be at least 8, got {window_tokens}")
    if window_stride is not None and window_stride < 1:
        raise ValueError(f"window_stride must be positive, got {window_stride}")
    if checkpoint_dir is None:
        from ._nanoguard_backend import NanoguardClassifier

        return NanoguardClassifier.load(
            device=device, window_tokens=window_tokens, window_stride=window_stride
        )
    path = Path(checkpoint_dir).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"prompt-guard checkpoint directory {str(path)!r} does not exist")
    from ._transformers_backend import TransformersClassifier

    return TransformersClassifier.load(
        path, device=device, window_tokens=window_tokens, window_stride=window_stride
    )


def resolve_window(
    model_max: int,
    specials: int,
    window_tokens: int | None,
    window_stride: int | None,
    *,
    default_overlap: int = DEFAULT_WINDOW_OVERLAP,
) -> tuple[int, int]:
    """(text tokens per window, stride) for a model taking ``model_max`` tokens, ``specials`` of them fixed."""
    window = model_max if window_tokens is None else window_tokens
    if window > model_max:
        raise ValueError(f"window_tokens={window} exceeds the model's maximum length {model_max}")
    content = window - specials
    if content < 1:
        raise ValueError(f"window_tokens={window} leaves no room for text beside {specials} special tokens")
    # The overlap is at most half a window, or a small window would advance a token at a time.
    stride = (
        window_stride if window_stride is not None else max(1, content - min(default_overlap, content // 2))
    )
    if stride > content:
        # A stride past the window would skip tokens, and an injection in the gap would go unseen.
        raise ValueError(f"window_stride={stride} exceeds the {content} text tokens a window holds")
    return content, stride


def window_starts(n_tokens: int, content: int, stride: int) -> list[int]:
    """Start offsets of windows covering ``n_tokens``; the last window ends exactly at the text's end."""
    if n_tokens <= content:
        return [0]
    starts = list(range(0, n_tokens - content, stride))
    # Align the final window with the end rather than leaving a short tail: the text's last sentence
    # (where an appended injection sits) then gets a full window of context, as every other one does.
    starts.append(n_tokens - content)
    return starts


def batches(indices: Sequence[int], size: int = MAX_WINDOWS_PER_FORWARD) -> Iterable[Sequence[int]]:
    """``indices`` in consecutive chunks of at most ``size``."""
    for i in range(0, len(indices), size):
        yield indices[i : i + size]


def max_per_text(
    n_texts: int, owners: Sequence[int], window_scores: Sequence[GuardScores]
) -> list[GuardScores]:
    """Fold window scores into one per text: each class is the max over the text's windows.

    Benign is the *min* over windows: one window that looks like an attack makes the text as a whole
    no more benign than that window.
    """
    best: dict[int, GuardScores] = {}
    for owner, s in zip(owners, window_scores, strict=True):
        cur = best.get(owner)
        best[owner] = (
            s
            if cur is None
            else GuardScores(
                benign=min(cur.benign, s.benign),
                injection=max(cur.injection, s.injection),
                jailbreak=max(cur.jailbreak, s.jailbreak),
            )
        )
    # Every text yields at least one window (an empty text is its special tokens alone), so none is missing.
    return [best[i] for i in range(n_texts)]
