"""inline::code-scanner: insecure-code detection on code in messages."""
