"""The load test's smoke run (the tool itself is tests/tools/load)."""
