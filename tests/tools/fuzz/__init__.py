"""The malformed-input sweep and the stored-then-rendered sweep run by tests/fuzz and tests/benchmarks/bench_fuzz.py;
`sweep.py` describes how they work."""
