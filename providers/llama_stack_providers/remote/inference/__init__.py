"""Inference providers in front of a remote engine: any OpenAI-compatible endpoint, vLLM, Ollama."""
