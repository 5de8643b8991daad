"""Small predicates over Python syntax-tree nodes, shared by the Python rules."""

from __future__ import annotations

import ast


def is_str(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def constant_first_arg(call: ast.Call) -> bool:
    return bool(call.args) and is_str(call.args[0])


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


def keyword_is(call: ast.Call, name: str, value: bool) -> bool:
    node = keyword(call, name)
    return isinstance(node, ast.Constant) and node.value is value


def interpolated(node: ast.AST) -> list[ast.AST] | None:
    """The values formatted into an f-string, `"…" % x`, `"…" + x` or `"…".format(x)`; None for anything else."""
    if isinstance(node, ast.JoinedStr):
        fields: list[ast.AST] = [part.value for part in node.values if isinstance(part, ast.FormattedValue)]
        return fields or None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and is_str(node.left):
        return list(node.right.elts) if isinstance(node.right, ast.Tuple) else [node.right]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        leaves = add_leaves(node)
        if not any(is_str(leaf) or isinstance(leaf, ast.JoinedStr) for leaf in leaves):
            return None
        parts = [
            part
            for leaf in leaves
            for part in (interpolated(leaf) or [leaf])
            if not isinstance(part, ast.Constant)
        ]
        return parts or None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        parts = [*node.args, *(kw.value for kw in node.keywords)]
        return parts if is_str(node.func.value) and parts else None
    return None


def program_owned(node: ast.AST) -> bool:
    """`self.table`, `cls.TABLE`, `BUSY_TIMEOUT_MS`: values the program sets, not ones a request brings."""
    while isinstance(node, ast.Attribute):
        node = node.value
        if isinstance(node, ast.Name) and node.id in ("self", "cls"):
            return True
    return isinstance(node, ast.Name) and node.id.isupper()


def add_leaves(node: ast.AST) -> list[ast.AST]:
    """The operands of a chain of `+`: `a + "b" + c` → [a, "b", c]."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return add_leaves(node.left) + add_leaves(node.right)
    return [node]


def target_names(node: ast.AST) -> list[str]:
    """The names a target or operand goes by: `x`, `self.x`, `d["x"]`, and each of `a, b`."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Subscript) and is_str(node.slice):
        return [node.slice.value]  # type: ignore[attr-defined]
    if isinstance(node, ast.Tuple | ast.List):
        return [name for element in node.elts for name in target_names(element)]
    return []
