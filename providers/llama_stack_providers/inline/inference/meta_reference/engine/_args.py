"""The shape of a Llama model: ``ModelArgs`` and its Llama 3.1 ``RopeScaling``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RopeScaling:
    """Llama 3.1 RoPE frequency scaling (``rope_type: llama3``) that stretches 8K-trained models to 128K."""

    factor: float = 8.0
    low_freq_factor: float = 1.0
    high_freq_factor: float = 4.0
    original_max_position_embeddings: int = 8192


@dataclass(frozen=True)
class ModelArgs:
    """Hyper-parameters of a Llama decoder, whatever format the checkpoint came in.

    ``rope_freq_factors``, when set, divides each RoPE frequency by its factor
    (llama.cpp's ``rope_freqs`` tensor, or linear scaling); it takes precedence
    over ``rope_scaling``.
    """

    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    vocab_size: int
    hidden_dim: int
    norm_eps: float = 1e-5
    rope_theta: float = 500000.0
    rope_scaling: RopeScaling | None = None
    max_seq_len: int = 8192
    tie_word_embeddings: bool = False
    rope_freq_factors: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        problems = []
        for name in ("dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "hidden_dim", "max_seq_len"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be positive, got {getattr(self, name)}")
        if self.n_heads > 0 and self.dim % self.n_heads:
            problems.append(f"dim {self.dim} is not a multiple of n_heads {self.n_heads}")
        elif self.n_heads > 0 and (self.dim // self.n_heads) % 2:
            problems.append(f"head dimension {self.dim // self.n_heads} must be even for RoPE")
        if self.n_kv_heads > 0 and self.n_heads % self.n_kv_heads:
            problems.append(f"n_heads {self.n_heads} is not a multiple of n_kv_heads {self.n_kv_heads}")
        if (
            self.rope_freq_factors is not None
            and self.n_heads > 0
            and len(self.rope_freq_factors) != self.dim // self.n_heads // 2
        ):
            problems.append(
                f"rope_freq_factors has {len(self.rope_freq_factors)} entries; "
                f"expected head dimension / 2 = {self.dim // self.n_heads // 2}"
            )
        if problems:
            raise ValueError("invalid ModelArgs: " + "; ".join(problems))

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads
