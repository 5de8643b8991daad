"""inline code interpreter: a confined subprocess sandbox for the `builtin::code_interpreter` tool."""
