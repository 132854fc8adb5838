"""Find the messages people read in the code: the texts given to errors and problem responses.

Used by tests/i18n/test_catalogues.py (every one has a Vietnamese and an English text) and, run as a
script, to list the ones the catalogues still lack: `python -m tests.i18n.messages`.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("apps", "onestop", "config")

# Calls whose text arguments reach a person: typed domain errors, DRF's exceptions, problem helpers
# (name -> position of the message argument).
MESSAGE_CALLS = {
    name: 0 for name in (
        "DomainError", "InvalidTransition", "ActionNotPermitted", "ValidationError", "NotFound",
        "PermissionDenied", "ParseError", "NotAuthenticated", "AuthenticationFailed", "Throttled",
        "MethodNotAllowed", "UnsupportedMediaType", "NotAcceptable", "ServiceUnavailable",
    )
} | {"bad_request_problem": 1, "_json_problem": 2, "_": 0, "gettext": 0, "gettext_lazy": 0, "ngettext": 0}
MESSAGE_PARAMETERS = ("message", "detail")  # a file's own helper taking one of these builds a message
CLASS_MESSAGES = ("default_detail", "message")  # class attributes DRF shows people


@dataclass(frozen=True)
class Message:
    text: str
    path: str
    line: int
    formatted: bool  # an f-string: cannot be looked up in a catalogue


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _texts(node: ast.AST, path: str):
    """String constants and f-strings in an argument (inside dicts/lists: their values only)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield Message(node.value, path, node.lineno, False)
    elif isinstance(node, ast.JoinedStr):
        words = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        if any(ch.isalpha() for ch in words):  # only punctuation joining translated parts is fine
            yield Message(ast.unparse(node), path, node.lineno, True)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _texts(value, path)
    elif isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            yield from _texts(element, path)
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):  # "… %(x)s" % {...}
        yield from _texts(node.left, path)
    elif isinstance(node, ast.Call) and _call_name(node) in {"_", "gettext", "gettext_lazy", "ngettext"}:
        for argument in node.args[:1]:
            yield from _texts(argument, path)


def _message_helpers(tree: ast.Module) -> dict[str, int]:
    """Functions of the file with a `message`/`detail` parameter: calls to them carry a message."""
    helpers = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            names = [a.arg for a in node.args.args]
            for name in MESSAGE_PARAMETERS:
                if name in names:
                    helpers[node.name] = names.index(name)
    return helpers


def find_messages() -> list[Message]:
    found: list[Message] = []
    for top in SOURCES:
        for file in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in file.parts:
                continue
            path = str(file.relative_to(ROOT))
            tree = ast.parse(file.read_text(encoding="utf-8"))
            calls = {**MESSAGE_CALLS, **_message_helpers(tree)}
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):  # DRF exceptions' and permissions' own texts
                    for item in node.body:
                        if (isinstance(item, ast.Assign) and len(item.targets) == 1
                                and isinstance(item.targets[0], ast.Name) and item.targets[0].id in CLASS_MESSAGES):
                            found.extend(m for m in _texts(item.value, path) if m.text.strip())
                if not isinstance(node, ast.Call) or _call_name(node) not in calls:
                    continue
                position = calls[_call_name(node)]
                arguments = [*node.args[position:position + 1], *(k.value for k in node.keywords if k.arg == "detail")]
                for argument in arguments:
                    found.extend(m for m in _texts(argument, path) if m.text.strip())
    return found


if __name__ == "__main__":
    from tests.i18n.catalogues import load_po, looks_vietnamese

    catalogues = {"vi": load_po("vi"), "en": load_po("en")}
    for message in find_messages():
        target = "en" if looks_vietnamese(message.text) else "vi"
        if message.formatted:
            print(f"F {message.path}:{message.line}: {message.text}")
        elif not catalogues[target].get(message.text):
            print(f"{target} {message.path}:{message.line}: {message.text}")
