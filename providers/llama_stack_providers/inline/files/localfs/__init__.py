"""inline::localfs: files on the local disk, metadata in the distribution kv store."""
