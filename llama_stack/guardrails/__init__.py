"""Guardrails: shields a model's distribution entry names, applied to every generation through it."""

from ._inference import GuardedInference, guard_inference

__all__ = ["GuardedInference", "guard_inference"]
