"""remote::qdrant vector-io provider."""
