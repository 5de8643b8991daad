"""Storage errors, kept apart from the API hierarchy so database details never reach a client.

    StorageError
    ├── InvalidIdentifierError (also ValueError)
    ├── IntegrityError          a constraint failed: duplicate key, NOT NULL, ...
    ├── CursorNotFoundError     (also LookupError) a pagination cursor names no row
    ├── StorageUnavailableError the database cannot be reached or opened
    └── MissingDriverError      (also ImportError) an optional driver is not installed

Callers translate what they expect (an ``IntegrityError`` usually becomes a
``ConflictError``); anything else is an internal error and the server answers 500.
"""

from __future__ import annotations

import re


class StorageError(Exception):
    """A kv or sql store operation failed."""


class InvalidIdentifierError(StorageError, ValueError):
    """A table or column name is not a plain SQL identifier."""


class IntegrityError(StorageError):
    """The database refused a write because it breaks a constraint (duplicate key, NOT NULL, ...)."""


class CursorNotFoundError(StorageError, LookupError):
    """A pagination cursor names a row that does not exist."""


class StorageUnavailableError(StorageError):
    """The database cannot be reached or opened."""


class MissingDriverError(StorageError, ImportError):
    """The driver an optional backend needs is not installed."""


_PASSWORD_IN_DSN = re.compile(r"(?P<head>://[^:/@?#]*:)[^@/?#]*@")


def redact_dsn(dsn: str) -> str:
    """``postgresql://u:secret@host/db`` → ``postgresql://u:***@host/db``: messages never echo secrets."""
    redacted = _PASSWORD_IN_DSN.sub(r"\g<head>***@", dsn)
    return re.sub(r"(?i)(password=)[^&\s]*", r"\1***", redacted)
