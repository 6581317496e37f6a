"""The shape of the code, read from its imports (ast): imports point down, never in a circle.

operator surface (admin, panel, commands) -> tasks -> engine -> client, limiter, ledger. The
engine never imports Celery or the tasks (it reports what must be enqueued); nothing in the
shipped packages imports the demo or the simulator; and no import cycle exists anywhere.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("invsync", "warehouse", "integrations", "demo", "prestashop_sim", "bench")
SHIPPED = ("invsync", "warehouse", "integrations")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imported_names(path: Path, name: str) -> set[str]:
    """Every module this file imports, at any depth (lazy imports inside functions count)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # "from pkg import name" needs pkg.name (a submodule, or a name pkg's __init__ holds).
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a name resolves to its longest known prefix)."""
    known = modules()
    edges = {}
    for name, path in known.items():
        targets = set()
        for imported in imported_names(path, name):
            parts = imported.split(".")
            for cut in range(len(parts), 0, -1):
                candidate = ".".join(parts[:cut])
                if candidate in known:
                    if candidate != name:
                        targets.add(candidate)
                    break
        edges[name] = targets
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle as a list of modules, or [] (iterative DFS, white/grey/black)."""
    state, stack_of = {}, {}
    for start in sorted(edges):
        if state.get(start):
            continue
        path, iters = [start], [iter(sorted(edges[start]))]
        state[start], stack_of[start] = 1, 0
        while path:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(sorted(edges[nxt])))
    return []


def all_imports(prefix: str) -> dict[str, set[str]]:
    return {
        name: imported_names(path, name)
        for name, path in modules().items()
        if name == prefix or name.startswith(prefix + ".")
    }


def test_no_import_cycle_anywhere_in_the_tree():
    assert find_cycle(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_the_engine_never_imports_celery_or_the_tasks():
    bad = {
        name: sorted(
            i
            for i in imported
            if i.split(".")[0] in {"celery", "kombu", "django_celery_results"}
            or i.startswith(("integrations.tasks", "integrations.receivers", "invsync.celery"))
        )
        for name, imported in all_imports("integrations.engine").items()
    }
    assert {name: found for name, found in bad.items() if found} == {}


def test_the_engine_never_imports_the_operator_surface():
    upward = ("integrations.admin", "integrations.panel", "integrations.management")
    bad = {
        name: sorted(i for i in imported if i.startswith(upward))
        for name, imported in all_imports("integrations.engine").items()
    }
    assert {name: found for name, found in bad.items() if found} == {}


def test_only_tasks_enqueue():
    """apply_async / delay appear in integrations.tasks alone (the panel's failed-task retry
    re-sends a stored task through Celery's own API, and is the one other place)."""
    senders = set()
    for name, path in modules().items():
        if not name.startswith("integrations"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"apply_async", "delay"}:
                senders.add(name)
    assert senders <= {"integrations.tasks", "integrations.panel.failed_tasks"}


def test_shipped_code_never_imports_the_demo_or_the_simulator():
    bad = {
        name: sorted(i for i in imported if i.split(".")[0] in {"demo", "prestashop_sim", "bench"})
        for package in SHIPPED
        for name, imported in all_imports(package).items()
    }
    assert {name: found for name, found in bad.items() if found} == {}


def test_the_client_and_the_limiter_never_import_django_models():
    for prefix in ("integrations.prestashop",):
        bad = {
            name: sorted(
                i
                for i in imported
                if i.split(".")[0] in {"django", "integrations"}
                and not i.startswith("integrations.prestashop")
            )
            for name, imported in all_imports(prefix).items()
        }
        assert {name: found for name, found in bad.items() if found} == {}
