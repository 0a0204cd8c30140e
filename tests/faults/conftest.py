"""Which fault tests ran and passed, kept for `make evidence`."""


def pytest_terminal_summary(terminalreporter):
    from tests.tools.evidence import record_outcomes

    record_outcomes(terminalreporter, "tests/faults/", "faults", command="make test (tests/faults)")
