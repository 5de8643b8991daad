"""inline::prompt-guard classifier engine: nanoguard accuracy and windowing, and the transformers checkpoint backend."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llama_stack_providers.inline.safety.prompt_guard.classifier import (
    GuardScores,
    PromptGuardClassifier,
    load_classifier,
    window_starts,
)
from tests.providers.inline.prompt_guard_cases import (
    ATTACK,
    BENIGN,
    EMBEDDED_INJECTIONS,
    insert_in_middle,
    prose,
)

pytest.importorskip("nanoguard")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

THRESHOLD = 0.5
# Measured 30/32 = 0.9375 at 0.5 (two benign false positives, no missed attack); two prompts score within
# 0.05 of the threshold, so the bar allows both to flip on another CPU / torch build.
ACCURACY_BAR = 0.875
MODULE = "llama_stack_providers.inline.safety.prompt_guard.classifier"


@pytest.fixture(scope="module")
def nanoguard() -> PromptGuardClassifier:
    return load_classifier(None)


# --- the API without a model ---


def test_importing_the_module_loads_neither_torch_nor_transformers() -> None:
    code = f"import sys, {MODULE}; print(sorted(m for m in ('torch', 'transformers', 'nanoguard') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_guard_scores_pick_the_probability_of_the_guard_type() -> None:
    s = GuardScores(benign=0.2, injection=0.8, jailbreak=0.3)
    assert (s.score("injection"), s.score("jailbreak")) == (0.8, 0.3)
    with pytest.raises(ValueError, match="unknown guard_type"):
        s.score("toxicity")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n", "content", "stride"), [(0, 10, 5), (10, 10, 5), (11, 10, 5), (100, 10, 7), (97, 47, 24)]
)
def test_windows_cover_every_token_and_the_last_ends_at_the_text_end(
    n: int, content: int, stride: int
) -> None:
    starts = window_starts(n, content, stride)
    covered = {t for s in starts for t in range(s, min(s + content, n))}
    assert covered == set(range(n))
    assert starts[0] == 0 and (n <= content or starts[-1] + content == n)
    assert all(b - a <= stride for a, b in itertools.pairwise(starts))


# --- nanoguard, the bundled default ---


def test_nanoguard_is_the_default_and_describes_itself(nanoguard: PromptGuardClassifier) -> None:
    assert isinstance(nanoguard, PromptGuardClassifier)
    assert (nanoguard.name, nanoguard.max_window_tokens) == ("nanoguard", 48)
    assert nanoguard.scores([]) == []
    (empty,) = nanoguard.scores([""])
    # A binary model has no separate jailbreak class: both guard types read P(injection).
    assert empty.jailbreak == empty.injection == pytest.approx(1.0 - empty.benign)


def test_nanoguard_separates_the_labelled_prompts(nanoguard: PromptGuardClassifier) -> None:
    texts, labels = [*BENIGN, *ATTACK], [False] * len(BENIGN) + [True] * len(ATTACK)
    scores = [s.score("injection") for s in nanoguard.scores(texts)]
    predicted = [s >= THRESHOLD for s in scores]
    tp = sum(p and y for p, y in zip(predicted, labels, strict=True))
    fp = sum(p and not y for p, y in zip(predicted, labels, strict=True))
    fn = sum(not p and y for p, y in zip(predicted, labels, strict=True))
    tn = len(texts) - tp - fp - fn
    accuracy = (tp + tn) / len(texts)
    wrong = [
        f"{s:.3f} {t[:60]!r}" for s, p, y, t in zip(scores, predicted, labels, texts, strict=True) if p != y
    ]
    print(
        f"\nnanoguard @ {THRESHOLD}: TP={tp} FN={fn} FP={fp} TN={tn} accuracy={accuracy:.4f}",
        *wrong,
        sep="\n  ",
    )
    assert accuracy >= ACCURACY_BAR, wrong


def test_a_text_scores_the_same_alone_or_batched_with_others(nanoguard: PromptGuardClassifier) -> None:
    texts = [BENIGN[0], ATTACK[1], prose(6), ATTACK[6]]
    together = nanoguard.scores(texts)
    alone = [nanoguard.scores([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert a.injection == pytest.approx(b.injection, abs=1e-5)


def test_an_injection_anywhere_in_a_long_document_is_caught(nanoguard: PromptGuardClassifier) -> None:
    document = prose(110)  # ~2900 tokens: about 120 windows
    injection = EMBEDDED_INJECTIONS[0]
    benign, at_end, in_middle = nanoguard.scores(
        [document, f"{document} {injection}", insert_in_middle(document, injection)]
    )
    assert benign.score("injection") < THRESHOLD
    assert at_end.score("injection") >= THRESHOLD
    assert in_middle.score("injection") >= THRESHOLD


# --- the transformers backend, on a tiny random DeBERTa-v2 built here ---

TINY_MAX_POSITIONS = 64
CORPUS = [*BENIGN, *ATTACK, prose(40)]


def _tiny_tokenizer() -> Any:
    """A WordPiece tokenizer trained on the test texts: no sentencepiece model or download needed."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    tok.train_from_iterator(CORPUS, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)]
    )
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        model_max_length=TINY_MAX_POSITIONS,
    )


def _save_tiny_checkpoint(path: Path, id2label: dict[int, str], *, head: bool = True) -> Any:
    """A randomly initialised DeBERTa-v2 shaped like Prompt-Guard (relative attention), saved to ``path``."""
    tokenizer = _tiny_tokenizer()
    config = transformers.DebertaV2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=TINY_MAX_POSITIONS,
        type_vocab_size=0,
        relative_attention=True,
        position_biased_input=False,
        position_buckets=16,
        pos_att_type=["p2c", "c2p"],
        share_att_key=True,
        norm_rel_ebd="layer_norm",
        # A wide init so the random head's probabilities differ between windows.
        initializer_range=0.5,
        pad_token_id=tokenizer.pad_token_id,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    torch.manual_seed(0)
    cls = transformers.DebertaV2ForSequenceClassification if head else transformers.DebertaV2Model
    model = cls(config).eval()
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return model, tokenizer


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, Any]:
    path = tmp_path_factory.mktemp("prompt-guard-tiny")
    model, tokenizer = _save_tiny_checkpoint(path, {0: "BENIGN", 1: "INJECTION", 2: "JAILBREAK"})
    return path, model, tokenizer


def _direct_probs(model: Any, ids: list[int]) -> list[float]:
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([ids])).logits
    return torch.softmax(logits, dim=-1)[0].tolist()


def test_checkpoint_scores_follow_metas_prompt_guard_recipe(tiny: tuple[Path, Any, Any]) -> None:
    path, model, tokenizer = tiny
    classifier = load_classifier(str(path))
    assert (classifier.name, classifier.max_window_tokens) == (path.name, TINY_MAX_POSITIONS)
    texts = [BENIGN[0], ATTACK[0], ATTACK[4], ""]
    for text, got in zip(texts, classifier.scores(texts), strict=True):
        benign, injection, jailbreak = _direct_probs(model, tokenizer(text)["input_ids"])
        assert got.benign == pytest.approx(benign, abs=1e-5)
        assert got.jailbreak == pytest.approx(jailbreak, abs=1e-5)
        assert got.injection == pytest.approx(injection + jailbreak, abs=1e-5)
        assert 0.0 <= got.jailbreak <= got.injection <= 1.0


@pytest.mark.parametrize(("window_tokens", "window_stride"), [(None, None), (24, 10)])
def test_checkpoint_long_text_scores_the_max_over_overlapping_windows(
    tiny: tuple[Path, Any, Any], window_tokens: int | None, window_stride: int | None
) -> None:
    path, model, tokenizer = tiny
    classifier = load_classifier(str(path), window_tokens=window_tokens, window_stride=window_stride)
    text = prose(12, seed=7)
    ids = tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]
    content = (window_tokens or TINY_MAX_POSITIONS) - 2  # [CLS] ... [SEP]
    stride = window_stride or content - content // 2
    # Hugging Face's overflow windows: every `stride` tokens until one reaches the end.
    starts = [0]
    while starts[-1] + content < len(ids):
        starts.append(starts[-1] + stride)
    assert len(starts) >= 3
    windows = [
        _direct_probs(model, [tokenizer.cls_token_id, *ids[s : s + content], tokenizer.sep_token_id])
        for s in starts
    ]
    (got,) = classifier.scores([text])
    assert got.jailbreak == pytest.approx(max(p[2] for p in windows), abs=1e-5)
    assert got.injection == pytest.approx(max(p[1] + p[2] for p in windows), abs=1e-5)
    assert got.benign == pytest.approx(min(p[0] for p in windows), abs=1e-5)
    # Scored with the other texts' windows in the same batches, it is unchanged.
    assert classifier.scores([BENIGN[1], text, ATTACK[2]])[1].injection == pytest.approx(
        got.injection, abs=1e-5
    )


def test_a_two_label_checkpoint_reads_label_1_as_injection(tmp_path: Path) -> None:
    model, tokenizer = _save_tiny_checkpoint(tmp_path, {0: "LABEL_0", 1: "LABEL_1"})
    (got,) = load_classifier(str(tmp_path)).scores([ATTACK[0]])
    safe, attack = _direct_probs(model, tokenizer(ATTACK[0])["input_ids"])
    assert (got.benign, got.injection, got.jailbreak) == pytest.approx((safe, attack, attack), abs=1e-5)


def test_loading_a_missing_directory_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "Prompt-Guard-86M"
    with pytest.raises(FileNotFoundError, match="Prompt-Guard-86M"):
        load_classifier(str(missing))


def test_a_directory_that_is_not_a_sequence_classifier_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"no config\.json"):
        load_classifier(str(tmp_path))
    _save_tiny_checkpoint(tmp_path, {0: "BENIGN", 1: "INJECTION", 2: "JAILBREAK"}, head=False)
    with pytest.raises(ValueError, match=r"not a sequence-classification checkpoint.*DebertaV2Model"):
        load_classifier(str(tmp_path))


def test_labels_that_are_not_prompt_guards_are_refused(tmp_path: Path) -> None:
    _save_tiny_checkpoint(tmp_path / "three", {0: "POSITIVE", 1: "NEGATIVE", 2: "NEUTRAL"})
    with pytest.raises(ValueError, match="benign/injection/jailbreak"):
        load_classifier(str(tmp_path / "three"))
    _save_tiny_checkpoint(tmp_path / "four", {i: f"L{i}" for i in range(4)})
    with pytest.raises(ValueError, match="2- or 3-label"):
        load_classifier(str(tmp_path / "four"))


def test_a_window_larger_than_the_model_or_a_stride_past_it_is_refused(tiny: tuple[Path, Any, Any]) -> None:
    path, _, _ = tiny
    with pytest.raises(ValueError, match="exceeds the model's maximum length 64"):
        load_classifier(str(path), window_tokens=65)
    with pytest.raises(ValueError, match="window_stride=63 exceeds"):
        load_classifier(str(path), window_stride=63)
    with pytest.raises(ValueError, match="window_stride must be positive"):
        load_classifier(None, window_stride=0)
