"""``inline::meta-reference``: Llama-architecture models served in process by a pure-torch engine.

``spec.py`` registers it; ``config.py`` is its configuration; ``provider.py``
(imported only when a distribution enables it) serves the Inference API.
"""
