"""inline::prompt-guard: jailbreak / prompt-injection classifier shield."""
