"""Tools that drive the tests, apart from the tests themselves: the malformed-input and stored-text sweeps
(`fuzz/`), the load test (`load/`, `make loadtest`), the dependency audit (`dependencies.py`, `make audit`) and the
evidence record (`evidence.py`, `make evidence`). Nothing here is collected by pytest; the tests import it."""
