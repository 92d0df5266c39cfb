"""Find the translation keys the integration's source code uses, by reading it.

Entity keys are read from the entity descriptions themselves (test_validate.py);
this module finds the keys that only exist in code: those of raised exceptions,
repair issues and config flow errors, steps and aborts. A key is resolved from:

- a string literal, or either branch of `a if c else b`;
- a module-level constant (`ISSUE: Final = "missing_geometry"`), in any module;
- a parameter of a helper that passes it on (`def _invalid(key): ...
  translation_key=key`): the arguments of every call of that helper;
- an attribute (`translation_key=expected.error`): every literal passed as
  `error=` anywhere (other values of such keywords are placeholders, not keys);
- a local bound to a module function's result (`error := firmware_url_error(..)`):
  the literals that function returns;
- an f-string: a pattern, so `f"command_{state}"` uses every `command_...` key;
- the first argument of an exception of the integration's own whose `__init__`
  takes `translation_key` first (`FeedingInputError("fish_count_invalid")`), which
  Home Assistant's side raises again under that key (`err.translation_key`).

Anything else cannot be checked and is reported, so that a new way of writing a key
is either given a literal or taught here rather than silently unchecked.
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
import re

# Exception classes are recognised by name: HomeAssistantError and its subclasses
# (ServiceValidationError, ConfigEntryNotReady, ConfigEntryAuthFailed, UpdateFailed).
EXCEPTION_SUFFIXES = ("Error", "NotReady", "Failed", "Exception")
ISSUE_FUNCTIONS = frozenset({"async_create_issue"})
FORM_FUNCTIONS = frozenset({"async_show_form", "async_show_menu"})
# Abort reasons Home Assistant's flow helpers produce by themselves.
IMPLICIT_ABORTS = {
    "_abort_if_unique_id_configured": "already_configured",
    "async_set_unique_id": "already_in_progress",
    "async_update_reload_and_abort": "reconfigure_successful",
}


@dataclass
class UsedKeys:
    """Keys found in code, and the expressions that could not be resolved."""

    literals: set[str] = field(default_factory=set)
    patterns: set[str] = field(default_factory=set)
    unresolved: list[str] = field(default_factory=list)

    def uses(self, key: str) -> bool:
        """Return whether the code uses `key`, literally or through a pattern."""
        return key in self.literals or any(
            re.fullmatch(pattern, key) for pattern in self.patterns
        )

    def unknown(self, keys: set[str]) -> set[str]:
        """Return what the code uses that is not among `keys`."""
        unmatched_patterns = {
            pattern
            for pattern in self.patterns
            if not any(re.fullmatch(pattern, key) for key in keys)
        }
        return (self.literals - keys) | unmatched_patterns


def _name(node: ast.expr) -> str | None:
    """Return the called name of `f(...)` or `x.f(...)`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _takes_key_first(node: ast.ClassDef) -> bool:
    """Return whether a class's `__init__` takes `translation_key` first."""
    return any(
        isinstance(item, ast.FunctionDef)
        and item.name == "__init__"
        and [arg.arg for arg in item.args.args[1:2]] == ["translation_key"]
        for item in node.body
    )


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((kw.value for kw in call.keywords if kw.arg == name), None)


class Source:
    """The integration's modules, parsed once, and what they say about keys."""

    def __init__(self, package: Path) -> None:
        """Parse every module of `package`."""
        self.modules = {
            path.name: ast.parse(path.read_text(encoding="utf-8"), str(path))
            for path in sorted(package.glob("*.py"))
        }
        self.constants: dict[str, str] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.keyed_exceptions: set[str] = set()
        for tree in self.modules.values():
            for node in tree.body:
                if isinstance(node, ast.ClassDef) and _takes_key_first(node):
                    self.keyed_exceptions.add(node.name)
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self.functions[node.name] = node
                target, value = _assigned(node)
                if target and isinstance(value, ast.Constant):
                    if isinstance(value.value, str):
                        self.constants[target] = value.value

    # --- walking ------------------------------------------------------------------

    def calls(
        self, module: str | None = None
    ) -> Iterator[tuple[ast.Call, list[ast.AST]]]:
        """Yield every call with its enclosing nodes (outermost first)."""
        trees = self.modules.values() if module is None else [self.modules[module]]
        for tree in trees:
            yield from _calls(tree, [])

    # --- resolving ----------------------------------------------------------------

    def resolve(self, expr: ast.expr, scope: list[ast.AST], found: UsedKeys) -> None:
        """Add what `expr`, written inside `scope`, can be to `found`."""
        match expr:
            case ast.Constant(value=str(value)):
                found.literals.add(value)
            case ast.Constant(value=None):
                pass
            case ast.IfExp(body=body, orelse=orelse):
                self.resolve(body, scope, found)
                self.resolve(orelse, scope, found)
            case ast.JoinedStr(values=parts):
                found.patterns.add(
                    "".join(
                        re.escape(str(part.value))
                        if isinstance(part, ast.Constant)
                        else ".+"
                        for part in parts
                    )
                )
            case ast.Attribute(attr="translation_key") if self.keyed_exceptions:
                # Raised again from such an exception: its keys are its first
                # arguments, found where it is raised.
                pass
            case ast.Attribute(attr=attr):
                self._resolve_keyword_literals(attr, found)
            case ast.Name(id=name):
                self._resolve_name(name, expr, scope, found)
            case _:
                found.unresolved.append(_where(expr))

    def _resolve_name(
        self, name: str, expr: ast.expr, scope: list[ast.AST], found: UsedKeys
    ) -> None:
        function = next(
            (
                node
                for node in reversed(scope)
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            ),
            None,
        )
        if function is not None:
            parameters = [arg.arg for arg in function.args.args]
            if name in parameters:
                self._resolve_arguments(
                    function.name, parameters.index(name), name, found
                )
                return
            for node in ast.walk(function):
                target, value = _assigned(node)
                if target == name and isinstance(value, ast.Call):
                    called = self.functions.get(_name(value.func) or "")
                    if called is not None:
                        self._resolve_returns(called, found)
                        return
        if name in self.constants:
            found.literals.add(self.constants[name])
            return
        found.unresolved.append(_where(expr))

    def _resolve_arguments(
        self, function: str, index: int, keyword: str, found: UsedKeys
    ) -> None:
        for call, scope in self.calls():
            if _name(call.func) != function:
                continue
            if index < len(call.args):
                self.resolve(call.args[index], scope, found)
            elif (value := _keyword(call, keyword)) is not None:
                self.resolve(value, scope, found)

    def _resolve_keyword_literals(self, keyword: str, found: UsedKeys) -> None:
        for call, _scope in self.calls():
            value = _keyword(call, keyword)
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.literals.add(value.value)

    def _resolve_returns(
        self, function: ast.FunctionDef | ast.AsyncFunctionDef, found: UsedKeys
    ) -> None:
        for node in ast.walk(function):
            if isinstance(node, ast.Return) and node.value is not None:
                self.resolve(node.value, [function], found)

    # --- what the integration uses ----------------------------------------------------

    def translation_keys(self, category: str) -> UsedKeys:
        """Return the keys of raised exceptions ("exceptions") or issues ("issues")."""
        found = UsedKeys()
        for call, scope in self.calls():
            called = _name(call.func) or ""
            kind = (
                "issues"
                if called in ISSUE_FUNCTIONS
                else "exceptions"
                if called.endswith(EXCEPTION_SUFFIXES)
                else None
            )
            key = _keyword(call, "translation_key")
            if key is None and called in self.keyed_exceptions and call.args:
                key = call.args[0]
            if kind == category and key is not None:
                self.resolve(key, scope, found)
        return found

    def flow_keys(self, flow_base: str) -> dict[str, UsedKeys]:
        """Return the steps, errors and aborts of the flow classes based on `flow_base`.

        `flow_base` is "ConfigFlow" or "OptionsFlow" (matching OptionsFlowWithReload).
        """
        found = {"step": UsedKeys(), "error": UsedKeys(), "abort": UsedKeys()}
        for call, scope in self.calls("config_flow.py"):
            flow = next((n for n in scope if isinstance(n, ast.ClassDef)), None)
            if flow is None or not any(
                (_name(base) or "").startswith(flow_base) for base in flow.bases
            ):
                continue
            called = _name(call.func) or ""
            if called in FORM_FUNCTIONS and (step := _keyword(call, "step_id")):
                self.resolve(step, scope, found["step"])
            if called == "async_abort" and (reason := _keyword(call, "reason")):
                self.resolve(reason, scope, found["abort"])
            if called in IMPLICIT_ABORTS and not _raises_on_progress_off(call):
                found["abort"].literals.add(IMPLICIT_ABORTS[called])
        for tree_node, scope in _nodes(self.modules["config_flow.py"], []):
            flow = next((n for n in scope if isinstance(n, ast.ClassDef)), None)
            if flow is None or not any(
                (_name(base) or "").startswith(flow_base) for base in flow.bases
            ):
                continue
            # errors[FIELD] = <key>
            if (
                isinstance(tree_node, ast.Assign)
                and isinstance(target := tree_node.targets[0], ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "errors"
            ):
                self.resolve(tree_node.value, [*scope, tree_node], found["error"])
        return found


def _raises_on_progress_off(call: ast.Call) -> bool:
    value = _keyword(call, "raise_on_progress")
    return isinstance(value, ast.Constant) and value.value is False


def _assigned(node: ast.AST) -> tuple[str | None, ast.expr | None]:
    """Return (name, value) of `name = value`, `name: T = value` or `name := value`."""
    if (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
    ):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    if isinstance(node, ast.NamedExpr):
        return node.target.id, node.value
    return None, None


def _nodes(
    node: ast.AST, scope: list[ast.AST]
) -> Iterator[tuple[ast.AST, list[ast.AST]]]:
    yield node, scope
    inner = [*scope, node]
    for child in ast.iter_child_nodes(node):
        yield from _nodes(child, inner)


def _calls(
    node: ast.AST, scope: list[ast.AST]
) -> Iterator[tuple[ast.Call, list[ast.AST]]]:
    for found, found_scope in _nodes(node, scope):
        if isinstance(found, ast.Call):
            yield found, found_scope


def _where(expr: ast.expr) -> str:
    return f"line {expr.lineno}: {ast.unparse(expr)}"
