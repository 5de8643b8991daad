"""Llama Guard 3: its hazard categories, the per-model category sets, the classifier prompt, and its verdicts."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Role = Literal["User", "Agent"]


@dataclass(frozen=True)
class Category:
    """One hazard category as the prompt lists it: ``S1: Violent Crimes.``."""

    code: str
    name: str


# The names are the ones Meta's Llama Guard 3 prompts use (the prompt-format docs at llama.com, the
# Hugging Face chat templates of 3-1B / 3-11B-Vision, llama-recipes), which the models were fine-tuned
# on. The model cards' hazard table spells three of them differently; see TAXONOMY_NAMES.
ALL_CATEGORIES: tuple[Category, ...] = (
    Category("S1", "Violent Crimes"),
    Category("S2", "Non-Violent Crimes"),
    Category("S3", "Sex Crimes"),
    Category("S4", "Child Exploitation"),
    Category("S5", "Defamation"),
    Category("S6", "Specialized Advice"),
    Category("S7", "Privacy"),
    Category("S8", "Intellectual Property"),
    Category("S9", "Indiscriminate Weapons"),
    Category("S10", "Hate"),
    Category("S11", "Self-Harm"),
    Category("S12", "Sexual Content"),
    Category("S13", "Elections"),
    Category("S14", "Code Interpreter Abuse"),
)

# The model cards' (MLCommons) names where they differ from the prompt's; accepted as exclusions too.
TAXONOMY_NAMES: Mapping[str, str] = {
    "S3": "Sex-Related Crimes",
    "S4": "Child Sexual Exploitation",
    "S11": "Suicide & Self-Harm",
}

_BY_CODE = {c.code: c for c in ALL_CATEGORIES}
# S14 exists for tool-call safety and only the 8B model was trained on it (3-1B and 3-11B-Vision cards: 13 categories)
_WITHOUT_S14 = ALL_CATEGORIES[:13]
# "Llama-Guard-3-1B-INT4", "meta-llama/Llama-Guard-3-11B-Vision", "llama-guard3:1b" all squash to llamaguard3<size>b
_SIZE = re.compile(r"llamaguard3(11|1|8)b")


def categories_for_model(model_id: str) -> tuple[Category, ...]:
    """The categories a Llama Guard 3 checkpoint was trained on; S1–S14 for any name it cannot place.

    The size is read from the name with case, punctuation and any path prefix ignored. S1–S14 is the
    default because it is the 8B model's set (ollama's ``llama-guard3:latest`` is the 8B) and a
    superset of the others; Llama Guard 2 and 4 are not Llama Guard 3 and also get it.
    """
    found = _SIZE.search(re.sub(r"[^a-z0-9]", "", model_id.lower()))
    if found is not None and found.group(1) in ("1", "11"):
        return _WITHOUT_S14
    return ALL_CATEGORIES


def _resolve_excluded(excluded: Collection[str]) -> set[str]:
    """S-codes for exclusions given as codes or names, in any case; unknown ones are an error."""
    lookup: dict[str, str] = {}
    for category in ALL_CATEGORIES:
        lookup[category.code.lower()] = category.code
        lookup[category.name.lower()] = category.code
    for taxonomy_code, name in TAXONOMY_NAMES.items():
        lookup[name.lower()] = taxonomy_code
    codes: set[str] = set()
    for item in excluded:
        code = lookup.get(item.strip().lower())
        if code is None:
            valid = ", ".join(c.code for c in ALL_CATEGORIES)
            raise ValueError(f"unknown Llama Guard category {item!r}: expected one of {valid} (or its name)")
        codes.add(code)
    return codes


# Text that spells a Llama 3 special token: servers that render a prompt to text and tokenize it with
# special tokens parsed (vLLM, llama.cpp, ollama) would read it as a real turn boundary, letting a
# message close the conversation and answer for the guard. A zero-width space keeps it text.
_SPECIAL = re.compile(
    r"<\|(?=(?:begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|eom_id|python_tag|image"
    r"|step_id|finetune_right_pad_id|reserved_special_token_\d+)\|>)"
)


def _defuse(text: str) -> str:
    return _SPECIAL.sub("<\u200b|", text)


def build_prompt(
    conversation: Sequence[tuple[str, str]],
    *,
    role: Role,
    categories: Sequence[Category],
    excluded: Collection[str] = (),
) -> str:
    """The Llama Guard 3 classifier prompt (the content of its one user turn) for ``conversation``.

    ``conversation`` holds ``(role, text)`` pairs with role ``"User"`` or ``"Agent"``; the model is
    asked about the last message of ``role``, which must occur (Meta: when assessing a User message,
    leave the Agent's answer out). Excluded categories are left out of the list and the others keep
    their S-codes, as Meta's chat template does with ``excluded_category_keys`` (llama-recipes'
    renumbering helper would make a verdict's codes mean different things per configuration).
    Message texts are stripped, as Meta's template does.
    """
    if not conversation:
        raise ValueError("the conversation to assess is empty")
    for who, _ in conversation:
        if who not in ("User", "Agent"):
            raise ValueError(f"conversation roles are 'User' or 'Agent', not {who!r}")
    if all(who != role for who, _ in conversation):
        raise ValueError(f"the conversation has no {role} message to assess")
    dropped = _resolve_excluded(excluded)
    listed = [c for c in categories if c.code not in dropped]
    if not listed:
        raise ValueError("every category is excluded: there is nothing left to assess")
    category_lines = "\n".join(f"{c.code}: {c.name}." for c in listed)
    turns = "\n\n".join(f"{who}: {_defuse(text.strip())}" for who, text in conversation)
    return (
        f"Task: Check if there is unsafe content in '{role}' messages in conversations"
        " according our safety policy with the below categories.\n\n"
        f"<BEGIN UNSAFE CONTENT CATEGORIES>\n{category_lines}\n<END UNSAFE CONTENT CATEGORIES>\n\n"
        f"<BEGIN CONVERSATION>\n\n{turns}\n\n<END CONVERSATION>\n\n"
        f"Provide your safety assessment for ONLY THE LAST {role} message in the above conversation:\n"
        " - First line must read 'safe' or 'unsafe'.\n"
        " - If unsafe, a second line must include a comma-separated list of violated categories."
    )


def llama3_completion_prompt(user_content: str, *, with_bos: bool) -> str:
    """``user_content`` as one Llama 3 user turn plus the assistant header, for a raw completion endpoint.

    ``with_bos=False`` for servers that add ``<|begin_of_text|>`` themselves (a doubled BOS degrades
    the answer).
    """
    bos = "<|begin_of_text|>" if with_bos else ""
    return (
        f"{bos}<|start_header_id|>user<|end_header_id|>\n\n{user_content}"
        "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    )


def role_label(role: str) -> Role | None:
    """The prompt's name for a chat role; ``None`` for system/developer messages, which are left out.

    Llama Guard knows two parties. The assistant is the Agent; tool and ipython results are text
    the agent did not write, coming from outside like the user's, so they are assessed as User.
    System and developer prompts are the operator's own instructions, not conversation content.
    """
    match role.lower():
        case "user" | "tool" | "ipython":
            return "User"
        case "assistant":
            return "Agent"
        case "system" | "developer":
            return None
    raise ValueError(f"unknown chat role {role!r}")


@dataclass(frozen=True)
class Verdict:
    """The guard's answer: ``safe``, or unsafe with the violated S-codes (possibly none given)."""

    safe: bool
    violated: tuple[str, ...] = ()


class UnparseableVerdict(ValueError):
    """The guard answered something that is not a Llama Guard verdict over the prompt's categories."""

    def __init__(self, raw: str, reason: str) -> None:
        super().__init__(f"unparseable Llama Guard answer ({reason}): {raw[:200]!r}")
        self.raw = raw


# end-of-turn markers that a completion endpoint may leave in the text
_TRAILERS = ("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>")


def parse_verdict(raw: str, *, categories: Sequence[Category]) -> Verdict:
    """Read ``safe`` / ``unsafe\\nS1,S10``, tolerating case, spacing and a trailing end-of-turn token.

    ``unsafe`` without a category line is ``Verdict(False, ())``: the model judged the message
    unsafe, so it is reported as unsafe with no category named. Codes outside ``categories`` (the
    ones the prompt listed), extra lines, and anything else raise ``UnparseableVerdict``.
    """
    text = raw.strip()
    while text.endswith(_TRAILERS):
        text = text[: text.rindex("<|")].rstrip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise UnparseableVerdict(raw, "empty")
    head = lines[0].lower()
    if head == "safe" and len(lines) == 1:
        return Verdict(True)
    if head != "unsafe" or len(lines) > 2:
        raise UnparseableVerdict(raw, "expected 'safe' or 'unsafe' and at most one line of categories")
    if len(lines) == 1:
        return Verdict(False)
    known = {c.code for c in categories}
    codes: list[str] = []
    for part in lines[1].split(","):
        code = part.strip().upper()
        if code not in known:
            raise UnparseableVerdict(raw, f"{part.strip()!r} is not one of the prompt's categories")
        if code not in codes:
            codes.append(code)
    return Verdict(False, tuple(codes))


def category_by_code(code: str) -> Category:
    """The category with S-code ``code``; ``KeyError`` for an unknown code."""
    return _BY_CODE[code]
