"""The first-answer deadline: a new request past it gets one alert on its timeline, from the periodic job."""

from datetime import timedelta

from sqlalchemy import select

from backoffice.cases.models import CaseEvent
from backoffice.cases.sla import sla_alerts
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.periodic import SCHEDULE
from tests.factories import make_case


def test_a_new_request_past_its_first_answer_deadline_gets_one_alert_however_often_the_job_runs(app):
    late = make_case(requested_at=utcnow() - timedelta(days=3))
    on_time = make_case()
    answered = make_case(requested_at=utcnow() - timedelta(days=3), first_response_at=utcnow())
    db.session.commit()

    assert sla_alerts() == {"alerts": 1}
    assert sla_alerts() == {"alerts": 0}
    alerted = db.session.scalars(select(CaseEvent.case_id).where(CaseEvent.kind == "sla_breached")).all()
    assert alerted == [late.id]
    assert on_time.id not in alerted and answered.id not in alerted
    assert SCHEDULE["cases.sla_alerts"] == timedelta(minutes=15)
