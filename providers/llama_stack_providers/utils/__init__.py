"""Code the built-in providers share; each subpackage is one concern (``inference``: the native-over-OpenAI adapter)."""
