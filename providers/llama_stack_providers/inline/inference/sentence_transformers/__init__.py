"""``inline::sentence-transformers``: embedding models run in the stack process (the provider is in ``provider``).

Importing this package is cheap; torch and sentence-transformers load only when
a distribution enables the provider, and then in a worker thread.
"""

from .config import SentenceTransformersInferenceConfig, SentenceTransformersModel

__all__ = ["SentenceTransformersInferenceConfig", "SentenceTransformersModel"]
