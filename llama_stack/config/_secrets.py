"""Which values are secrets, and how configs are shown without them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, SecretBytes, SecretStr

REDACTED = "********"

_SECRET_NAME = re.compile(r"key|token|secret|password|credential|authorization", re.IGNORECASE)
# the password of a URL's user info: scheme://user:PASSWORD@host
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s]*:)(?P<password>[^/@\s]+)(?=@)")


def is_secret_name(name: object) -> bool:
    """Whether a field or key of this name holds a secret (it mentions key, token, password, ...)."""
    return isinstance(name, str) and _SECRET_NAME.search(name) is not None


def is_secret_type(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, SecretStr | SecretBytes)


def redact_text(text: str) -> str:
    """``text`` with the passwords of URLs in it replaced."""
    return _URL_PASSWORD.sub(lambda m: m["head"] + REDACTED, text)


def secret_strings(value: Any, secret: bool = False) -> set[str]:
    """Every string in ``value`` that sits under a secret-looking key (or all, if ``secret``)."""
    found: set[str] = set()
    if isinstance(value, str):
        if secret and value:
            found.add(value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found |= secret_strings(item, secret or is_secret_name(key))
    elif isinstance(value, list | tuple):
        for item in value:
            found |= secret_strings(item, secret)
    return found


def redacted_config_dict(config: BaseModel) -> dict[str, Any]:
    """``config`` as JSON-ready data with every secret shown as ``********``.

    Secrets are ``SecretStr``/``SecretBytes`` fields and values under a name that
    mentions key, token, secret, password or credential; URL passwords are
    masked too. Works on a provider config or a whole ``StackConfig``.
    """
    return _redact_model(config)


def _redact_model(model: BaseModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        if _is_excluded(model, name):
            continue
        out[name] = _redact(getattr(model, name), is_secret_name(name))
    return out


def _is_excluded(model: BaseModel, name: str) -> bool:
    return bool(type(model).model_fields[name].exclude)


def _redact(value: Any, secret: bool) -> Any:
    if isinstance(value, SecretStr | SecretBytes):
        return REDACTED if value.get_secret_value() else ""
    if isinstance(value, BaseModel):
        return _redact_model(value)
    if isinstance(value, Mapping):
        return {str(k): _redact(v, is_secret_name(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact(item, secret) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        # numbers and paths under such names (max_tokens, keyfile) are not secrets; strings may be
        return REDACTED if secret and value else redact_text(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, int | float):
        return value
    return redact_text(str(value))
