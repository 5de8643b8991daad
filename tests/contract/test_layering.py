"""The contract depends on nothing of ours: `llama_stack_api` never imports the framework or providers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import llama_stack_api

CONTRACT = Path(llama_stack_api.__file__).parent
FORBIDDEN = ("llama_stack", "llama_stack_providers")
# pydantic_core ships with pydantic (custom types such as UploadFile declare their schema with it)
ALLOWED_THIRD_PARTY = {"pydantic", "pydantic_core", "pluggy", "typing_extensions"}


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_contract_source_imports_neither_framework_nor_providers() -> None:
    offenders = [
        f"{path.relative_to(CONTRACT)}: {name}"
        for path in CONTRACT.rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert offenders == []


def test_contract_third_party_imports_are_pydantic_and_pluggy_only() -> None:
    stdlib = set(sys.stdlib_module_names)
    third_party = {
        name.split(".")[0]
        for path in CONTRACT.rglob("*.py")
        for name in _imports(path)
        if name.split(".")[0] not in stdlib and name.split(".")[0] != "llama_stack_api"
    }
    assert third_party <= ALLOWED_THIRD_PARTY, third_party - ALLOWED_THIRD_PARTY


def test_importing_every_contract_module_loads_no_framework_module() -> None:
    code = (
        "import sys, llama_stack_api\n"
        "for api in llama_stack_api.available_apis(): llama_stack_api.api_spec(api)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('llama_stack', 'llama_stack_providers'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
