"""``remote::vllm``: a vLLM OpenAI-compatible server (``vllm serve``)."""
