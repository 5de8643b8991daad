"""inline::llama-guard: Llama Guard 3 through the Inference API."""
