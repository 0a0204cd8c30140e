"""The daily deletion job: the restricted records whose deletion day has come, at most `periodic.BATCH` groups a
run (the next day's run takes the rest), each group committed on its own."""

from __future__ import annotations

from datetime import timedelta

from backoffice.dbtypes import operator_today
from backoffice.jobs.periodic import BATCH, every
from backoffice.retention import operations


@every(timedelta(days=1), "retention.delete_due")
def delete_due() -> dict:
    """Delete every erasure's group due by today (the operator's day); a refused group waits and is reported, a
    store that fails leaves the rest for the next run."""
    return operations.counts(operations.delete_due(operator_today(), limit=BATCH))
