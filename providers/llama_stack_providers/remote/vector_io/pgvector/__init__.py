"""remote::pgvector vector-io provider."""
