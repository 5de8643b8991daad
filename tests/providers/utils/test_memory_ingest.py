"""Ingestion for vector stores: file bytes to text per format, and text to overlapping token chunks."""

from __future__ import annotations

import codecs
import contextlib
import io
import itertools
import json
import random
import time

import pytest

from llama_stack_providers.utils.memory.ingest import _tokenizers
from llama_stack_providers.utils.memory.ingest.chunking import (
    RegexTokenizer,
    TextChunk,
    TiktokenTokenizer,
    Tokenizer,
    chunk_text,
    default_tokenizer,
)
from llama_stack_providers.utils.memory.ingest.extract import (
    SUPPORTED_MIME_TYPES,
    ExtractionError,
    UnsupportedFileType,
    detect_mime_type,
    extract_text,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(20)


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def make_pdf(pages: list[list[str]], *, title: str | None = None) -> bytes:
    """A minimal valid PDF written object by object: Helvetica text lines per page and an xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{4 + 2 * i} 0 R' for i in range(len(pages)))}] "
        f"/Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        ops = [
            "BT",
            "/F1 12 Tf",
            "14 TL",
            "72 720 Td",
            *(f"{_pdf_string(line)} Tj T*" for line in lines),
            "ET",
        ]
        stream = "\n".join(ops).encode("cp1252")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    info = ""
    if title is not None:
        objects.append(f"<< /Title {_pdf_string(title)} >>".encode())
        info = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


THREE_PAGES = [
    ["Quarterly report (draft)", "Revenue grew by 12 percent."],
    ["Second page: costs", "Caf\u00e9 expenses were flat."],
    ["Third page", "Outlook remains positive."],
]


# --- plain text and Markdown ---


def test_utf8_bom_is_dropped_and_newlines_normalised() -> None:
    result = extract_text(codecs.BOM_UTF8 + "Hello\r\nW\u00f6rld\rend".encode(), filename="notes.txt")
    assert result.text == "Hello\nW\u00f6rld\nend"
    assert result.mime_type == "text/plain"
    assert result.metadata["encoding"] == "utf-8"


def test_utf16_with_bom_and_without() -> None:
    assert extract_text("h\u00e9llo".encode("utf-16"), filename="a.txt").text == "h\u00e9llo"
    unmarked = extract_text("plain ascii text".encode("utf-16-le"), filename="a.txt")
    assert unmarked.text == "plain ascii text"


def test_legacy_western_text_is_read_as_cp1252_but_other_encodings_are_refused() -> None:
    result = extract_text("Caf\u00e9 cr\u00e8me \u2013 na\u00efve".encode("cp1252"), filename="menu.txt")
    assert result.text == "Caf\u00e9 cr\u00e8me \u2013 na\u00efve"
    assert result.metadata["encoding"] == "cp1252"
    with pytest.raises(ExtractionError, match="not valid UTF-8"):
        extract_text(
            "\u65e5\u672c\u8a9e\u306e\u6587\u7ae0\u3067\u3059".encode("shift_jis"), filename="ja.txt"
        )


def test_binary_bytes_named_txt_are_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match="NUL"):
        extract_text(b"abc\x00\x01\x02\xff\xfe" * 10, filename="data.txt")


def test_declared_charset_is_used_when_the_bytes_are_not_utf8() -> None:
    data = "\u0416\u0443\u043a".encode("koi8_r")
    assert (
        extract_text(data, filename="r.txt", mime_type="text/plain; charset=koi8-r").text
        == "\u0416\u0443\u043a"
    )


def test_markdown_keeps_headings_and_code_blocks() -> None:
    source = "# Setup guide\n\nIntro *text*.\n\n## Install\n\n```bash\n# not a title\npip install x\n```\n"
    result = extract_text(source.encode(), filename="README.md")
    assert result.mime_type == "text/markdown"
    assert result.text == source
    assert result.metadata["title"] == "Setup guide"


# --- HTML ---

PAGE = b"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>  Release   notes </title>
<style>body { color: red }</style><script>var s = "<p>hidden</p>";</script></head>
<body><h1>Version 2</h1><p>Fixes &amp; improvements &lt;fast&gt; &eacute;t&eacute; &#x1F600;</p>
<ul><li>first</li><li> second </li></ul>
<table><tr><th>name</th><th>value</th></tr><tr><td>a</td><td>1</td></tr></table>
<pre>def f():
    return 1</pre><div>line<br>break</div><noscript>enable javascript</noscript></body></html>"""


def test_html_visible_text_with_structure() -> None:
    result = extract_text(PAGE, filename="notes.html")
    assert result.mime_type == "text/html"
    assert result.metadata["title"] == "Release notes"
    assert result.text == (
        "Version 2\n\nFixes & improvements <fast> \u00e9t\u00e9 \U0001f600\n\n- first\n- second\n\n"
        "name | value\na | 1\n\ndef f():\n    return 1\n\nline\nbreak"
    )
    for hidden in ("color", "hidden", "javascript", "Release"):
        assert hidden not in result.text


def test_html_without_closing_head_keeps_the_body() -> None:
    result = extract_text(b"<html><head><title>T</title><p>Body text</p>", filename="x.htm")
    assert result.text == "Body text"
    assert result.metadata["title"] == "T"
    unclosed_title = extract_text(b"<title>T<body><p>Body text</p>", filename="x.htm")
    assert (unclosed_title.metadata["title"], unclosed_title.text) == ("T", "Body text")


def test_html_meta_charset_and_sniffing_without_extension() -> None:
    data = '<html><head><meta charset="windows-1252"></head><body>Caf\u00e9</body></html>'.encode("cp1252")
    result = extract_text(data, filename="download")
    assert (result.mime_type, result.text) == ("text/html", "Caf\u00e9")


def test_deeply_nested_html_is_fine() -> None:
    started = time.perf_counter()
    result = extract_text(b"<div>" * 50_000 + b"deep" + b"</div>" * 50_000, filename="deep.html")
    assert result.text == "deep"
    assert time.perf_counter() - started < 5


# --- JSON and JSON Lines ---


def test_json_renders_paths_and_flattens_arrays() -> None:
    doc: dict[str, object] = {
        "name": "widget",
        "specs": {"size": {"w": 3, "h": 4}, "tags": ["a", "b"]},
        "parts": [{"id": 1}, {"id": 2}],
        "ok": True,
        "none": None,
        "empty": {},
    }
    result = extract_text(json.dumps(doc).encode(), filename="w.json")
    assert result.mime_type == "application/json"
    assert result.text.split("\n") == [
        "name: widget",
        "",
        "specs.size.w: 3",
        "specs.size.h: 4",
        "specs.tags: a, b",
        "",
        "parts[0].id: 1",
        "parts[1].id: 2",
        "ok: true",
        "none: null",
        "empty: {}",
    ]


def test_json_array_of_records_and_jsonl() -> None:
    records = [{"q": "What?", "a": {"text": "This."}}, {"q": "Why?", "a": {"text": "Because."}}]
    expected = "q: What?\na.text: This.\n\nq: Why?\na.text: Because."
    assert extract_text(json.dumps(records).encode(), filename="faq.json").text == expected
    lines = "\n".join(json.dumps(r) for r in records).encode()
    jsonl = extract_text(lines + b"\n\n", filename="faq.jsonl")
    assert (jsonl.mime_type, jsonl.text) == ("application/x-ndjson", expected)
    # One object per line in a file called .json is read as JSON Lines.
    assert extract_text(lines, filename="faq.json").mime_type == "application/x-ndjson"


def test_invalid_json_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError, match="invalid JSON"):
        extract_text(b'{"a": 1,,}', filename="bad.json")
    with pytest.raises(ExtractionError, match="line 2"):
        extract_text(b'{"a": 1}\n{oops}\n', filename="bad.jsonl")


def test_text_that_only_looks_like_json_is_read_as_text() -> None:
    result = extract_text(b"[draft] meeting notes [end]", filename="notes")
    assert (result.mime_type, result.text) == ("text/plain", "[draft] meeting notes [end]")


def test_deeply_nested_json_does_not_crash() -> None:
    with pytest.raises(ExtractionError, match="nested too deeply"):
        extract_text(b"[" * 200_000 + b"]" * 200_000, filename="bomb.json")
    deep: object = "bottom"
    for _ in range(300):
        deep = {"k": deep}
    text = extract_text(json.dumps(deep).encode(), filename="deep.json").text
    assert text.startswith("k." * 15 + "k: {")
    assert '"bottom"' in text


# --- CSV ---


def test_csv_rows_name_their_columns() -> None:
    data = b'name;city;note\nAlice;Paris;"likes ; semicolons"\nBob;;"two\nlines"\n\n'
    result = extract_text(data, filename="people.csv")
    assert result.mime_type == "text/csv"
    assert result.text == "name: Alice; city: Paris; note: likes ; semicolons\nname: Bob; note: two lines"
    assert result.metadata | {"encoding": None} == {
        "encoding": None,
        "rows": 2,
        "delimiter": ";",
        "columns": 3,
    }


def test_tsv_extra_cells_and_header_only() -> None:
    assert extract_text(b"a\t\n1\t2\t3\n", filename="t.tsv").text == "a: 1; column_2: 2; column_3: 3"
    assert extract_text(b"id,title\n", filename="empty.csv").text == "columns: id, title"


# --- PDF ---


def test_pdf_pages_and_title() -> None:
    pytest.importorskip("pypdf")
    result = extract_text(make_pdf(THREE_PAGES, title="Q3 report"), filename="report.pdf")
    assert result.mime_type == "application/pdf"
    assert result.metadata == {"pages": 3, "title": "Q3 report"}
    assert result.text.split("\n\n") == ["\n".join(lines) for lines in THREE_PAGES]


def test_pdf_is_recognised_by_content() -> None:
    pytest.importorskip("pypdf")
    result = extract_text(make_pdf([["hello"]]), filename="upload.bin", mime_type="application/octet-stream")
    assert (result.mime_type, result.text) == ("application/pdf", "hello")


def test_corrupt_pdfs_are_extraction_errors() -> None:
    pytest.importorskip("pypdf")
    pdf = make_pdf(THREE_PAGES)
    for broken in (b"%PDF-1.7\n" + bytes(range(256)) * 4, pdf[: len(pdf) // 2], b"%PDF-"):
        with pytest.raises(ExtractionError, match="PDF"):
            extract_text(broken, filename="broken.pdf")
    # Random damage: every outcome is text or an ExtractionError, never another exception.
    rng = random.Random(7)
    for _ in range(300):
        damaged = bytearray(pdf)
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(damaged))
            damaged[position : position + rng.randint(0, 8)] = rng.randbytes(rng.randint(0, 4))
        with contextlib.suppress(ExtractionError):
            extract_text(bytes(damaged), filename="damaged.pdf")


def test_encrypted_pdfs() -> None:
    pypdf = pytest.importorskip("pypdf")

    def encrypt(user_password: str) -> bytes:
        writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(make_pdf(THREE_PAGES))))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    with pytest.raises(ExtractionError, match="password"):
        extract_text(encrypt("secret"), filename="locked.pdf")
    # Encrypted only against editing (empty user password): readable.
    assert "Outlook remains positive." in extract_text(encrypt(""), filename="open.pdf").text


# --- types ---


@pytest.mark.parametrize(
    ("filename", "data", "declared"),
    [
        ("photo.png", PNG, "image/png"),
        ("photo.txt", PNG, "text/plain"),  # the magic number beats name and declared type
        ("archive.zip", ZIP, None),
        ("letter.docx", ZIP, "application/octet-stream"),
        ("blob.bin", bytes(range(256)), None),
        ("clip.mp3", b"ID3\x03\x00" + bytes(50), None),
    ],
)
def test_unsupported_types(filename: str, data: bytes, declared: str | None) -> None:
    with pytest.raises(UnsupportedFileType) as error:
        extract_text(data, filename=filename, mime_type=declared)
    message = str(error.value)
    assert filename in message
    assert all(mime in message for mime in SUPPORTED_MIME_TYPES)


@pytest.mark.parametrize(
    ("filename", "data", "declared", "expected"),
    [
        ("a.md", b"# x", "text/plain", "text/markdown"),  # the extension refines a generic text/plain
        ("a.csv", b"a,b", "application/vnd.ms-excel", "text/csv"),  # what Windows browsers send
        ("a.txt", b"{}", "application/json", "application/json"),  # a specific declaration wins
        ("a.py", b"print(1)", None, "text/plain"),
        ("a", b"print(1)", "text/x-python", "text/plain"),
        ("a", b'  {"k": [1]}\n', "application/octet-stream", "application/json"),
        ("a", b"<!-- c --><html><body>x", None, "text/html"),
        ("a", b"[draft] notes", None, "text/plain"),
        ("a", "text".encode("utf-16"), None, "text/plain"),
        ("logo.svg", b"<svg/>", None, "image/svg+xml"),
        ("a", "na\u00efve".encode(), "", "text/plain"),
        ("a.webmanifest", b"{}", "application/manifest+json", "application/json"),
    ],
)
def test_detect_mime_type(filename: str, data: bytes, declared: str | None, expected: str) -> None:
    assert detect_mime_type(filename, data, declared) == expected


def test_output_limit() -> None:
    with pytest.raises(ExtractionError, match="exceeds the limit"):
        extract_text(json.dumps([{"k": "v" * 50}] * 100).encode(), filename="big.json", max_chars=1000)
    assert extract_text(b"short", filename="a.txt", max_chars=5).text == "short"


# --- chunking ---

PARAGRAPH = (
    "The quick brown fox jumps over the lazy dog while the river runs past the mill. "
    "Engineers measured the flow and wrote down every reading in a small notebook. "
)


def _prose(paragraphs: int) -> str:
    return "\n\n".join(f"Section {i}. " + PARAGRAPH * (1 + i % 4) for i in range(paragraphs))


def _check_windows(chunks: list[TextChunk], total: int, max_size: int, overlap: int) -> None:
    """Sizes within bounds, consecutive windows overlapping by at least ``overlap``, and full coverage."""
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].start_token == 0
    assert chunks[-1].start_token + chunks[-1].token_count == total
    for chunk in chunks:
        assert 0 < chunk.token_count <= max_size
    for before, after in itertools.pairwise(chunks):
        shared = before.start_token + before.token_count - after.start_token
        assert overlap <= shared <= overlap + 8  # more only to keep a character whole
        assert after.start_token > before.start_token


@pytest.mark.parametrize(("max_size", "overlap"), [(800, 400), (100, 0), (256, 64), (4096, 2048)])
def test_windows_respect_size_overlap_and_cover_the_text(max_size: int, overlap: int) -> None:
    text = _prose(120)
    tokenizer = default_tokenizer()
    total = len(tokenizer.encode(text))
    chunks = chunk_text(text, max_chunk_size_tokens=max_size, chunk_overlap_tokens=overlap)
    _check_windows(chunks, total, max_size, overlap)
    # The parts that each window adds over its predecessor rebuild the text exactly.
    rebuilt = chunks[0].text
    for before, after in itertools.pairwise(chunks):
        shared = before.start_token + before.token_count - after.start_token
        rebuilt += tokenizer.decode(tokenizer.encode(after.text)[shared:])
    assert rebuilt == text


def test_overlap_repeats_the_end_of_the_previous_chunk() -> None:
    chunks = chunk_text(_prose(40), max_chunk_size_tokens=200, chunk_overlap_tokens=50)
    for before, after in itertools.pairwise(chunks):
        shared = before.start_token + before.token_count - after.start_token
        assert shared == 50
        tokenizer = default_tokenizer()
        assert tokenizer.decode(tokenizer.encode(before.text)[-50:]) == tokenizer.decode(
            tokenizer.encode(after.text)[:50]
        )


def test_chunks_end_at_paragraph_breaks_when_one_is_near() -> None:
    tokenizer = default_tokenizer()
    paragraph = PARAGRAPH * 3
    size = len(tokenizer.encode(paragraph + "\n\n"))
    max_size = int(size * 1.1)  # a paragraph break falls ~10% before each window's end
    chunks = chunk_text(
        (paragraph + "\n\n") * 20, max_chunk_size_tokens=max_size, chunk_overlap_tokens=0, tokenizer=tokenizer
    )
    assert all(c.text.endswith("\n\n") for c in chunks[:-1])
    assert all(c.token_count < max_size for c in chunks[:-1])
    # Without a boundary in the last 15% the window is used in full.
    words = "the cat sat on a mat " * 600  # every token a whole word: no edge is better than another
    plain = chunk_text(words, max_chunk_size_tokens=200, chunk_overlap_tokens=0, tokenizer=tokenizer)
    assert all(c.token_count == 200 for c in plain[:-1])


def test_chunks_prefer_sentence_ends_over_mid_sentence() -> None:
    text = " ".join(f"Sentence number {i} has a few more words in it." for i in range(400))
    chunks = chunk_text(text, max_chunk_size_tokens=150, chunk_overlap_tokens=30)
    assert all(c.text.rstrip().endswith(".") for c in chunks)


def test_token_counts_match_the_tokenizer() -> None:
    tokenizer = default_tokenizer()
    for chunk in chunk_text(_prose(30), max_chunk_size_tokens=300, chunk_overlap_tokens=100):
        assert chunk.token_count == len(tokenizer.encode(chunk.text))


@pytest.mark.parametrize("tokenizer", [None, RegexTokenizer()], ids=["default", "regex"])
def test_unicode_is_not_mangled_at_window_edges(tokenizer: Tokenizer | None) -> None:
    text = "".join(
        f"\u65e5\u672c\u8a9e\u306e\u6587\u7ae0{i}\u3067\u3059\u3002\u7d75\u6587\u5b57\U0001f600\U0001f389"
        f"\U0001f469\u200d\U0001f469\u200d\U0001f467 \u0928\u092e\u0938\u094d\u0924\u0947 "
        for i in range(600)
    )
    chunks = chunk_text(text, max_chunk_size_tokens=100, chunk_overlap_tokens=37, tokenizer=tokenizer)
    assert len(chunks) > 10
    for chunk in chunks:
        assert "\ufffd" not in chunk.text
        assert chunk.text in text


def test_validation() -> None:
    for kwargs, message in [
        ({"max_chunk_size_tokens": 99}, "between 100 and 4096"),
        ({"max_chunk_size_tokens": 4097, "chunk_overlap_tokens": 0}, "between 100 and 4096"),
        ({"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 401}, "half"),
        ({"chunk_overlap_tokens": -1}, "negative"),
        ({"max_chunk_size_tokens": True}, "integer"),
    ]:
        with pytest.raises(ValueError, match=message):
            chunk_text("some text", **kwargs)  # type: ignore[arg-type]
    assert chunk_text("", max_chunk_size_tokens=100, chunk_overlap_tokens=50) == []
    assert chunk_text(" \n\t ") == []


def test_short_text_is_one_chunk() -> None:
    [chunk] = chunk_text("Hello, world.")
    assert (chunk.text, chunk.start_token, chunk.index) == ("Hello, world.", 0, 0)


def test_regex_fallback_tokenizer() -> None:
    tokenizer = RegexTokenizer()
    text = "Hello, w\u00f6rld!  \n\n\tcaf\u00e9 12345 \u65e5\u672c \U0001f600_x\r\n" + "a" * 40
    tokens = tokenizer.encode(text)
    assert tokenizer.decode(tokens) == text
    assert len(tokenizer.encode("The quick brown fox.")) == 5
    chunks = chunk_text(_prose(50), max_chunk_size_tokens=120, chunk_overlap_tokens=60, tokenizer=tokenizer)
    _check_windows(chunks, len(tokenizer.encode(_prose(50))), 120, 60)


def test_default_tokenizer_falls_back_without_llama_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_tokenizers, "_llama3_model_path", lambda: None)
    default_tokenizer.cache_clear()
    try:
        assert isinstance(default_tokenizer(), RegexTokenizer)
        assert chunk_text("Some text to chunk.")[0].text == "Some text to chunk."
    finally:
        default_tokenizer.cache_clear()


class _CharTokenizer:
    """A third-party tokenizer seen only through the protocol: one token per character."""

    def encode(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def decode(self, tokens: list[int]) -> str:
        return "".join(map(chr, tokens))


def test_any_protocol_tokenizer_works() -> None:
    text = "abc. " * 300
    chunks = chunk_text(text, max_chunk_size_tokens=100, chunk_overlap_tokens=10, tokenizer=_CharTokenizer())
    _check_windows(chunks, len(text), 100, 10)
    assert all(c.text.endswith((". ", ".")) for c in chunks)


def test_llama3_tokenizer_counts_and_long_runs() -> None:
    tokenizer = default_tokenizer()
    if not isinstance(tokenizer, TiktokenTokenizer):
        pytest.skip("tiktoken or llama-models is not installed")
    assert tokenizer.encode("Hello world") == [9906, 1917]  # Llama 3's ids
    # A 300k-character whitespace run overflows tiktoken's regex stack unless it is cut first.
    text = "start" + " " * 300_000 + "x" * 30_000 + "\nend"
    assert tokenizer.decode(tokenizer.encode(text)) == text
    assert len(tokenizer.encode("<|eot_id|>")) > 1  # special-token text in documents is plain text


def test_llama3_tokenizer_matches_llama_models() -> None:
    tokenizer = default_tokenizer()
    if not isinstance(tokenizer, TiktokenTokenizer):
        pytest.skip("tiktoken or llama-models is not installed")
    from llama_models.llama3.tokenizer import Tokenizer as LlamaTokenizer  # tiktoken only, no torch

    reference = LlamaTokenizer.get_instance()
    for text in (
        _prose(20),
        "<|eot_id|> \u65e5\u672c\u8a9e \U0001f600 na\u00efve",
        "a" * 30_000 + " " * 30_000 + "b",
    ):
        assert tokenizer.encode(text) == reference.encode(text, bos=False, eos=False)


def test_chunking_a_megabyte_is_fast() -> None:
    text = (_prose(200) + "\n\n") * (1_000_000 // len(_prose(200)) + 1)
    default_tokenizer()  # loading the BPE ranks is a one-time cost
    started = time.perf_counter()
    chunks = chunk_text(text[:1_000_000])
    assert time.perf_counter() - started < 3  # ~0.3 s on a laptop core; generous for loaded CI
    assert len(chunks) > 500
