from backoffice.cases import bp  # noqa: F401 - routes are added below
