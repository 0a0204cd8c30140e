from backoffice.logistics import bp  # noqa: F401 - routes are added below
