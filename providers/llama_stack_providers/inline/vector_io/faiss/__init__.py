"""inline::faiss vector-io provider."""
