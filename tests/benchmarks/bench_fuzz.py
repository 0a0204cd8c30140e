"""The malformed-input sweep at benchmark size: at least 10,000 inputs over every form, file field and page.

Same machinery and oracle as tests/fuzz/test_malformed_inputs.py (see tests/tools/fuzz/sweep.py), with a random
hypothesis seed (printed: rerun a run with FUZZ_SEED=<seed>), deeper crawling, and 10 MB files among the uploads.
"""

from __future__ import annotations

import math
import os
import time

import pytest

from tests.fuzz.test_malformed_inputs import stored_then_rendered, sweep_inputs
from tests.tools.evidence import record
from tests.tools.fuzz.sweep import Sweep, shuffle_seed
from tests.tools.fuzz.world import build_world, redis_connection_of

TARGET_INPUTS = 10_000


@pytest.fixture
def sweep(app):
    world = build_world(app)
    sweep = Sweep(app, world, huge_files=True)
    yield sweep
    sweep.close()
    redis_connection_of(app).flushdb()


def test_ten_thousand_malformed_inputs(sweep, request):
    seed = int(os.environ.get("FUZZ_SEED") or shuffle_seed())
    per_target = math.ceil(TARGET_INPUTS / len(sweep.targets))
    print(f"\nmalformed-input sweep: hypothesis seed {seed}, {len(sweep.targets)} targets x {per_target} inputs")
    started = time.perf_counter()
    sweep_inputs(sweep, per_target, seed=seed)
    rechecked = sweep.recheck_pages()
    figures = {
        **sweep.figures(),
        "pages_rechecked": rechecked,
        "seed": seed,
        "sweep_seconds": round(time.perf_counter() - started, 1),
    }
    database = request.config.getoption("--db")
    record(
        "malformed-inputs-bench",
        figures,
        command=(
            f"FUZZ_SEED={seed} .venv/bin/python -m pytest -q -s --db {database} tests/benchmarks/bench_fuzz.py "
            "-o python_files='bench_*.py'"
        ),
        database=database,
    )
    print(sweep.summary())
    assert figures["inputs"] >= TARGET_INPUTS
    assert not sweep.findings, f"{len(sweep.findings)} findings:\n\n" + "\n\n".join(sweep.findings[:50])
    # Nasty text stored through every form as every role that sees it, then fetched back everywhere.
    stored_then_rendered(sweep, database, all_roles=True, name="stored-then-rendered-bench")
