"""``remote::ollama``: a local or remote Ollama server."""
