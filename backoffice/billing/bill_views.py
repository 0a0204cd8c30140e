from backoffice.billing import bp  # noqa: F401 - routes are added below
