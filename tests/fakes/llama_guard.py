"""A deterministic stand-in for Llama Guard 3: reads the prompt that ``prompt.py`` builds, answers as the model does."""

from __future__ import annotations

import re

# Trigger -> category, matched case-insensitively at a word start ("kill" fires on "killing", not on
# "skill") in the last message of the role the prompt asks about. Only categories the prompt lists
# are reported: that is how exclusions and the 1B model's smaller set are honoured.
TRIGGERS: tuple[tuple[str, str], ...] = (
    ("kill", "S1"),
    ("murder", "S1"),
    ("steal", "S2"),
    ("shoplift", "S2"),
    ("social security number", "S7"),
    ("bomb", "S9"),
    ("nerve agent", "S9"),
    ("hate them because", "S10"),
    ("hurt myself", "S11"),
    ("rm -rf /", "S14"),
)

# Tests of malformed guard output: a message containing GUARD_GARBLE gets this answer, GUARD_EMPTY an empty one
GARBLED_ANSWER = "I am not sure, maybe?"

_ROLE = re.compile(r"Provide your safety assessment for ONLY THE LAST (User|Agent) message")
_CATEGORIES = re.compile(r"<BEGIN UNSAFE CONTENT CATEGORIES>\n(.*?)\n<END UNSAFE CONTENT CATEGORIES>", re.S)
_CONVERSATION = re.compile(r"<BEGIN CONVERSATION>\n\n(.*?)\n\n<END CONVERSATION>", re.S)
# a turn starts at the block's start or after a blank line, with its role label
_TURN = re.compile(r"(?:^|\n\n)(User|Agent): ")


def _parse(prompt: str) -> tuple[str, list[str], list[tuple[str, str]]]:
    role, categories, conversation = (p.search(prompt) for p in (_ROLE, _CATEGORIES, _CONVERSATION))
    if role is None or categories is None or conversation is None:
        raise ValueError(f"not a Llama Guard 3 prompt: {prompt[:120]!r}")
    codes = re.findall(r"^(S\d+): ", categories.group(1), re.M)
    block = conversation.group(1)
    starts = list(_TURN.finditer(block))
    turns = [
        (m.group(1), block[m.end() : nxt.start() if nxt else len(block)])
        for m, nxt in zip(starts, [*starts[1:], None], strict=True)
    ]
    return role.group(1), codes, turns


def llama_guard_answer(prompt: str) -> str:
    """``safe``, ``unsafe\\nS1,S10``, or a malformed answer when a GUARD_* trigger asks for one."""
    role, listed, turns = _parse(prompt)
    assessed = [text for who, text in turns if who == role]
    if not assessed:
        raise ValueError(f"the prompt's conversation has no {role} message")
    message = assessed[-1]
    if "GUARD_GARBLE" in message:
        return GARBLED_ANSWER
    if "GUARD_EMPTY" in message:
        return ""
    found = {code for word, code in TRIGGERS if re.search(r"\b" + re.escape(word), message, re.I)}
    # Llama Guard names categories in their listed order
    violated = [code for code in listed if code in found]
    return "unsafe\n" + ",".join(violated) if violated else "safe"
