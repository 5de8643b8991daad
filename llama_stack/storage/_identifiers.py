"""SQL identifier checks: names are validated and quoted, values are always bound as parameters."""

from __future__ import annotations

import re

from llama_stack.storage._errors import InvalidIdentifierError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# PostgreSQL silently truncates longer names (NAMEDATALEN - 1), which would make two names collide.
MAX_IDENTIFIER_LENGTH = 63


def check_identifier(name: str, *, what: str = "identifier") -> str:
    """Return ``name`` if it is a plain identifier (``[A-Za-z_][A-Za-z0-9_]*``, at most 63 characters)."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name) or len(name) > MAX_IDENTIFIER_LENGTH:
        raise InvalidIdentifierError(
            f"{what} {name!r} is not a valid SQL identifier; expected letters, digits and underscores, "
            f"not starting with a digit, at most {MAX_IDENTIFIER_LENGTH} characters"
        )
    return name


def quote_identifier(name: str, *, what: str = "identifier") -> str:
    """Check ``name`` and double-quote it, so reserved words work and PostgreSQL keeps its case."""
    return f'"{check_identifier(name, what=what)}"'
