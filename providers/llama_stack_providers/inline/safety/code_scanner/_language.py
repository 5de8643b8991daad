"""Language names: fence labels to canonical names, guessing the language of unlabelled code, code vs prose."""

from __future__ import annotations

import re

# Fence info strings → language names. TypeScript shares the JavaScript rules and name.
_ALIASES = {
    **dict.fromkeys(
        ("py", "py3", "python", "python3", "python2", "ipython", "pycon", "pyi", "sage"), "python"
    ),
    **dict.fromkeys(
        ("js", "javascript", "jsx", "mjs", "cjs", "node", "nodejs", "ts", "typescript", "tsx", "es6"),
        "javascript",
    ),
    **dict.fromkeys(("c", "h", "ansi-c"), "c"),
    **dict.fromkeys(("cpp", "c++", "cxx", "cc", "hpp", "hxx", "h++", "cplusplus", "arduino", "ino"), "cpp"),
    **dict.fromkeys(("sh", "bash", "shell", "zsh", "ksh", "dash", "shellscript"), "shell"),
    # console sessions: `$ cmd` lines, scanned as shell
    **dict.fromkeys(("console", "terminal", "shell-session", "sh-session", "bash-session"), "shell"),
}
# Labels that say nothing about the language: the code is guessed like unlabelled code.
_UNLABELLED = frozenset({"", "text", "txt", "plaintext", "plain", "none", "output", "code"})


def normalise_language(name: str | None) -> str | None:
    """`"Py"` → `"python"`, `"c++"` → `"cpp"`; unknown names pass through lowercased, empty ones become None."""
    if name is None:
        return None
    label = re.split(r"[\s,:{}]+", name.strip().lstrip("{").strip())[0].lstrip(".").lower()
    label = label.removeprefix("language-").removeprefix("lang-")
    return None if label in _UNLABELLED else _ALIASES.get(label, label)


_SHEBANG = re.compile(r"\A\s*#!\s*(?:\S*/)?(?:env\s+(?:-\S+\s+)*)?(?P<interpreter>[\w.]+)")
_SHEBANG_LANGUAGES = {"python": "python", "node": "javascript", "deno": "javascript"} | dict.fromkeys(
    ("sh", "bash", "zsh", "ksh", "dash", "ash"), "shell"
)

# Signals at the start of a line, as one regex so the text is walked once; each group is language_kind.
_LINE_SIGNALS = re.compile(
    r"^[ \t]*(?:"
    r"(?P<python_def>(?:async[ \t]+)?def[ \t]+\w+[ \t]*\(.*\)[ \t]*(?:->.*)?:[ \t]*$)"
    r"|(?P<python_import>from[ \t]+[\w.]+[ \t]+import[ \t]+\S|import[ \t]+[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*$)"
    r"|(?P<python_class>class[ \t]+\w+[ \t]*(?:\([^)\n]*\))?[ \t]*:[ \t]*$)"
    r"|(?P<python_block>(?:if|elif|else|for|while|try|except|with|finally)\b[^\n;{]*:[ \t]*$)"
    r"|(?P<javascript_decl>(?:export[ \t]+)?(?:const|let|var)[ \t][\w${}\[\], \t]*=)"
    r"|(?P<javascript_import>import[ \t][^\n]+[ \t]from[ \t]+['\"])"
    r"|(?P<javascript_export>export[ \t]+(?:default|function|class|interface|type)\b)"
    r"|(?P<cpp_include>#[ \t]*include[ \t]*<(?:iostream|string|vector|map|memory|algorithm|[fs]stream|c\w+)>)"
    r"|(?P<c_include>#[ \t]*include[ \t]*[<\"])"
    r"|(?P<c_decl>(?:(?:unsigned|const|static|struct)[ \t]+)*(?:int|char|void|float|double|long|size_t)[ \t*]+\w+[ \t]*[\[(=;])"
    r"|(?P<cpp_using>using[ \t]+namespace\b)"
    r"|(?P<shell_prompt>\$[ \t]+\w)"
    r"|(?P<shell_block>(?:fi|done|esac|then|do)[ \t]*$|(?:if|while)[ \t]+\[\[?[ \t]|set[ \t]+-[a-z]+)"
    r"|(?P<shell_command>(?:sudo|apt(?:-get)?|yum|dnf|brew|pip3?|npm|curl|wget|chmod|chown|echo|export|cd|ls"
    r"|mkdir|rm|cp|mv|git|docker|systemctl|cat|grep|sed|awk|tar|source|ssh|ssh-add|scp|sshpass|mysql|kubectl"
    r"|eval|exec|nohup|useradd|make|psql|mysqldump|unzip|ln|touch)[ \t])"
    r")",
    re.MULTILINE,
)
_LINE_WEIGHTS = {
    "python_def": 4,
    "python_import": 4,
    "python_class": 4,
    "python_block": 2,
    "javascript_decl": 3,
    "javascript_import": 4,
    "javascript_export": 3,
    "cpp_include": 5,
    "c_include": 5,
    "c_decl": 2,
    "cpp_using": 4,
    "shell_prompt": 3,
    "shell_block": 4,
    "shell_command": 2,
}
# Signals anywhere, counted with str.count (far cheaper than a regex per signal).
_SUBSTRING_SIGNALS: dict[str, tuple[tuple[str, int], ...]] = {
    "python": (
        ("self.", 1),
        ("print(", 1),
        ("None", 1),
        ("True", 1),
        ("False", 1),
        ("elif ", 1),
        ("__name__", 1),
    ),
    "javascript": (
        ("function", 2),
        ("=>", 3),
        ("require(", 4),
        ("module.exports", 4),
        ("console.", 2),
        ("document.", 2),
        ("window.", 2),
        ("===", 2),
        ("!==", 2),
    ),
    "c": (
        ("int main(", 4),
        ("printf(", 2),
        ("scanf(", 2),
        ("malloc(", 2),
        ("strcpy(", 2),
        ("strlen(", 2),
        ("sizeof", 2),
        ("fgets(", 2),
        ("memcpy(", 2),
        ("NULL", 1),
        ("->", 1),
    ),
    "cpp": (
        ("std::", 4),
        ("template<", 4),
        ("template <", 4),
        ("cout", 3),
        ("cin >>", 3),
        ("endl", 3),
        ("nullptr", 3),
    ),
    "shell": (("$(", 1), ("${", 1), ("&&", 1), (" | ", 1)),
}
_MAX_COUNT = 3  # per signal: one language's boilerplate repeated should not outvote everything else


def detect_language(code: str) -> str | None:
    """Guess python / javascript / c / cpp / shell from a shebang or keyword signals; None when unsure."""
    shebang = _SHEBANG.match(code)
    if shebang:
        language = _SHEBANG_LANGUAGES.get(re.sub(r"[\d.]+$", "", shebang["interpreter"]))
        if language:
            return language
    scores = {
        language: sum(weight * min(code.count(text), _MAX_COUNT) for text, weight in signals)
        for language, signals in _SUBSTRING_SIGNALS.items()
    }
    counts: dict[str, int] = {}
    for match in _LINE_SIGNALS.finditer(code):
        kind = match.lastgroup or ""
        counts[kind] = counts.get(kind, 0) + 1
    for kind, count in counts.items():
        scores[kind.split("_")[0]] += _LINE_WEIGHTS[kind] * min(count, _MAX_COUNT)
    if scores["cpp"] and scores["c"]:  # C++ usually looks like C plus something C does not have
        scores["cpp"] += scores.pop("c")
    best = max(scores, key=scores.__getitem__)
    return best if scores[best] >= 3 else None


# A line of prose: a capitalised sentence of four or more words without code punctuation.
_PROSE_LINE = re.compile(r"(?:[-*>]\s+|\d+\.\s+)?[A-Z][\w'’,-]*(?:\s+[\w'’,()\"-]+){3,}[.!?:]?$")
_CODE_PUNCTUATION = re.compile(r"[;{}=<>]|\w\(")
_CODE_LINE = re.compile(r"[\w.\[\]\"'$]+\s*[+\-*/|]?=\s*\S|[\w.$]+\(.*\)\s*;?$")


def unfenced_code(text: str) -> tuple[bool, str | None]:
    """Whether unfenced text is code as a whole, and its guessed language: few prose sentences, and a
    recognised language or mostly code-shaped lines."""
    lines = [stripped for stripped in (line.strip() for line in text.split("\n")) if stripped]
    if not lines:
        return False, None
    if lines[0].startswith("#!"):
        return True, detect_language(text)
    prose, limit = 0, 0.3 * len(lines)
    for line in lines:
        if _PROSE_LINE.match(line) and not _CODE_PUNCTUATION.search(line):
            prose += 1
            if prose > limit:
                return False, None
    language = detect_language(text)
    if language is not None:
        return True, language
    code = sum(
        1
        for line in lines
        if line.endswith((";", "{", "}")) or line.startswith(("#", "//", "$ ")) or _CODE_LINE.match(line)
    )
    return code >= 0.6 * len(lines), None
