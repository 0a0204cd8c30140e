"""Benchmarks (`make bench`): each prints p50/p95 of a measured thing and its ratio to a baseline of the same run.

They use the suite's fixtures from tests/conftest.py (app on SQLite or PostgreSQL, real Redis) and never assert on
time; `make bench` collects `bench_*.py` files, which `make test` leaves alone.
"""
