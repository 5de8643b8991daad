"""Pydantic validation errors turned into config problems, without ever echoing a secret."""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel, TypeAdapter, ValidationError

from ._problems import Loc, Problems, closest, one_of
from ._secrets import REDACTED, is_secret_name, is_secret_type, redact_text, secret_strings

_SHOULD = re.compile(r"^\w+ should (?:be |have )?(?P<rest>.*)$", re.DOTALL)
_QUOTED = re.compile(r"'([^']*)'")
_CHOICE_ERRORS = frozenset({"enum", "literal_error"})


def validate(target: Any, value: Any, problems: Problems, loc: Loc) -> tuple[bool, Any]:
    """Validate ``value`` against a model class or any type; problems land under ``loc``.

    Returns ``(ok, result)``; ``result`` is ``None`` when validation failed.
    """
    try:
        if isinstance(target, type) and issubclass(target, BaseModel):
            return True, target.model_validate(value)
        return True, _adapter(target).validate_python(value)
    except ValidationError as exc:
        add_validation_errors(problems, exc, loc, target)
        return False, None


@functools.cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def add_validation_errors(problems: Problems, exc: ValidationError, prefix: Loc, root: Any) -> None:
    """One problem per pydantic error, built from its loc, msg, type and context only.

    ``root`` is the validated type, walked along each error's loc to drop union
    tags, find field names (for "did you mean") and ``SecretStr`` fields.
    """
    for err in exc.errors(include_url=False):
        kind: str = err["type"]
        raw = err.get("input")
        is_key = bool(err["loc"]) and err["loc"][-1] == "[key]"
        loc, annotation = resolve(root, err["loc"][:-1] if is_key else err["loc"])
        path = (*prefix, *loc)
        ctx = err.get("ctx") or {}
        if kind == "missing":
            problems.add(path, "missing required field")
        elif kind == "extra_forbidden":
            name = str(loc[-1]) if loc else ""
            names = field_names(resolve(root, err["loc"][:-1])[1])
            problems.add(
                path, f"unknown field {name!r}", one_of(names) if names else "", closest(name, names)
            )
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            field = str(ctx.get("discriminator", "")).strip("'")
            if kind == "union_tag_not_found":
                problems.add((*path, field), "missing required field")
            else:
                tag = ctx.get("tag")
                expected = str(ctx.get("expected_tags", ""))
                suggestion = closest(tag, _QUOTED.findall(expected)) if isinstance(tag, str) else ""
                shown = _from_env(problems, (*path, field)) or show_value(tag)
                problems.add((*path, field), f"got {shown}", f"one of {expected}", suggestion)
        else:
            secret = not is_key and (is_secret_type(annotation) or _has_secret_name(loc))
            shown = f"{'key ' if is_key else ''}{show_value(raw, secret)}"
            from_env = "" if is_key else _from_env(problems, path)
            if from_env:
                secret = True  # whatever the environment held is not repeated back
                shown = from_env
            _add_value_problem(problems, path, kind, str(err["msg"]), raw, secret, shown)


def _from_env(problems: Problems, path: Loc) -> str:
    """``the value of ${env.X}`` when the value at ``path`` was substituted, else ``""``."""
    sources = problems.env_sources.get(path)
    return "the value of " + " + ".join(f"${{env.{name}}}" for name in sources) if sources else ""


def _add_value_problem(
    problems: Problems, path: Loc, kind: str, msg: str, raw: Any, secret: bool, shown: str
) -> None:
    msg = _scrub(msg, raw, secret)
    match = _SHOULD.match(msg)
    if match:
        expected = match["rest"]
        suggestion = ""
        if kind in _CHOICE_ERRORS and isinstance(raw, str) and not secret:
            suggestion = closest(raw, _QUOTED.findall(expected))
        problems.add(path, f"got {shown}", expected, suggestion)
    else:
        text = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        problems.add(path, text[:1].lower() + text[1:])


def resolve(root: Any, loc: Sequence[str | int]) -> tuple[Loc, Any]:
    """``loc`` without pydantic's union tags, and the declared type there (``None`` when unknown)."""
    clean: list[str | int] = []
    current = _unwrap(root)
    for part in loc:
        if _is_union(current):
            arm = _arm_for_tag(current, part)
            if arm is not None:
                current = _unwrap(arm)
                continue
            current = None
        clean.append(part)
        if current is None:
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            current = _field_annotation(current, str(part))
        else:
            origin, args = get_origin(current), get_args(current)
            if origin in (list, tuple, set, frozenset) or (
                isinstance(origin, type) and issubclass(origin, Sequence)
            ):
                current = args[0] if args else None
            elif isinstance(origin, type) and issubclass(origin, Mapping):
                current = args[1] if len(args) == 2 else None
            else:
                current = None
        current = _unwrap(current)
    return tuple(clean), current


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def _arm_for_tag(union: Any, tag: str | int) -> Any:
    """The union member pydantic names ``tag`` in a loc: by class name or discriminator value."""
    for arm in get_args(union):
        inner = _unwrap(arm)
        if getattr(inner, "__name__", None) == tag:
            return inner
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            for info in inner.model_fields.values():
                if get_origin(info.annotation) is Literal and tag in get_args(info.annotation):
                    return inner
    return None


def field_names(model: Any) -> list[str]:
    """The names a model accepts as input: aliases, alias choices, else the field names."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    names: list[str] = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        choices = _input_names(name, info.alias, info.validation_alias)
        names.extend(n for n in choices if n not in names)
    return names


def _input_names(name: str, alias: str | None, validation_alias: Any) -> list[str]:
    if isinstance(validation_alias, AliasChoices):
        return [c for c in validation_alias.choices if isinstance(c, str)]
    if isinstance(validation_alias, str):
        return [validation_alias]
    return [alias or name]


def _field_annotation(model: type[BaseModel], part: str) -> Any:
    for name, info in model.model_fields.items():
        if part == name or part in _input_names(name, info.alias, info.validation_alias):
            return info.annotation
    return None


def _unwrap(annotation: Any) -> Any:
    """Strip ``Annotated`` and the ``None`` of ``X | None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            arms = [a for a in get_args(annotation) if a is not type(None)]
            if len(arms) == 1:
                annotation = arms[0]
                continue
            return Union[tuple(arms)]  # noqa: UP007 -- built at run time from a tuple of arms
        else:
            return annotation


def _has_secret_name(loc: Loc) -> bool:
    names = [part for part in loc if isinstance(part, str)]
    return bool(names) and is_secret_name(names[-1])


def show_value(value: Any, secret: bool = False) -> str:
    """How a value appears after "got": quoted, shortened, URL passwords and secrets masked."""
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if secret:
        return repr(REDACTED)
    if value is None:
        return "null"
    if isinstance(value, str):
        text = redact_text(value)
        return repr(text if len(text) <= 60 else text[:57] + "...")
    if isinstance(value, bool | int | float):
        return repr(value)
    return f"a {type(value).__name__}"


def _scrub(message: str, raw: Any, secret: bool) -> str:
    """``message`` with the secrets it could quote (from a validator's own text) masked."""
    for text in sorted(secret_strings(raw, secret), key=len, reverse=True):
        message = message.replace(text, REDACTED)
    if secret and isinstance(raw, int | float) and not isinstance(raw, bool):
        message = message.replace(str(raw), REDACTED)
    return redact_text(message)
