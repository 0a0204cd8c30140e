from backoffice.directory import bp  # noqa: F401 - routes are added below
