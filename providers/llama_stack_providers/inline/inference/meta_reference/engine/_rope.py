"""Rotary position embeddings: the frequencies (with Llama 3.1 scaling) and their application.

The engine keeps Q/K in the "half-split" layout (the first half of a head's
dimensions pairs with the second half, as in Hugging Face checkpoints); the
loaders permute Meta and GGUF weights, which pair adjacent dimensions, into it.
"""

from __future__ import annotations

import math

import torch

from ._args import ModelArgs


def inverse_frequencies(args: ModelArgs) -> torch.Tensor:
    """The ``head_dim / 2`` rotation speeds, float32, after any scaling the model declares."""
    dim = args.head_dim
    inv_freq = 1.0 / (args.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    if args.rope_freq_factors is not None:
        return inv_freq / torch.tensor(args.rope_freq_factors, dtype=torch.float32)
    scaling = args.rope_scaling
    if scaling is None:
        return inv_freq
    # Llama 3.1: keep high frequencies, divide low ones by `factor`, blend smoothly in between
    old_len = scaling.original_max_position_embeddings
    low_freq_wavelen = old_len / scaling.low_freq_factor
    high_freq_wavelen = old_len / scaling.high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_freq_wavelen, inv_freq / scaling.factor, inv_freq)
    smooth = (old_len / wavelen - scaling.low_freq_factor) / (
        scaling.high_freq_factor - scaling.low_freq_factor
    )
    smoothed = (1 - smooth) * scaled / scaling.factor + smooth * scaled
    is_medium = ~(wavelen < high_freq_wavelen) & ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium, smoothed, scaled)


def cos_sin(
    inv_freq: torch.Tensor, positions: torch.Tensor, dtype: torch.dtype
) -> tuple[torch.Tensor, torch.Tensor]:
    """``cos`` and sign-folded ``sin`` tables of shape ``positions.shape + (1, head_dim)``.

    ``sin`` carries the minus sign of the rotation on its first half, so that
    applying RoPE needs no negation (see ``apply_rope``).
    """
    angles = positions.to(torch.float32).unsqueeze(-1) * inv_freq  # [..., head_dim / 2]
    cos = angles.cos()
    sin = angles.sin()
    cos = torch.cat((cos, cos), dim=-1).unsqueeze(-2)
    sin = torch.cat((-sin, sin), dim=-1).unsqueeze(-2)
    return cos.to(dtype), sin.to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate ``x`` of shape ``[..., heads, head_dim]`` (half-split layout): ``x·cos + swap_halves(x)·sin``."""
    half = x.shape[-1] // 2
    swapped = torch.cat((x[..., half:], x[..., :half]), dim=-1)
    return torch.addcmul(x * cos, swapped, sin)
