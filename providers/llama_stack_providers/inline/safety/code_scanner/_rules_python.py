"""Python rules: an import-aware pass over the syntax tree (code that does not parse: _rules_python_fallback)."""

from __future__ import annotations

import ast
import re
import warnings

from ._lexer import rule
from ._model import Hit, Rule, Severity
from ._python_ast import (
    constant_first_arg,
    interpolated,
    is_str,
    keyword,
    keyword_is,
    program_owned,
    target_names,
)
from ._secrets import HARDCODED_SECRET, is_compared_token, is_placeholder, is_secret_name

EVAL = rule(
    "python.eval",
    Severity.high,
    "CWE-95",
    "eval() on non-constant input runs arbitrary code; use ast.literal_eval or a real parser.",
)
EXEC = rule(
    "python.exec",
    Severity.high,
    "CWE-95",
    "exec()/compile() on non-constant input runs arbitrary code; dispatch to known functions instead.",
)
SHELL_TRUE = rule(
    "python.subprocess-shell-true",
    Severity.high,
    "CWE-78",
    "subprocess with shell=True lets shell metacharacters in the command run; pass an argument list without shell=True.",
)
OS_SYSTEM = rule(
    "python.os-system",
    Severity.high,
    "CWE-78",
    "os.system/os.popen run the command through a shell; use subprocess.run with an argument list.",
)
DESERIALIZE = rule(
    "python.unsafe-deserialization",
    Severity.high,
    "CWE-502",
    "pickle/dill/shelve/marshal can execute code while loading; load untrusted data with json or another data-only format.",
)
YAML_LOAD = rule(
    "python.yaml-load",
    Severity.high,
    "CWE-502",
    "yaml.load without SafeLoader can construct arbitrary objects; use yaml.safe_load.",
)
WEAK_HASH = rule(
    "python.weak-hash",
    Severity.medium,
    "CWE-327",
    "MD5 and SHA-1 are broken for security use; use hashlib.sha256 (or pass usedforsecurity=False for checksums).",
)
INSECURE_RANDOM = rule(
    "python.insecure-random",
    Severity.medium,
    "CWE-338",
    "The random module is predictable; generate tokens, passwords and keys with the secrets module.",
)
TLS_DISABLED = rule(
    "python.tls-verify-disabled",
    Severity.high,
    "CWE-295",
    "TLS certificate verification is turned off, allowing man-in-the-middle attacks; keep verify=True or pass a CA bundle.",
)
MKTEMP = rule(
    "python.tempfile-mktemp",
    Severity.medium,
    "CWE-377",
    "tempfile.mktemp returns a name another process can claim first; use tempfile.mkstemp or NamedTemporaryFile.",
)
SQL_INJECTION = rule(
    "python.sql-injection",
    Severity.high,
    "CWE-89",
    "SQL built by string formatting is injectable; pass values as query parameters (execute(sql, params)).",
)
DYNAMIC_IMPORT = rule(
    "python.dynamic-import",
    Severity.medium,
    "CWE-470",
    "__import__ with a computed name can load any module; map allowed names to modules explicitly.",
)
XML_PARSE = rule(
    "python.xml-untrusted",
    Severity.low,
    "CWE-611",
    "The standard-library XML parsers are open to entity-expansion attacks on untrusted input; use defusedxml.",
)
FLASK_DEBUG = rule(
    "python.flask-debug",
    Severity.medium,
    "CWE-489",
    "debug=True exposes the interactive debugger (remote code execution); read the flag from configuration and keep it off in production.",
)
RULES: tuple[Rule, ...] = (
    EVAL,
    EXEC,
    SHELL_TRUE,
    OS_SYSTEM,
    DESERIALIZE,
    YAML_LOAD,
    WEAK_HASH,
    INSECURE_RANDOM,
    TLS_DISABLED,
    MKTEMP,
    SQL_INJECTION,
    DYNAMIC_IMPORT,
    XML_PARSE,
    FLASK_DEBUG,
)

_SUBPROCESS = frozenset(
    f"subprocess.{name}" for name in ("run", "call", "check_call", "check_output", "Popen")
)
_ALWAYS_SHELL = frozenset(
    {"subprocess.getoutput", "subprocess.getstatusoutput", "commands.getoutput", "commands.getstatusoutput"}
)
_OS_SHELL = frozenset({"os.system", "os.popen", "posix.system", "os.popen2", "os.popen3", "os.popen4"})
_DESERIALIZERS = frozenset(
    f"{module}.{name}"
    for module in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle")
    for name in ("load", "loads", "Unpickler")
) | {"marshal.load", "marshal.loads", "jsonpickle.decode", "shelve.open", "pandas.read_pickle", "joblib.load"}
_SAFE_YAML_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
_RANDOM_FUNCS = frozenset(
    f"random.{name}"
    for name in ("random", "randint", "randrange", "choice", "choices", "sample", "getrandbits", "uniform")
)
# Name parts (snake-cased) that make a random value a secret; whole parts only, so `author` and `footprint` miss.
_SECURITY_NAME = re.compile(
    r"(?!^key$)(?:^|_)(?:tokens?|password|passwd|pwd|secrets?|salt|nonce|otp|key|session|sid|csrf|auth"
    r"|credentials?|verification|signature)(?:_|$)"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_XML_MODULES = ("xml.etree", "xml.dom.minidom", "xml.dom.pulldom", "xml.sax", "lxml.etree")
_XML_FUNCS = frozenset({"parse", "fromstring", "XML", "iterparse", "parseString", "XMLParser"})
_HTTP_MODULES = ("requests.", "httpx.", "urllib3.", "aiohttp.")
_HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "request", "stream", "send"}
    | {"Session", "Client", "AsyncClient", "ClientSession", "urlopen"}
)
_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "raw", "read_sql", "read_sql_query"})
_SQL_WORDS = re.compile(r"(?i)\b(?:select|insert|update|delete|drop|create|alter|where|from|into|values)\b")


def _sql_severity(node: ast.AST) -> Severity | None:
    """None when nothing is formatted into the string; low when only program-owned values are (typically table
    names, which cannot be query parameters); otherwise the injection rule's severity."""
    parts = interpolated(node)
    if parts is None:
        return None
    return Severity.low if all(program_owned(part) for part in parts) else SQL_INJECTION.severity


# Nodes with nothing worth visiting below them; skipping them (and dispatching by type) keeps the walk cheap.
_LEAVES = (
    ast.Name,
    ast.Constant,
    ast.expr_context,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
    ast.boolop,
    ast.alias,
    ast.Pass,
    ast.Break,
    ast.Continue,
)


class _Visitor(ast.NodeVisitor):
    """One walk over the tree, with the import aliases that make `sp.run` read as `subprocess.run`."""

    def __init__(self, tree: ast.Module) -> None:
        self.hits: list[Hit] = []
        self.aliases: dict[str, str] = {}
        self.context: list[str] = []  # enclosing function, assignment-target and keyword names
        # names holding SQL text → the severity of what was formatted into it (None: nothing, constant SQL)
        self.sql_vars: dict[str, Severity | None] = {}
        # module-level imports count wherever they sit; nested ones from where the walk meets them
        for statement in tree.body:
            if isinstance(statement, ast.Import | ast.ImportFrom):
                self.visit(statement)

    def visit(self, node: ast.AST) -> None:
        if isinstance(node, _LEAVES):
            return
        method = _DISPATCH.get(type(node))
        if method is None:
            self.generic_visit(node)
        else:
            method(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if node.module:
                self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def hit(self, rule: Rule, node: ast.AST, severity: Severity | None = None) -> None:
        self.hits.append(
            Hit(rule, getattr(node, "lineno", 1), rule.severity if severity is None else severity)
        )

    def qualname(self, node: ast.AST) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        return ".".join([self.aliases.get(node.id, node.id), *reversed(parts)])

    # --- scopes and names that give `random` calls a security meaning ---

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._secret_defaults(node.args)
        saved, self.sql_vars = self.sql_vars, {}
        self.context.append(node.name)
        self.generic_visit(node)
        self.context.pop()
        self.sql_vars = saved

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.context.append(node.name)
        self.generic_visit(node)
        self.context.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        self._assignment(node.targets, node.value, node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._assignment([node.target], node.value, node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.generic_visit(node)
        # `sql += " AND id = " + x` or `sql += name` taints SQL text; appending a constant does not
        name = node.target.id if isinstance(node.target, ast.Name) else ""
        if name in self.sql_vars and isinstance(node.op, ast.Add) and not is_str(node.value):
            added = _sql_severity(node.value) or (
                Severity.low if program_owned(node.value) else SQL_INJECTION.severity
            )
            self.sql_vars[name] = max(self.sql_vars[name] or Severity.info, added)

    def _assignment(self, targets: list[ast.expr], value: ast.expr | None, node: ast.stmt) -> None:
        names = [name for target in targets for name in target_names(target)]
        self.context.extend(names)
        if value is not None:
            self.visit(value)
        del self.context[len(self.context) - len(names) :]
        for target in targets:
            self.visit(target)
        if value is None:
            return
        if any(is_secret_name(name) for name in names) and _literal_secret(value):
            self.hit(HARDCODED_SECRET, node)
        severity = _sql_severity(value)
        text = value.value if is_str(value) else ast.unparse(value) if severity else ""  # type: ignore[attr-defined]
        is_sql = _SQL_WORDS.search(text) is not None
        for target in targets:
            if isinstance(target, ast.Name):
                if is_sql:
                    self.sql_vars[target.id] = severity
                else:
                    self.sql_vars.pop(target.id, None)

    def visit_keyword(self, node: ast.keyword) -> None:
        self.context.append(node.arg or "")
        self.generic_visit(node)
        self.context.pop()

    def visit_Dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                self.visit(key)
            name = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else ""
            if is_secret_name(name) and _literal_secret(value):
                self.hit(HARDCODED_SECRET, value)
            self.context.append(name)
            self.visit(value)
            self.context.pop()

    def visit_Compare(self, node: ast.Compare) -> None:
        # `if password == "hunter2":` is a hard-coded credential check
        names = [target_names(side) for side in (node.left, *node.comparators)]
        if any(is_secret_name(n) and not is_compared_token(n) for group in names for n in group) and any(
            _literal_secret(side) for side in (node.left, *node.comparators)
        ):
            self.hit(HARDCODED_SECRET, node)
        self.generic_visit(node)

    def _secret_defaults(self, args: ast.arguments) -> None:
        positional = args.posonlyargs + args.args
        pairs = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
        pairs += [
            (arg, default) for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True) if default
        ]
        for arg, default in pairs:
            if is_secret_name(arg.arg) and _literal_secret(default):
                self.hit(HARDCODED_SECRET, default)

    # --- calls ---

    def visit_Call(self, node: ast.Call) -> None:
        name = self.qualname(node.func) or ""
        self._check_call(node, name)
        for kw in node.keywords:
            if kw.arg and is_secret_name(kw.arg) and _literal_secret(kw.value):
                self.hit(HARDCODED_SECRET, kw.value)
        self.generic_visit(node)

    def _check_call(self, node: ast.Call, name: str) -> None:
        dynamic = bool(node.args) and not constant_first_arg(node)
        if name in ("eval", "builtins.eval") and dynamic:
            self.hit(EVAL, node)
        elif name in ("exec", "compile", "builtins.exec", "builtins.compile") and dynamic:
            self.hit(EXEC, node)
        elif name in ("__import__", "builtins.__import__") and dynamic:
            self.hit(DYNAMIC_IMPORT, node)
        elif name in _ALWAYS_SHELL or (name in _SUBPROCESS and keyword_is(node, "shell", True)):
            # a constant command line is still a shell, but nothing outside can reach it
            self.hit(SHELL_TRUE, node, Severity.low if constant_first_arg(node) else None)
        elif name in _OS_SHELL:
            self.hit(OS_SYSTEM, node, Severity.low if constant_first_arg(node) else None)
        elif name in _DESERIALIZERS:
            self.hit(DESERIALIZE, node)
        elif name in ("yaml.load", "yaml.load_all"):
            loader = keyword(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
            loader_name = (self.qualname(loader) or "") if loader is not None else ""
            if not loader_name.endswith(_SAFE_YAML_LOADERS):
                self.hit(YAML_LOAD, node)
        elif name in ("yaml.unsafe_load", "yaml.unsafe_load_all"):
            self.hit(YAML_LOAD, node)
        elif name in ("hashlib.md5", "hashlib.sha1") or (
            name == "hashlib.new"
            and constant_first_arg(node)
            and str(node.args[0].value).lower() in ("md5", "sha1")  # type: ignore[attr-defined]
        ):
            if not keyword_is(node, "usedforsecurity", False):
                self.hit(WEAK_HASH, node)
        elif name in _RANDOM_FUNCS and any(
            _SECURITY_NAME.search(_CAMEL.sub("_", n).lower()) for n in self.context
        ):
            self.hit(INSECURE_RANDOM, node)
        elif name in ("tempfile.mktemp", "os.tempnam", "os.tmpnam"):
            self.hit(MKTEMP, node)
        elif name == "ssl._create_unverified_context":
            self.hit(TLS_DISABLED, node)
        elif name.startswith(_XML_MODULES) and name.rsplit(".", 1)[-1] in _XML_FUNCS:
            self.hit(XML_PARSE, node)
        if keyword_is(node, "verify", False) and _is_http_client(name, node):
            self.hit(TLS_DISABLED, node)
        if isinstance(node.func, ast.Attribute):
            if node.func.attr == "run" and keyword_is(node, "debug", True):
                self.hit(FLASK_DEBUG, node)
            if node.func.attr in _SQL_METHODS and node.args:
                severity = self._dynamic_sql(node.args[0])
                if severity is not None:
                    self.hit(SQL_INJECTION, node, severity)

    def _dynamic_sql(self, node: ast.expr) -> Severity | None:
        if isinstance(node, ast.Call) and (self.qualname(node.func) or "").endswith("text") and node.args:
            node = node.args[0]  # SQLAlchemy's text(…) wraps the string
        if isinstance(node, ast.Name):
            return self.sql_vars.get(node.id)
        return _sql_severity(node)


def _is_http_client(name: str, call: ast.Call) -> bool:
    """`requests.get(…)`, `httpx.Client(…)`, `session.post(…)`: calls where verify= means TLS verification
    (and not, say, mpmath's `findroot(…, verify=False)`)."""
    method = name.rsplit(".", 1)[-1] if name else getattr(call.func, "attr", "")
    return name.startswith(_HTTP_MODULES) or method in _HTTP_METHODS


def _literal_secret(node: ast.AST | None) -> bool:
    return is_str(node) and not is_placeholder(node.value)  # type: ignore[union-attr]


_DISPATCH = {
    getattr(ast, name[6:]): method for name, method in vars(_Visitor).items() if name.startswith("visit_")
}


def scan_ast(code: str) -> list[Hit] | None:
    """Hits from the syntax tree, or None when the code does not parse or nests too deep to walk."""
    try:
        # the scanned code is not ours to lint: `"\d"` would warn (SyntaxWarning from 3.12), or fail under -W error
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        visitor = _Visitor(tree)
        visitor.visit(tree)
    except RecursionError:  # `a + a + … + a` thousands deep parses fine but is too deep to walk
        return None
    return visitor.hits
