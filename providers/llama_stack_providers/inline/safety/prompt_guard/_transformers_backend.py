"""A local Hugging Face sequence-classification checkpoint (e.g. Meta's Prompt-Guard-86M) as a guard classifier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .classifier import GuardScores, batches, max_per_text, resolve_window

if TYPE_CHECKING:
    import torch

# Tokenizers without a real limit report model_max_length as a huge sentinel (int(1e30)).
_UNSET_MAX_LENGTH = 1_000_000
_FALLBACK_MAX_LENGTH = 512


def _label_indices(id2label: dict[int, str], where: Path) -> tuple[int | None, int, int]:
    """(benign, injection, jailbreak) class indices from config.id2label, names matched case-insensitively.

    A 2-label model has no separate jailbreak class: its attack label (named injection/jailbreak, else
    label 1) stands for both.
    """
    by_name = {str(name).strip().lower(): int(i) for i, name in id2label.items()}
    if len(id2label) == 3:
        missing = [n for n in ("benign", "injection", "jailbreak") if n not in by_name]
        if missing:
            raise ValueError(
                f"{where}: a 3-label prompt-guard checkpoint needs labels benign/injection/jailbreak "
                f"(any case), got {sorted(id2label.values())}"
            )
        return by_name["benign"], by_name["injection"], by_name["jailbreak"]
    if len(id2label) == 2:
        attack = by_name.get("injection", by_name.get("jailbreak", 1))
        return 1 - attack, attack, attack
    raise ValueError(f"{where}: expected a 2- or 3-label classifier, got {len(id2label)} labels {id2label}")


def _check_is_sequence_classifier(path: Path) -> None:
    """Refuse a directory that is not a sequence-classification checkpoint before transformers loads it.

    AutoModelForSequenceClassification would happily load a base encoder and bolt a randomly initialised
    head onto it, giving scores that look plausible and mean nothing.
    """
    config_file = path / "config.json"
    if not config_file.is_file():
        raise ValueError(f"{path} is not a Hugging Face checkpoint: it has no config.json")
    try:
        architectures = json.loads(config_file.read_text(encoding="utf-8")).get("architectures") or []
    except (OSError, ValueError, AttributeError) as e:
        raise ValueError(f"{config_file} is not a readable JSON model config: {e}") from e
    if not any(str(a).endswith("ForSequenceClassification") for a in architectures):
        raise ValueError(
            f"{path} is not a sequence-classification checkpoint (architectures={architectures}); "
            "prompt-guard needs e.g. DebertaV2ForSequenceClassification"
        )


class TransformersClassifier:
    """Softmax over a sequence classifier's labels; 3-label models follow Meta's Prompt-Guard score recipe."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        name: str,
        labels: tuple[int | None, int, int],
        device: str = "cpu",
        window_tokens: int | None = None,
        window_stride: int | None = None,
    ) -> None:
        self.name = name
        self._model = model
        self._tokenizer = tokenizer
        self._device = device
        self._benign, self._injection, self._jailbreak = labels
        self._pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        limits = [_FALLBACK_MAX_LENGTH]
        if 0 < (tokenizer.model_max_length or 0) < _UNSET_MAX_LENGTH:
            limits = [tokenizer.model_max_length]
        positions = getattr(model.config, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            limits.append(positions)
        specials = tokenizer.num_special_tokens_to_add(pair=False)
        content, stride = resolve_window(min(limits), specials, window_tokens, window_stride)
        self._window = content + specials
        # Hugging Face's own windowing counts the tokens consecutive windows share.
        self._overlap = content - stride
        self.max_window_tokens = self._window

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        device: str = "cpu",
        window_tokens: int | None = None,
        window_stride: int | None = None,
    ) -> TransformersClassifier:
        """Load tokenizer and model from ``path`` without touching the network."""
        _check_is_sequence_classifier(path)
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError, KeyError) as e:
            raise ValueError(f"cannot load a sequence classifier from {path}: {e}") from e
        if not tokenizer.is_fast:
            # Overlapping windows come from the Rust tokenizer's overflow support.
            raise ValueError(
                f"{path}: prompt-guard needs a fast tokenizer (tokenizer.json) to window long inputs"
            )
        labels = _label_indices(model.config.id2label, path)
        return cls(
            model.to(device).eval(),
            tokenizer,
            name=path.name,
            labels=labels,
            device=device,
            window_tokens=window_tokens,
            window_stride=window_stride,
        )

    def _forward(self, windows: list[list[int]]) -> torch.Tensor:
        """Class probabilities of a batch of windows, right-padded with an attention mask."""
        import torch

        longest = max(len(w) for w in windows)
        ids = torch.full((len(windows), longest), self._pad_id, dtype=torch.long)
        mask = torch.zeros((len(windows), longest), dtype=torch.long)
        for row, w in enumerate(windows):
            ids[row, : len(w)] = torch.tensor(w, dtype=torch.long)
            mask[row, : len(w)] = 1
        logits = self._model(input_ids=ids.to(self._device), attention_mask=mask.to(self._device)).logits
        return torch.softmax(logits.float(), dim=-1).cpu()

    def _to_scores(self, p: list[float]) -> GuardScores:
        jailbreak = p[self._jailbreak]
        if self._injection == self._jailbreak:
            injection = jailbreak
        else:
            # Meta's guidance for indirect injection: a jailbreak in third-party data is an injection too.
            injection = min(1.0, p[self._injection] + jailbreak)
        benign = p[self._benign] if self._benign is not None else 1.0 - injection
        return GuardScores(benign=benign, injection=injection, jailbreak=jailbreak)

    def scores(self, texts: list[str]) -> list[GuardScores]:
        """Score every text; windows are sorted by length so each batch pads little."""
        import torch

        if not texts:
            return []
        enc = self._tokenizer(
            texts,
            max_length=self._window,
            truncation=True,
            stride=self._overlap,
            return_overflowing_tokens=True,
            return_attention_mask=False,
        )
        windows: list[list[int]] = enc["input_ids"]
        owners: list[int] = list(enc["overflow_to_sample_mapping"])
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        probs: list[list[float]] = [[] for _ in windows]
        with torch.inference_mode():
            for chunk in batches(order):
                for i, p in zip(chunk, self._forward([windows[i] for i in chunk]).tolist(), strict=True):
                    probs[i] = p
        return max_per_text(len(texts), owners, [self._to_scores(p) for p in probs])
