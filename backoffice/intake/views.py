from backoffice.intake import bp  # noqa: F401 - routes are added below
