"""The bundled nanoguard binary classifier (metatronnanoguard), run windowed and batched without its scan() API."""

from __future__ import annotations

import importlib.resources
from typing import TYPE_CHECKING, Any

from .classifier import GuardScores, batches, max_per_text, resolve_window, window_starts

if TYPE_CHECKING:
    import torch

# nanoguard mean-pools its token states into one vector, so in a long window a single injected sentence is
# averaged away: appended to ~500 tokens of prose, "Ignore all previous instructions and ..." scores 0.0003.
# It behaves as a classifier of short prompts, so long texts are cut into short windows, half overlapping
# so that every span up to half a window lies whole inside one. Measured on 6 injection sentences placed at
# the start, middle and end of a ~3000-token benign document (threshold 0.5): 48-token windows catch 17/18,
# 64-token 15/18, 96-token 7/18, 512-token none; 32-token ones catch 18/18 but raise benign prompts' scores.
DEFAULT_WINDOW_TOKENS = 48


class NanoguardClassifier:
    """Binary safe/injection classifier; ``injection`` and ``jailbreak`` are both P(injection)."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        sequence_len: int,
        device: str = "cpu",
        window_tokens: int | None = None,
        window_stride: int | None = None,
    ) -> None:
        self.name = "nanoguard"
        self._model = model
        self._tokenizer = tokenizer
        self._device = device
        window = DEFAULT_WINDOW_TOKENS if window_tokens is None else window_tokens
        # One BOS token opens every window, as it opens every input nanoguard was trained on.
        self._content, self._stride = resolve_window(
            sequence_len, 1, window, window_stride, default_overlap=(window - 1) // 2
        )
        self.max_window_tokens = self._content + 1

    @classmethod
    def load(
        cls, *, device: str = "cpu", window_tokens: int | None = None, window_stride: int | None = None
    ) -> NanoguardClassifier:
        """Load the checkpoint and tokenizer shipped inside the ``nanoguard`` package."""
        try:
            from nanoguard.model import Classifier
            from nanoguard.tokenizer import Tokenizer
        except ImportError as e:
            raise ImportError(
                "the default prompt-guard classifier needs the metatronnanoguard package "
                "(pip install metatronnanoguard==0.1.0), or set checkpoint_dir to a local Prompt-Guard checkpoint"
            ) from e
        ref = importlib.resources.files("nanoguard.assets").joinpath("model.pt")
        with importlib.resources.as_file(ref) as path:
            model, _metrics, config = Classifier.from_checkpoint(str(path), device=device)
        # from_checkpoint maps the weights to the device but builds the rotary tables on the CPU.
        model = model.to(device).eval()
        return cls(
            model,
            Tokenizer.from_bundled(),  # type: ignore[no-untyped-call]
            sequence_len=config.sequence_len,
            device=device,
            window_tokens=window_tokens,
            window_stride=window_stride,
        )

    def _windows(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        """Token ids of every window of every text (BOS first), and the index of the text each came from."""
        bos = self._tokenizer.bos_token_id
        # Ordinary encoding: a special-token string inside the text stays text and cannot forge a BOS/PAD.
        # (Not encode_ordinary_batch: it starts a thread pool per call, which costs more than short prompts.)
        encoded = [self._tokenizer.enc.encode_ordinary(t) for t in texts]
        windows: list[list[int]] = []
        owners: list[int] = []
        for i, ids in enumerate(encoded):
            for start in window_starts(len(ids), self._content, self._stride):
                windows.append([bos, *ids[start : start + self._content]])
                owners.append(i)
        return windows, owners

    def _forward(self, windows: list[list[int]]) -> torch.Tensor:
        """P(injection) of a batch of windows, each padded to the full window length.

        nanoguard's attention has no padding mask (its mask only restricts the mean-pooling) and it was
        trained on inputs padded to a fixed length, so pad tokens are context it expects: unpadded, benign
        prompts score higher ("How do I configure the system clock on Ubuntu to use UTC?" 0.53 unpadded,
        0.07 padded to 48 tokens). A fixed padded length also makes a text's score independent of the texts
        that share its batch.
        """
        import torch

        ids = torch.full(
            (len(windows), self.max_window_tokens), self._tokenizer.pad_token_id, dtype=torch.long
        )
        mask = torch.zeros((len(windows), self.max_window_tokens), dtype=torch.bool)
        for row, w in enumerate(windows):
            ids[row, : len(w)] = torch.tensor(w, dtype=torch.long)
            mask[row, : len(w)] = True
        logits = self._model(ids.to(self._device), mask.to(self._device))
        return torch.softmax(logits.float(), dim=-1)[:, 1].cpu()

    def scores(self, texts: list[str]) -> list[GuardScores]:
        """Score every text; the windows of all texts run together in batches."""
        import torch

        if not texts:
            return []
        windows, owners = self._windows(texts)
        p_injection: list[float] = []
        with torch.inference_mode():
            for chunk in batches(range(len(windows))):
                p_injection.extend(self._forward([windows[i] for i in chunk]).tolist())
        window_scores = [GuardScores(benign=1.0 - p, injection=p, jailbreak=p) for p in p_injection]
        return max_per_text(len(texts), owners, window_scores)
