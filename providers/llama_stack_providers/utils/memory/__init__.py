"""Memory machinery shared by the vector-io providers: the index interface, ingestion, vector stores."""
