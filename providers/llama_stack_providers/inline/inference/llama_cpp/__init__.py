"""``inline::llama-cpp``: GGUF models served in process by llama.cpp (llama-cpp-python)."""
