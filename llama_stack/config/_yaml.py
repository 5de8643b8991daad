"""Reading a YAML file into plain data, with syntax errors and duplicate keys as problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ._problems import Problems


class _DuplicateKeyLoader(yaml.SafeLoader):
    """A safe loader that remembers keys written twice in one mapping (YAML keeps the last silently)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, yaml.Mark]] = []


def _construct_mapping(loader: _DuplicateKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node)
        try:
            if key in seen:
                loader.duplicates.append((str(key), key_node.start_mark))
            seen.add(key)
        except TypeError:  # an unhashable key: construct_mapping below reports it
            pass
    return loader.construct_mapping(node)


_DuplicateKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: Path, problems: Problems) -> Any:
    """The data in ``path``, or ``None`` after adding a problem (unreadable, invalid, empty)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.add((), "the file is not UTF-8 text", "a YAML distribution file")
        return None
    except OSError as exc:
        problems.add((), f"cannot read the file: {exc.strerror or exc}")
        return None
    return parse_yaml(text, problems)


def parse_yaml(text: str, problems: Problems) -> Any:
    loader = _DuplicateKeyLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        # problem text and position only: the snippet of the line could hold a secret
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.add((), f"invalid YAML{where}: {exc.problem or exc.context or 'syntax error'}")
        return None
    except yaml.YAMLError:
        problems.add((), "invalid YAML", "a YAML mapping")
        return None
    finally:
        loader.dispose()
    for key, mark in loader.duplicates:
        problems.add(
            (),
            f"key {key!r} appears twice in one mapping (line {mark.line + 1}, column {mark.column + 1})",
            "each key once; YAML would silently keep only the last",
        )
    if data is None:
        problems.add((), "the file is empty", "a mapping with at least name and apis")
    return data
