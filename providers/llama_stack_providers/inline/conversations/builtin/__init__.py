"""inline::builtin: conversations and their items in the distribution's kv store."""
