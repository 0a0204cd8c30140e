"""Figures the proof suites measure, kept for `make evidence` (docs/EVIDENCE.md).

Each suite calls `record("<name>", figures)` once per run; the file `test-artifacts/evidence/<name>.json` then holds
the figures, when and on which database they were measured, and the command that measures them again.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EVIDENCE = Path(__file__).resolve().parents[1] / "test-artifacts" / "evidence"


def record(name: str, figures: dict[str, Any], *, command: str, database: str | None = None) -> Path:
    """Write (replace) the figures of one suite; values must be JSON-serialisable (str for Decimal)."""
    EVIDENCE.mkdir(parents=True, exist_ok=True)
    path = EVIDENCE / f"{name}{'-' + database if database else ''}.json"
    entry = {
        "name": name,
        "database": database,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} ({platform.machine()}, Python {platform.python_version()})",
        "command": command,
        "figures": figures,
    }
    path.write_text(json.dumps(entry, indent=2, default=str) + "\n")
    return path
