"""``SentenceTransformersInference``: embeddings from sentence-transformers models, computed in worker threads.

Models load in a worker thread as soon as the provider initializes, so the
server starts (and answers health checks) at once; a request for a model still
loading waits for it. Encoding runs in the same worker threads, never on the
event loop, and concurrent requests for one model are coalesced into shared
encode calls (see ``MicroBatcher``).

Texts longer than a model's ``max_seq_length`` tokens are truncated by the
model (the end is dropped), as sentence-transformers does; ``usage`` counts
the tokens actually embedded. The native ``embeddings`` route can ask for
``text_truncation: none`` (refuse such texts) or ``start`` (drop the start).

torch and sentence-transformers are imported only inside the worker threads.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NoReturn

import numpy as np
import numpy.typing as npt

from llama_stack_api import (
    InvalidRequestError,
    Model,
    ModelType,
    NotSupportedError,
    ProviderUnavailableError,
)
from llama_stack_api.inference import (
    EmbeddingTaskType,
    OpenAIEmbeddingData,
    OpenAIEmbeddingsInput,
    OpenAIEmbeddingsResponse,
    OpenAIEmbeddingUsage,
    TextTruncation,
)
from llama_stack_providers.utils.inference import NativeOverOpenAIMixin
from llama_stack_providers.utils.inference.embedding_encoding import embedding_to_base64

from ._batcher import MicroBatcher
from .config import SentenceTransformersInferenceConfig, SentenceTransformersModel

PROVIDER_TYPE = "inline::sentence-transformers"

logger = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
TruncationSide = Literal["left", "right"]
EncodeKey = tuple[str | None, TruncationSide]
"""What must be equal for two requests to share an encode call: the prompt name and the truncation side."""


@dataclass(frozen=True)
class _Encoded:
    vector: Vector  # normalised, full dimension
    tokens: int  # the text's length in tokens before truncation (special tokens and prompt included)


@dataclass(frozen=True)
class _Metadata:
    embedding_dimension: int
    context_length: int


@dataclass
class _LoadedModel:
    """A loaded model; ``encode`` runs in a worker thread, one call at a time (the batcher sees to that)."""

    model: Any  # a sentence_transformers.SentenceTransformer
    metadata: _Metadata
    prompts: dict[str, str]
    batch_size: int

    def encode(self, texts: list[str], key: EncodeKey) -> list[_Encoded]:
        import torch

        prompt_name, side = key
        prompt = self.prompts.get(prompt_name, "") if prompt_name else ""
        tokenizer = getattr(self.model, "tokenizer", None)
        counts = [0] * len(texts)
        if tokenizer is not None:
            ids = tokenizer([prompt + text for text in texts], add_special_tokens=True, truncation=False)
            counts = [len(i) for i in ids["input_ids"]]
            previous, tokenizer.truncation_side = tokenizer.truncation_side, side
        try:
            with torch.inference_mode():
                vectors = self.model.encode(
                    texts,
                    prompt_name=prompt_name,
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        finally:
            if tokenizer is not None:
                tokenizer.truncation_side = previous
        matrix = np.asarray(vectors, dtype=np.float32)
        return [_Encoded(row, count) for row, count in zip(matrix, counts, strict=True)]


def _load(spec: SentenceTransformersModel, device: str, batch_size: int) -> _LoadedModel:
    """Load one model (in a worker thread: this imports torch and reads the weights)."""
    import torch
    from sentence_transformers import SentenceTransformer

    folder = Path(spec.model_name_or_path).expanduser()
    model = SentenceTransformer(
        str(folder) if folder.is_dir() else spec.model_name_or_path,
        device=_resolve_device(device, torch),
        trust_remote_code=spec.trust_remote_code,
        local_files_only=folder.is_dir(),
    )
    if spec.max_seq_length is not None:
        model.max_seq_length = spec.max_seq_length
    model.eval()
    # renamed in sentence-transformers 5; the old name warns there
    dimension_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dimension = dimension_of()
    if dimension is None:  # some architectures only tell by encoding
        dimension = len(model.encode([""], convert_to_numpy=True, show_progress_bar=False)[0])
    context = model.max_seq_length or getattr(model.tokenizer, "model_max_length", None) or 512
    return _LoadedModel(
        model=model,
        metadata=_Metadata(int(dimension), int(context)),
        prompts=dict(getattr(model, "prompts", None) or {}),
        batch_size=batch_size,
    )


def _resolve_device(device: str, torch: Any) -> str:
    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def _folder_metadata(spec: SentenceTransformersModel) -> _Metadata | None:
    """Dimension and context length read from a local model folder's JSON files, without loading it.

    ``None`` when the source is not a local sentence-transformers folder or the
    files do not say (then the model itself must be asked).
    """
    root = Path(spec.model_name_or_path).expanduser()
    try:
        modules = json.loads((root / "modules.json").read_text())
        dimension: int | None = None
        context = spec.max_seq_length
        for module in modules:
            kind = str(module.get("type", "")).rsplit(".", 1)[-1]
            folder = root / str(module.get("path", ""))
            if kind == "Transformer" and context is None:
                context = json.loads((folder / "sentence_bert_config.json").read_text()).get("max_seq_length")
            elif kind == "Pooling":
                pooling = json.loads((folder / "config.json").read_text())
                modes = sum(1 for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True)
                dimension = int(pooling["word_embedding_dimension"]) * max(modes, 1)
            elif kind == "Dense":
                dimension = int(json.loads((folder / "config.json").read_text())["out_features"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # not a local folder in the layout this reads: ask the loaded model
    if dimension is None or context is None:
        return None
    return _Metadata(dimension, int(context))


def _missing_local_folder(source: str) -> bool:
    """Whether ``source`` names a local folder (not a hub name like ``org/model``) that does not exist."""
    if Path(source).expanduser().exists():
        return False
    return source.startswith(("/", "./", "../", "~", "\\")) or source.count("/") > 1 or "\\" in source


@dataclass
class _ServedModel:
    spec: SentenceTransformersModel
    loading: asyncio.Future[_LoadedModel] | None = None
    batcher: MicroBatcher[EncodeKey, _Encoded] | None = None
    metadata: _Metadata | None = field(default=None)  # what list_provider_models reported


class SentenceTransformersInference(NativeOverOpenAIMixin):
    """An embedding-only inference provider: ``openai_embeddings``, and native ``embeddings`` through the mixin."""

    def __init__(self, config: SentenceTransformersInferenceConfig) -> None:
        self.config = config
        self._served = {m.model_id: _ServedModel(m) for m in config.models}
        self._executor: ThreadPoolExecutor | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    async def initialize(self) -> None:
        """Start loading every model in a worker thread; a local folder that does not exist fails here."""
        for index, served in enumerate(self._served.values()):
            if _missing_local_folder(served.spec.model_name_or_path):
                raise InvalidRequestError(
                    f"{PROVIDER_TYPE}: models[{index}].model_name_or_path: folder "
                    f"{served.spec.model_name_or_path!r} does not exist; give a folder holding a "
                    "sentence-transformers model, or a Hugging Face model name"
                )
        self._executor = ThreadPoolExecutor(
            max_workers=self.config.max_concurrency, thread_name_prefix="sentence-transformers"
        )
        for served in self._served.values():
            self._start_loading(served)

    async def shutdown(self) -> None:
        for served in self._served.values():
            if served.batcher is not None:
                await served.batcher.close()
        if self._executor is not None:
            # a load already running finishes in its thread; nothing waits for it
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def health(self) -> dict[str, Any]:
        failed, loading = [], []
        for model_id, served in self._served.items():
            if served.loading is None or not served.loading.done():
                loading.append(model_id)
            elif served.loading.cancelled() or served.loading.exception() is not None:
                error = "cancelled" if served.loading.cancelled() else served.loading.exception()
                failed.append(f"{model_id}: {error}")
        if failed:
            return {"status": "Error", "message": "models failed to load: " + "; ".join(failed)}
        if loading:
            return {"status": "OK", "message": "loading: " + ", ".join(loading)}
        return {"status": "OK"}

    # --- models --------------------------------------------------------------------------------

    async def list_provider_models(self) -> list[Model]:
        """Each configured model as an embedding model with ``embedding_dimension`` and ``context_length``."""
        models = []
        for model_id, served in self._served.items():
            metadata = await self._metadata(served)
            models.append(
                Model(
                    identifier=model_id,
                    provider_id="sentence-transformers",  # the registry puts the real provider id here
                    model_type=ModelType.embedding,
                    metadata={
                        "embedding_dimension": metadata.embedding_dimension,
                        "context_length": metadata.context_length,
                    },
                )
            )
        return models

    async def check_model(self, model: Model) -> Model:
        """Accept a registration of a configured model, as an embedding model with its metadata."""
        served = self._served.get(model.provider_key)
        if served is None:
            raise InvalidRequestError(
                f"{PROVIDER_TYPE} serves {', '.join(map(repr, self._served)) or 'no models'}, not "
                f"{model.provider_key!r}; add it to the provider's `models:` config",
                param="provider_model_id",
            )
        metadata = await self._metadata(served)
        return model.model_copy(
            update={
                # every model here is an embedding model, whatever the registration said
                "model_type": ModelType.embedding,
                "metadata": {
                    **model.metadata,
                    "embedding_dimension": metadata.embedding_dimension,
                    "context_length": metadata.context_length,
                },
            }
        )

    # --- embeddings ----------------------------------------------------------------------------

    async def openai_embeddings(
        self,
        model: str,
        input: OpenAIEmbeddingsInput,
        encoding_format: Literal["float", "base64"] | None = "float",
        dimensions: int | None = None,
        user: str | None = None,
    ) -> OpenAIEmbeddingsResponse:
        """Normalised vectors, as floats or base64 little-endian float32; ``dimensions`` keeps the first
        ones and re-normalises (Matryoshka truncation).

        Raises ``InvalidRequestError`` for empty input or ``dimensions`` outside
        1..the model's dimension, ``NotSupportedError`` for token-id input, and
        ``ProviderUnavailableError`` when the model failed to load.
        """
        texts = _texts_of(input)
        served, loaded = await self._loaded(model)
        _check_dimensions(dimensions, loaded.metadata.embedding_dimension, model, param="dimensions")
        encoded = await self._batcher(served, loaded).submit(texts, (None, "right"))
        matrix = _matryoshka(np.stack([e.vector for e in encoded]), dimensions)
        data = [
            OpenAIEmbeddingData(
                index=i, embedding=embedding_to_base64(row) if encoding_format == "base64" else row.tolist()
            )
            for i, row in enumerate(matrix)
        ]
        tokens = sum(min(e.tokens, loaded.metadata.context_length) for e in encoded)
        return OpenAIEmbeddingsResponse(
            data=data, model=model, usage=OpenAIEmbeddingUsage(prompt_tokens=tokens, total_tokens=tokens)
        )

    async def native_embed(
        self,
        model: str,
        texts: list[str],
        *,
        text_truncation: TextTruncation | None = None,
        output_dimension: int | None = None,
        task_type: EmbeddingTaskType | None = None,
    ) -> list[list[float]]:
        """The native route's embeddings: honours ``text_truncation`` and a model's ``query`` /
        ``document`` prompts for ``task_type`` (models without such prompts ignore it)."""
        served, loaded = await self._loaded(model)
        _check_dimensions(
            output_dimension, loaded.metadata.embedding_dimension, model, param="output_dimension"
        )
        prompt_name = task_type.value if task_type is not None and task_type.value in loaded.prompts else None
        side: TruncationSide = "left" if text_truncation == TextTruncation.start else "right"
        encoded = await self._batcher(served, loaded).submit(texts, (prompt_name, side))
        limit = loaded.metadata.context_length
        if text_truncation == TextTruncation.none:
            for i, item in enumerate(encoded):
                if item.tokens > limit:
                    raise InvalidRequestError(
                        f"contents[{i}] is {item.tokens} tokens long, but model {model!r} embeds at most "
                        f"{limit}; shorten it, or set text_truncation to 'end' or 'start'",
                        param="contents",
                    )
        matrix = _matryoshka(np.stack([e.vector for e in encoded]), output_dimension)
        return [row.tolist() for row in matrix]

    # --- what an embedding model cannot do -----------------------------------------------------

    async def openai_chat_completion(self, model: str, messages: list[Any], **params: Any) -> NoReturn:
        raise NotSupportedError(_embedding_only(model, "chat"))

    async def openai_completion(self, model: str, prompt: Any, **params: Any) -> NoReturn:
        raise NotSupportedError(_embedding_only(model, "complete text"))

    # --- helpers -------------------------------------------------------------------------------

    def _start_loading(self, served: _ServedModel) -> asyncio.Future[_LoadedModel]:
        if served.loading is None:
            if self._executor is None:
                raise ProviderUnavailableError(f"{PROVIDER_TYPE} is not initialized")
            spec = served.spec
            served.loading = asyncio.get_running_loop().run_in_executor(
                self._executor, _load, spec, self.config.device, self.config.batch_size
            )
            served.loading.add_done_callback(lambda done: _log_load(spec, done))
        return served.loading

    async def _loaded(self, model_id: str) -> tuple[_ServedModel, _LoadedModel]:
        served = self._served.get(model_id)
        if served is None:
            raise InvalidRequestError(
                f"{PROVIDER_TYPE} does not serve model {model_id!r}; it serves: {', '.join(self._served)}",
                param="model",
            )
        try:
            # shielded: a request that gives up must not cancel a load that others wait for
            return served, await asyncio.shield(self._start_loading(served))
        except ProviderUnavailableError:
            raise
        except Exception as exc:  # the load's failure, re-raised as the typed error clients understand
            raise ProviderUnavailableError(
                f"model {model_id!r} could not be loaded from {served.spec.model_name_or_path!r}: {exc}"
            ) from exc

    def _batcher(self, served: _ServedModel, loaded: _LoadedModel) -> MicroBatcher[EncodeKey, _Encoded]:
        if served.batcher is None:
            assert self._executor is not None  # a model has loaded, so initialize() ran
            served.batcher = MicroBatcher(
                loaded.encode,
                executor=self._executor,
                max_batch_texts=self.config.batch_size,
                name=served.spec.model_id,
            )
        return served.batcher

    async def _metadata(self, served: _ServedModel) -> _Metadata:
        if served.metadata is None:
            metadata = await asyncio.to_thread(_folder_metadata, served.spec)
            if metadata is None:
                metadata = (await self._loaded(served.spec.model_id))[1].metadata
            served.metadata = metadata
        return served.metadata


def _log_load(spec: SentenceTransformersModel, done: asyncio.Future[_LoadedModel]) -> None:
    if done.cancelled():
        return
    error = done.exception()
    if error is not None:
        logger.error("%s: model %r failed to load: %s", PROVIDER_TYPE, spec.model_id, error)
        return
    metadata = done.result().metadata
    logger.info("%s: model %r loaded (%s)", PROVIDER_TYPE, spec.model_id, metadata)


def _texts_of(input: OpenAIEmbeddingsInput) -> list[str]:
    if isinstance(input, str):
        return [input]
    if not input:
        raise InvalidRequestError("input must hold at least one text", param="input")
    if all(isinstance(item, str) for item in input):
        return [str(item) for item in input]
    raise NotSupportedError(
        f"{PROVIDER_TYPE} embeds text, not token ids: a model's tokenizer is its own; send the texts",
        param="input",
    )


def _check_dimensions(dimensions: int | None, available: int, model: str, *, param: str) -> None:
    if dimensions is not None and not 1 <= dimensions <= available:
        raise InvalidRequestError(
            f"{param} must be between 1 and {available} for model {model!r}, not {dimensions}", param=param
        )


def _matryoshka(matrix: Vector, dimensions: int | None) -> Vector:
    """The first ``dimensions`` of each normalised row, normalised again."""
    if dimensions is None or dimensions == matrix.shape[1]:
        return matrix
    shortened = matrix[:, :dimensions]
    norms = np.linalg.norm(shortened, axis=1, keepdims=True)
    return (shortened / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def _embedding_only(model: str, action: str) -> str:
    return (
        f"{PROVIDER_TYPE} is an embedding-only provider: model {model!r} cannot {action}; "
        "use an llm model from another inference provider"
    )


async def create(
    config: SentenceTransformersInferenceConfig, deps: dict[Any, Any]
) -> SentenceTransformersInference:
    return SentenceTransformersInference(config)
