"""Llama Guard 3 categories as OpenAI moderation categories: the one table, quoted in the user docs.

| Llama Guard 3              | OpenAI moderation categories flagged                |
| -------------------------- | --------------------------------------------------- |
| S1 Violent Crimes          | violence, illicit, illicit/violent                  |
| S2 Non-Violent Crimes      | illicit                                             |
| S3 Sex Crimes              | sexual, illicit, illicit/violent                    |
| S4 Child Exploitation      | sexual, sexual/minors                               |
| S5 Defamation              | llama-guard/defamation                              |
| S6 Specialized Advice      | llama-guard/specialized-advice                      |
| S7 Privacy                 | llama-guard/privacy                                 |
| S8 Intellectual Property   | llama-guard/intellectual-property                   |
| S9 Indiscriminate Weapons  | violence, illicit, illicit/violent                  |
| S10 Hate                   | hate                                                |
| S11 Self-Harm              | self-harm                                           |
| S12 Sexual Content         | sexual                                              |
| S13 Elections              | llama-guard/elections                               |
| S14 Code Interpreter Abuse | llama-guard/code-interpreter-abuse                  |

How to read it:

- Every result has all thirteen OpenAI categories as keys, ``True`` where a violated Llama Guard
  category maps to it. A flagged subcategory always flags its parent too (``illicit/violent``
  comes with ``illicit``, ``sexual/minors`` with ``sexual``), as in OpenAI's own hierarchy.
- S3 is sex trafficking, sexual assault and sexual harassment, so violent wrongdoing as well as
  sexual; S9 (chemical, biological, radiological, nuclear and explosive weapons) is violence.
- Llama Guard 3 does not tell threats, intent, instructions or graphic depiction apart, so
  ``harassment``, ``harassment/threatening``, ``hate/threatening``, ``self-harm/intent``,
  ``self-harm/instructions`` and ``violence/graphic`` are never flagged: S10 is hate against a
  protected group, not harassment of a person, and S11 is only known to be self-harm.
- The categories with no OpenAI equivalent are reported under a key of their own,
  ``llama-guard/`` plus the Llama Guard name in lower case with dashes for spaces, present
  (and ``True``) only when violated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .prompt import ALL_CATEGORIES, category_by_code

OPENAI_MODERATION_CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

EXTRA_CATEGORY_PREFIX = "llama-guard/"

# S-code -> OpenAI categories; an empty tuple means "no equivalent, reported under its own key"
LLAMA_GUARD_TO_OPENAI: Mapping[str, tuple[str, ...]] = {
    "S1": ("violence", "illicit", "illicit/violent"),
    "S2": ("illicit",),
    "S3": ("sexual", "illicit", "illicit/violent"),
    "S4": ("sexual", "sexual/minors"),
    "S5": (),
    "S6": (),
    "S7": (),
    "S8": (),
    "S9": ("violence", "illicit", "illicit/violent"),
    "S10": ("hate",),
    "S11": ("self-harm",),
    "S12": ("sexual",),
    "S13": (),
    "S14": (),
}


def extra_category_key(code: str) -> str:
    """The result key for a Llama Guard category with no OpenAI equivalent: ``llama-guard/defamation``."""
    return EXTRA_CATEGORY_PREFIX + category_by_code(code).name.lower().replace(" ", "-")


def moderation_categories(violated: Iterable[str]) -> dict[str, bool]:
    """OpenAI moderation ``categories`` for the S-codes Llama Guard reported; unknown codes are a ``ValueError``."""
    result = dict.fromkeys(OPENAI_MODERATION_CATEGORIES, False)
    for code in violated:
        if code not in LLAMA_GUARD_TO_OPENAI:
            valid = ", ".join(c.code for c in ALL_CATEGORIES)
            raise ValueError(f"unknown Llama Guard category {code!r}: expected one of {valid}")
        mapped = LLAMA_GUARD_TO_OPENAI[code]
        for name in mapped:
            result[name] = True
        if not mapped:
            result[extra_category_key(code)] = True
    return result
