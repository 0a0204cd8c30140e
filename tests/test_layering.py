"""The packages of `backoffice` form layers: each imports only what is below it, so no two depend on each other.

Walks every import statement of `backoffice/` (those inside functions too: a function-local import is still a
dependency), between feature packages and the core modules at the top of `backoffice/`. The composition root -
`create_app` in `backoffice/__init__.py`, the metadata aggregator `backoffice/models.py` and the command groups in
`backoffice/cli.py` - may import anything and nothing imports it. docs/ARCHITECTURE.md draws the same layers.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

PACKAGE = Path(__file__).resolve().parents[1] / "backoffice"
COMPOSITION_ROOT = {"__init__", "models", "cli"}
# Lowest first. A feature package may import the core modules and the packages listed before it.
FEATURES = (
    "storage",
    "auth",
    "jobs",
    "health",
    "patients",
    "directory",
    "cases",
    "notifications",
    "messages",
    "shipments",
    "logistics",
    "einvoice",
    "billing",
    "suppliers",
    "offers",
    "invoicing",
    "receivables",
    "accounting",
    "rights",
    "retention",
    "portal",
    "intake",
    "users",
    "dashboard",
    "audit",
    "devmail",
    "demo",
)


def unit_of(module: str) -> str | None:
    """`backoffice.billing.bills.review` -> "billing"; `backoffice.money` -> "money"; outside backoffice -> None."""
    parts = module.split(".")
    if parts[0] != "backoffice" or len(parts) < 2:
        return None
    return parts[1]


def imports() -> dict[tuple[str, str], list[str]]:
    """(importing unit, imported unit) -> where ("billing/letters.py:33"), for every import between two units."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(relative.parts)
        source = unit_of(module if relative.name != "__init__" or len(relative.parts) > 2 else "backoffice.__init__")
        if source is None or source in COMPOSITION_ROOT:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module == "backoffice":
                    targets = [f"backoffice.{alias.name}" for alias in node.names]
                else:
                    targets = [node.module]
            for target in targets:
                unit = unit_of(target)
                if unit is not None and unit != source:
                    found[(source, unit)].append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def features() -> set[str]:
    return {path.parent.name for path in PACKAGE.glob("*/__init__.py")}


def test_every_feature_package_has_its_place_in_the_layers():
    assert features() == set(FEATURES), "add the new package to FEATURES (and docs/ARCHITECTURE.md)"


def test_a_feature_imports_only_the_features_below_it():
    rank = {name: position for position, name in enumerate(FEATURES)}
    upward = [
        f"{source} -> {target} ({', '.join(places)})"
        for (source, target), places in imports().items()
        if source in rank and target in rank and rank[target] > rank[source]
    ]
    assert upward == [], "answer through a signal of the lower package instead:\n" + "\n".join(upward)


def test_the_core_modules_import_no_feature_package():
    """`backoffice/*.py` (money, text, pdf, transactions, trail, ...) serve every feature, so they know none."""
    core_to_feature = [
        f"{source} -> {target} ({', '.join(places)})"
        for (source, target), places in imports().items()
        if source not in FEATURES and target in FEATURES
    ]
    assert core_to_feature == [], "\n".join(core_to_feature)


def test_no_import_cycle_between_packages_or_core_modules():
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in imports():
        graph[source].add(target)

    def reachable(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for following in graph[todo.pop()]:
                if following not in seen:
                    seen.add(following)
                    todo.append(following)
        return seen

    cycles = sorted({tuple(sorted((a, b))) for a in list(graph) for b in graph[a] if a in reachable(b)})
    assert cycles == [], f"import cycles between: {cycles}"


def test_the_architecture_map_names_every_feature_package():
    architecture = (PACKAGE.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = [name for name in FEATURES if f"`{name}`" not in architecture]
    assert missing == [], f"docs/ARCHITECTURE.md does not describe: {missing}"
