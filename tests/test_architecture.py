"""Imports flow one way, down the layers below: a module may import its own
layer and the layers under it, never one above. `accounts` never imports
`clinics` (it asks through the signals in accounts/signals.py instead); the
app never imports the tools that start and measure it (devtools, bench) or
the tests. An import tucked inside a function to dodge a cycle is the cycle,
hidden, so those count too. A lazy model reference ("clinics.Clinic" in a
ForeignKey) is an import Django makes for you: it counts as well.

Settings name apps and classes as dotted strings ("ops.redact...."): that is
wiring, read by Django, not an import, and is not counted.

Read from the source with ast, so nothing needs importing to check it."""

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. A package's layer is the longest entry its name starts with.
LAYERS = [
    "accounts",
    "lessons",
    "craving",
    "clinics",
    # The phone's JSON API is a client of the clinic's models and services.
    "clinics.phone",
    # manage.py commands drive clinics from outside, as the phone does
    # (seed_demo records a finished lesson the phone's way).
    "clinics.management",
    # Reminders by Web Push: reads assignments and progress, takes the
    # phone's JSON body as the sync API does.
    "reminders",
    # The offline app: the precache list, the page cache, the service worker.
    "offline",
    # Settings, URLs and wiring of every app above.
    "project",
    # Running Crest: backups, log redaction, gunicorn's settings (which load
    # project.settings before the first worker starts).
    "ops",
    # Tools that start and drive Crest for the tests and bench/.
    "devtools",
    "bench",
    "tests",
]

# Edges up the layers that are there on purpose, each with its reason.
# (importing module prefix, imported name) -> why.
EXCEPTIONS = {
    ("lessons.models", "clinics.Clinic"): (
        "Lesson.clinic: a clinic's own lessons are Lesson rows with an owner. They share the lesson "
        "reader, the translations, the quiz and the assignment's foreign key with the public course; "
        "moving them into clinics would split one table and every query on it in two. Only the model "
        "reference climbs: no code in lessons imports clinics."
    ),
}

MODEL_REFERENCE = re.compile(r"^[a-z_]+\.[A-Z]\w*$")  # "app_label.ModelName"
MAX_LAYER = len(LAYERS)


def layer_of(name: str) -> int | None:
    """Index of the layer `name` (a dotted module or model name) is in, or
    None when it is not Crest's (django, the standard library)."""
    matches = [i for i, layer in enumerate(LAYERS) if name == layer or name.startswith(f"{layer}.")]
    return max(matches, key=lambda i: len(LAYERS[i])) if matches else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def python_files():
    """Every Python file of every layer, except migrations (generated)."""
    for top in sorted({layer.split(".")[0] for layer in LAYERS}):
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def imported_names(path: Path) -> list[tuple[int, str, bool]]:
    """(line, dotted name, inside a function) for every import in the file,
    relative imports resolved, and every lazy model reference."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    in_function = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        hidden = id(node) in in_function
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, hidden) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module
            found += [(node.lineno, f"{source}.{alias.name}", hidden) for alias in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODEL_REFERENCE.match(node.value):
            found.append((node.lineno, node.value, hidden))
    return found


def edges() -> list[tuple[str, int, str, str, bool]]:
    """(file, line, importing module, imported name, inside a function) for
    every import of one of Crest's modules."""
    rows = []
    for path in python_files():
        module = module_name(path)
        for line, name, hidden in imported_names(path):
            if layer_of(name) is not None:
                rows.append((str(path.relative_to(ROOT)), line, module, name, hidden))
    return rows


@pytest.fixture(scope="module")
def crest_imports() -> list[tuple[str, int, str, str, bool]]:
    return edges()


def excused(module: str, name: str) -> bool:
    return any(
        (module == source or module.startswith(f"{source}.")) and name == target for source, target in EXCEPTIONS
    )


def test_imports_never_climb_a_layer(crest_imports):
    climbing = [
        f"{file}:{line} ({LAYERS[layer_of(module)]}) imports {name} ({LAYERS[layer_of(name)]})"
        for file, line, module, name, _ in crest_imports
        if layer_of(name) > layer_of(module) and not excused(module, name)
    ]
    assert climbing == []


def test_every_exception_is_still_needed(crest_imports):
    """An exception whose edge is gone is a stale note: delete it."""
    seen = {(module, name) for _, _, module, name, _ in crest_imports}
    for source, target in EXCEPTIONS:
        assert any(
            name == target and (module == source or module.startswith(f"{source}.")) for module, name in seen
        ), (source, target)


def test_no_app_imports_another_app_inside_a_function(crest_imports):
    """An app imports another app at the top of a module, openly. (bench/
    and the tests import the app's models after django.setup(), inside
    functions: they start Django themselves.)"""
    tools = {layer_of("devtools"), layer_of("bench"), layer_of("tests")}
    hidden = [
        f"{file}:{line} imports {name}"
        for file, line, module, name, inside in crest_imports
        if inside
        and layer_of(module) not in tools
        and LAYERS[layer_of(name)].split(".")[0] != LAYERS[layer_of(module)].split(".")[0]
    ]
    assert hidden == []


def test_no_import_cycles_between_modules(crest_imports):
    """Two modules that import each other (directly or round a loop) load in
    an order that happens to work: one reordered import breaks the app."""
    modules = {module_name(path) for path in python_files()}
    graph = defaultdict(set)
    for _, _, module, name, _ in crest_imports:
        # `from clinics import services` names clinics.services; `from
        # clinics.models import Patient` names clinics.models.Patient.
        target = next((n for n in (name, name.rpartition(".")[0]) if n in modules), None)
        if target and target != module and not MODEL_REFERENCE.match(name):
            graph[module].add(target)
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_every_package_has_a_layer():
    """A new app (a folder with __init__.py at the top) must be placed above."""
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - set(LAYERS) == set()


def test_the_walk_sees_imports(crest_imports):
    """Guards the tests above against passing because they read nothing."""
    found = {(module, name) for _, _, module, name, _ in crest_imports}
    assert ("clinics.services", "accounts.models.User") in found
    assert ("clinics.phone.api", "clinics.phone.sync") in found  # a relative import, resolved
    assert ("lessons.models", "clinics.Clinic") in found  # a lazy model reference
    assert ("accounts.apps", "accounts.services") in {(m, n) for _, _, m, n, inside in crest_imports if inside}
    assert layer_of("ops.gunicorn.conf") > layer_of("project.settings") > layer_of("clinics.phone.sync")
    assert layer_of("offline.pwa") > layer_of("clinics.models")


def caches_built_in(source: str) -> list[int]:
    """Lines that call a class whose name ends in Cache (LocMemCache(...))."""
    built = []
    for node in ast.walk(ast.parse(source)):
        called = getattr(node, "func", None)
        if isinstance(node, ast.Call) and getattr(called, "id", getattr(called, "attr", "")).endswith("Cache"):
            built.append(node.lineno)
    return built


def test_no_cache_is_built_by_hand():
    """Caches are declared in settings.CACHES: a cache made in code lives in
    one process's memory, and two processes would give different answers."""
    assert caches_built_in("from x import LocMemCache\nkept = LocMemCache('a', {})\n") == [2]
    built = []
    for package in {layer.split(".")[0] for layer in LAYERS} - {"devtools", "bench", "tests"}:
        for path in sorted((ROOT / package).rglob("*.py")):
            built += [(str(path.relative_to(ROOT)), line) for line in caches_built_in(path.read_text())]
    assert built == []
