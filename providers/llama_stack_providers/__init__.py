"""Built-in providers; registered through the same ``llama_stack`` entry point as third-party plugins."""
