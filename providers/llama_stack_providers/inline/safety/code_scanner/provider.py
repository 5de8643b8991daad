"""``inline::code-scanner``: a shield that flags insecure code in the messages it is given."""

from __future__ import annotations

import asyncio
from typing import Any

from llama_stack_api.inference import Message
from llama_stack_api.safety import (
    ModerationObject,
    ModerationResult,
    RunShieldResponse,
    SafetyViolation,
    ViolationLevel,
)
from llama_stack_providers.utils.safety import (
    ShieldProvider,
    message_text,
    moderation_id,
    moderation_inputs,
    require_messages,
)

from ._model import Finding, Severity
from .config import CodeScannerConfig, CodeScannerShieldParams
from .scanner import scan_text

# moderation category reported by this shield (OpenAI's list has no insecure-code category)
CATEGORY = "insecure_code"
# texts up to this size are scanned on the event loop (well under a millisecond); longer ones in a thread
_INLINE_CHARS = 4_000


class CodeScannerSafety(ShieldProvider[CodeScannerShieldParams]):
    """Implements ``Safety``: findings at ``block_severity`` or above are ``error`` violations."""

    def __init__(self, config: CodeScannerConfig) -> None:
        super().__init__(CodeScannerShieldParams, config.model_dump)
        self.config = config

    async def run_shield(
        self, shield_id: str, messages: list[Message], params: dict[str, Any] | None = None
    ) -> RunShieldResponse:
        require_messages(messages)
        shield_params = self.shields.params(shield_id, params)
        chosen = messages if shield_params.scan == "all" else messages[-1:]
        findings: list[Finding] = []
        for message in chosen:
            findings.extend(await _scan(message_text(message)))
        return RunShieldResponse(violation=_violation(_kept(findings, shield_params), shield_params))

    async def run_moderation(self, input: str | list[str], model: str | None = None) -> ModerationObject:
        shield_params = self.shields.params(model or "")
        results = []
        for text in moderation_inputs(input):
            findings = _kept(await _scan(text), shield_params)
            worst = max((f.severity for f in findings), default=None)
            block = Severity.parse(shield_params.block_severity)
            flagged = worst is not None and worst >= block
            violation = _violation(findings, shield_params)
            results.append(
                ModerationResult(
                    flagged=flagged,
                    categories={CATEGORY: flagged},
                    # the worst finding's severity on a 0-1 scale (critical = 1.0)
                    category_scores={CATEGORY: (worst / Severity.critical) if worst is not None else 0.0},
                    category_applied_input_types={CATEGORY: ["text"]},
                    user_message=violation.user_message if violation else None,
                    metadata=violation.metadata if violation else {"findings": []},
                )
            )
        return ModerationObject(id=moderation_id(), model=model or "", results=results)


async def _scan(text: str) -> list[Finding]:
    if len(text) <= _INLINE_CHARS:
        return scan_text(text)
    return await asyncio.to_thread(scan_text, text)


def _kept(findings: list[Finding], params: CodeScannerShieldParams) -> list[Finding]:
    ignored = set(params.ignore_rules)
    return [f for f in findings if f.rule_id not in ignored]


def _violation(findings: list[Finding], params: CodeScannerShieldParams) -> SafetyViolation | None:
    block = Severity.parse(params.block_severity)
    warn = Severity.parse(params.warn_severity)
    reported = [f for f in findings if f.severity >= min(block, warn)]
    if not reported:
        return None
    worst = max(f.severity for f in reported)
    level = ViolationLevel.error if worst >= block else ViolationLevel.warn
    first = max(reported, key=lambda f: (f.severity, -f.line))
    more = f" and {len(reported) - 1} more finding(s)" if len(reported) > 1 else ""
    return SafetyViolation(
        violation_level=level,
        user_message=(
            f"Insecure code: {first.message.rstrip('.')} ({first.rule_id}, line {first.line}, {first.severity.name}){more}."
        ),
        metadata={
            "violation_type": ",".join(sorted({f.rule_id for f in reported})),
            "categories": {CATEGORY: True} if level == ViolationLevel.error else {},
            "findings": [
                {
                    "rule_id": f.rule_id,
                    "language": f.language,
                    "line": f.line,
                    "severity": f.severity.name,
                    "cwe": f.cwe,
                    "message": f.message,
                    "snippet": f.snippet,
                }
                for f in reported
            ],
        },
    )


async def create(config: CodeScannerConfig, deps: dict[Any, Any]) -> CodeScannerSafety:
    return CodeScannerSafety(config)
