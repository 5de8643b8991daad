"""inline::sqlite-vec vector-io provider."""
