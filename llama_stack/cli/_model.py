"""``llama-stack model``: list known Llama models and local checkpoints, download and import checkpoints.

The checkpoint store itself (``$LLAMA_STACK_HOME/checkpoints``, formats, names)
lives in ``llama_stack_providers.utils.checkpoints``, which the providers that
load checkpoints use too. Everything heavy (llama-models' SKU list,
huggingface_hub) is imported inside the command that needs it.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._table import render_table

if TYPE_CHECKING:
    from llama_stack_providers.utils.checkpoints import Checkpoint

HUB_INSTALL_HINT = "pip install 'llama-stack-open[hub]'"
FAILURE_EXIT_CODE = 1

model_app = typer.Typer(
    name="model",
    help="Known Llama models and local checkpoints: list, download, import.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Source(StrEnum):
    huggingface = "huggingface"


def _fail(message: str, code: int = FAILURE_EXIT_CODE) -> typer.Exit:
    print(message, file=sys.stderr)
    return typer.Exit(code)


# --- list ----------------------------------------------------------------------------------------


@model_app.command("list")
def list_models(
    local: Annotated[bool, typer.Option("--local", help="Only the checkpoints in the local store.")] = False,
) -> None:
    """Llama models known to llama-models (descriptor, Hugging Face repo, context, size) and local checkpoints."""
    from llama_stack_providers.utils.checkpoints import checkpoints_dir, list_checkpoints

    if not local:
        skus = _known_skus()
        if skus is None:
            print("(install llama-models to list Meta's Llama models)", file=sys.stderr)
        else:
            print("Llama models (llama-models):")
            print(render_table(("model", "Hugging Face repo", "context", "params"), skus))
            print()
    directory = checkpoints_dir()
    entries = list_checkpoints(directory)
    print(f"Local checkpoints in {directory}:")
    if not entries:
        print("(none; `llama-stack model import PATH` or `llama-stack model download MODEL` adds one)")
        return
    rows = []
    for entry in entries:
        found = entry.checkpoint
        if found is None:
            rows.append((entry.name, "?", "", entry.problem or ""))
        else:
            rows.append((entry.name, found.format.value, _size(found.size_bytes), _summary(found)))
    print(render_table(("name", "format", "size", "details"), rows))


def _known_skus() -> list[tuple[str, str, str, str]] | None:
    try:
        sku_list: Any = importlib.import_module("llama_models.sku_list")
    except ImportError:
        return None
    rows = []
    for model in sku_list.all_registered_models():
        descriptor = str(model.descriptor())
        rows.append(
            (
                descriptor,
                str(model.huggingface_repo or ""),
                _tokens(model.max_seq_length),
                _params(descriptor),
            )
        )
    return rows


def _params(descriptor: str) -> str:
    match = re.search(r"(\d+(?:\.\d+)?)B(?:-(\d+)E)?", descriptor)
    if not match:
        return ""
    return f"{match.group(1)}B" + (f" ({match.group(2)} experts)" if match.group(2) else "")


def _tokens(count: int) -> str:
    return f"{count // 1024}K" if count >= 1024 and count % 1024 == 0 else str(count)


def _size(size_bytes: int) -> str:
    if size_bytes < 1024:
        return f"{size_bytes} B"
    size = float(size_bytes)
    for unit in ("KB", "MB", "GB", "TB"):
        size /= 1024
        if size < 1024 or unit == "TB":
            break
    return f"{size:.1f} {unit}"


def _summary(checkpoint: Checkpoint) -> str:
    details = checkpoint.details
    parts = []
    if details.get("architecture"):
        parts.append(str(details["architecture"]))
    if details.get("n_layers"):
        parts.append(f"{details['n_layers']} layers")
    if details.get("context_length"):
        parts.append(f"context {details['context_length']}")
    if checkpoint.format.value == "meta":
        parts.append(f"{details.get('shards', 0)} shard(s)")
    if details.get("embedding"):
        parts.append("embedding model")
    return ", ".join(parts)


# --- import --------------------------------------------------------------------------------------


@model_app.command("import")
def import_model(
    path: Annotated[Path, typer.Argument(help="A Meta or Hugging Face checkpoint folder, or a .gguf file.")],
    name: Annotated[
        str | None, typer.Option(help="Its name in the store (default: the folder or file name).")
    ] = None,
    link: Annotated[bool, typer.Option("--link", help="Symlink instead of copying.")] = False,
) -> None:
    """Check a local checkpoint's format and add it to the store; print the YAML that serves it."""
    from llama_stack_providers.utils.checkpoints import CheckpointError, import_checkpoint

    try:
        checkpoint = import_checkpoint(path, name, link=link)
    except CheckpointError as exc:
        raise _fail(f"cannot import {path}: {exc}") from None
    how = "linked" if link else "copied"
    print(
        f"{how} {checkpoint.format.value} checkpoint {checkpoint.name!r} ({_size(checkpoint.size_bytes)}) "
        f"to {checkpoint.path}"
    )
    print()
    print(yaml_snippet(checkpoint))


def yaml_snippet(checkpoint: Checkpoint) -> str:
    """The provider entry that serves ``checkpoint``, to paste into a distribution YAML."""
    if checkpoint.format.value == "gguf":
        lines = [
            "# serve it with llama.cpp: add to your distribution YAML",
            "providers:",
            "  inference:",
            "    - provider_id: llama-cpp",
            "      provider_type: inline::llama-cpp",
            "      config:",
            "        models:",
            f"          - model_id: {checkpoint.name}",
            f"            checkpoint: {checkpoint.name}",
        ]
        if checkpoint.model_type == "embedding":
            lines.append("            model_type: embedding")
        return "\n".join(lines)
    return "\n".join(
        [
            "# serve it with the torch engine: add to your distribution YAML",
            "providers:",
            "  inference:",
            "    - provider_id: meta-reference",
            "      provider_type: inline::meta-reference",
            "      config:",
            "        models:",
            f"          - model_id: {checkpoint.name}",
            f"            checkpoint: {checkpoint.path}",
        ]
    )


# --- download ------------------------------------------------------------------------------------


@model_app.command("download")
def download_model(
    model: Annotated[
        str,
        typer.Argument(
            help="A Llama model descriptor (see `model list`) or a Hugging Face repo id (org/name)."
        ),
    ],
    hf_token: Annotated[
        str | None,
        typer.Option("--hf-token", help="Hugging Face token (default: $HF_TOKEN).", show_default=False),
    ] = None,
    source: Annotated[Source, typer.Option(help="Where to download from.")] = Source.huggingface,
    name: Annotated[str | None, typer.Option(help="Its name in the store (default: the descriptor).")] = None,
    include: Annotated[
        list[str] | None,
        typer.Option("--include", help="Only files matching this glob (e.g. 'original/*'); repeatable."),
    ] = None,
) -> None:
    """Download a checkpoint from the Hugging Face hub into the store (resumes an interrupted download)."""
    from llama_stack_providers.utils.checkpoints import (
        CheckpointError,
        check_name,
        checkpoints_dir,
        inspect_checkpoint,
    )

    repo, default_name = _repo_for(model)
    try:
        target_name = check_name(name or default_name)
    except CheckpointError as exc:
        raise _fail(str(exc), 2) from None
    target = checkpoints_dir() / target_name
    if target.exists():
        raise _fail(
            f"checkpoint {target_name!r} exists already at {target}; remove it or choose another --name"
        )
    try:
        hub: Any = importlib.import_module("huggingface_hub")
    except ImportError:
        raise _fail(
            f"downloading needs huggingface_hub, which is not installed: {HUB_INSTALL_HINT}"
        ) from None
    # downloads land in a hidden folder, which `model list` skips, and move into place once complete
    staging = target.parent / f".downloading-{target_name}"
    staging.parent.mkdir(parents=True, exist_ok=True)
    print(f"downloading {repo} from the Hugging Face hub into {target} ...", flush=True)
    try:
        hub.snapshot_download(
            repo_id=repo,
            local_dir=str(staging),
            token=hf_token or os.environ.get("HF_TOKEN") or None,
            allow_patterns=include or None,
        )
    except Exception as exc:  # every hub failure is reported as a message, not a traceback
        raise _fail(_hub_problem(hub, repo, exc)) from None
    staging.rename(target)
    try:
        checkpoint = inspect_checkpoint(target, target_name)
    except CheckpointError as exc:
        print(
            f"downloaded to {target}, but it is not a checkpoint this stack can load: {exc}", file=sys.stderr
        )
        return
    print(f"downloaded {checkpoint.format.value} checkpoint {target_name!r} ({_size(checkpoint.size_bytes)})")
    print()
    print(yaml_snippet(checkpoint))


def _repo_for(model: str) -> tuple[str, str]:
    """(Hugging Face repo id, default store name) for a descriptor or a repo id."""
    if "/" in model:
        return model, model.rsplit("/", 1)[1]
    try:
        sku_list: Any = importlib.import_module("llama_models.sku_list")
    except ImportError:
        raise _fail(
            f"{model!r} is not a Hugging Face repo id (org/name), and llama-models is not installed to "
            "resolve Llama descriptors",
            2,
        ) from None
    found = sku_list.resolve_model(model)
    if found is None or not found.huggingface_repo:
        raise _fail(
            f"unknown model {model!r}; run `llama-stack model list` for Llama descriptors, or give a "
            "Hugging Face repo id (org/name)",
            2,
        )
    return str(found.huggingface_repo), str(found.descriptor())


def _hub_problem(hub: Any, repo: str, exc: Exception) -> str:
    errors = getattr(hub, "errors", hub)
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    gated = getattr(errors, "GatedRepoError", None)
    missing = getattr(errors, "RepositoryNotFoundError", None)
    offline = getattr(errors, "LocalEntryNotFoundError", None)
    if gated is not None and isinstance(exc, gated):
        return (
            f"{repo} is gated: accept its license at {endpoint}/{repo} and pass --hf-token "
            "(or set HF_TOKEN) for an account that has access"
        )
    if missing is not None and isinstance(exc, missing):
        return f"{repo} does not exist on the Hugging Face hub, or it is private and needs --hf-token"
    if (offline is not None and isinstance(exc, offline)) or isinstance(exc, ConnectionError | TimeoutError):
        cause = exc.__cause__ or exc.__context__ or exc
        return f"cannot reach the Hugging Face hub at {endpoint}: {type(cause).__name__}: {cause}"
    return f"downloading {repo} failed: {type(exc).__name__}: {exc}"
