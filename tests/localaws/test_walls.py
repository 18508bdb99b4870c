"""The local AWS stays apart: product code never imports it (nor the stack), the package imports neither the
stack nor product code, and the stack's modules import each other without a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def imported(path: Path, package: str) -> set[str]:
    """Every module `path` imports (at any depth of the file, relative imports resolved within `package`)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0]
                names.add(f"{base}.{node.module}" if node.module else base)
                if not node.module:  # `from . import access`: each name is a module
                    names.update(f"{base}.{alias.name}" for alias in node.names)
            else:
                names.add(node.module or "")
    return names


def modules(directory: str) -> dict[str, Path]:
    return {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): path
        for path in (ROOT / directory).rglob("*.py")
        if path.name != "__init__.py"
    }


def test_product_code_imports_neither_the_local_aws_nor_the_stack():
    product = {**modules("chalicelib"), "app": ROOT / "app.py"}
    offenders = {
        name: sorted(n for n in imported(path, name.rpartition(".")[0]) if n.startswith("scripts"))
        for name, path in product.items()
    }
    assert not {name: found for name, found in offenders.items() if found}


def test_the_local_aws_imports_neither_the_stack_nor_product_code():
    for name, path in modules("scripts/localaws").items():
        found = imported(path, "scripts.localaws")
        assert not [n for n in found if n.startswith(("scripts.embedded", "chalicelib", "app"))], name


def test_the_stack_s_modules_import_each_other_without_a_cycle():
    stack = modules("scripts/embedded")
    graph = {
        name: {other for other in imported(path, "scripts.embedded") if other in stack and other != name}
        for name, path in stack.items()
    }
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, " -> ".join((*trail[trail.index(name) :], name))
        if name in done:
            return
        for other in graph[name]:
            visit(other, (*trail, name))
        done.add(name)

    for name in graph:
        visit(name, ())


def test_the_hooks_of_the_gateway_and_the_functions_process_do_not_load_moto():
    probe = (
        "import sys; import scripts.embedded.access, scripts.embedded.background, scripts.localaws.chalice_local; "
        "print(sorted(name for name in sys.modules if name == 'moto' or name.startswith('moto.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
