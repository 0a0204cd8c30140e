"""Reminders: any number per case, each a user's own or the system's about one thing; the case's single reminder
(next_action_on, next_action) becomes the copy of its earliest open one, and the existing ones are carried over.

Revision ID: a14e0b7c2d31
Revises: 2c070fe7aac7
Create Date: 2026-12-06 07:19:06.954198

"""

import re
from datetime import datetime, UTC

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "a14e0b7c2d31"
down_revision = "2c070fe7aac7"
branch_labels = None
depends_on = None

_ORDER_FAILED = re.compile(r"^Medicine order #([0-9]{1,9}) failed")
_FOLLOW_UP = "Follow-up: "


def upgrade():
    reminders = op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "source IN ('user', 'follow_up', 'medicine_order', 'discharge')", name=op.f("ck_reminders_source")
        ),
        sa.CheckConstraint("state IN ('open', 'done', 'cleared')", name=op.f("ck_reminders_state")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_reminders_case_id_cases")),
        sa.ForeignKeyConstraint(["closed_by_id"], ["users.id"], name=op.f("fk_reminders_closed_by_id_users")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_reminders_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index("ix_reminders_case_state_due_on", ["case_id", "state", "due_on"], unique=False)
        batch_op.create_index("ix_reminders_source_source_id", ["source", "source_id"], unique=False)
    _carry_over(reminders)


def _carry_over(reminders) -> None:
    """Each case's reminder becomes a reminder row: the failed medicine order's or the follow-up's when its text says
    so, else the user's who last set it (the actor of the case's last "next_action" event), or its coordinator's."""
    bind = op.get_bind()
    cases = sa.table(
        "cases",
        sa.column("id"),
        sa.column("coordinator_id"),
        sa.column("next_action_on", sa.Date()),
        sa.column("next_action"),
    )
    events = sa.table("case_events", sa.column("id"), sa.column("case_id"), sa.column("kind"), sa.column("actor_id"))
    follow_ups = sa.table("follow_ups", sa.column("id"), sa.column("case_id"), sa.column("label"), sa.column("status"))
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = bind.execute(
        sa.select(cases.c.id, cases.c.coordinator_id, cases.c.next_action_on, cases.c.next_action).where(
            cases.c.next_action_on.is_not(None)
        )
    ).all()
    for case_id, coordinator_id, due_on, text in rows:
        text = (text or "").strip() or "Reminder"
        row = {"case_id": case_id, "text": text[:200], "due_on": due_on, "state": "open", "created_at": now}
        order = _ORDER_FAILED.match(text)
        follow_up_id = None
        if text.startswith(_FOLLOW_UP):
            follow_up_id = bind.scalar(
                sa.select(follow_ups.c.id)
                .where(
                    follow_ups.c.case_id == case_id,
                    follow_ups.c.label == text[len(_FOLLOW_UP) :],
                    follow_ups.c.status == "due",
                )
                .order_by(follow_ups.c.id)
                .limit(1)
            )
        if order:
            row.update(owner_id=None, source="medicine_order", source_id=int(order.group(1)))
        elif follow_up_id is not None:
            row.update(owner_id=None, source="follow_up", source_id=follow_up_id)
        else:
            setter = bind.scalar(
                sa.select(events.c.actor_id)
                .where(events.c.case_id == case_id, events.c.kind == "next_action")
                .order_by(events.c.id.desc())
                .limit(1)
            )
            row.update(owner_id=setter or coordinator_id, source="user", source_id=None)
        bind.execute(sa.insert(reminders).values(**row))


def downgrade():
    # The cases keep their copy of the earliest open reminder, which is what they held before this revision.
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_source_source_id")
        batch_op.drop_index("ix_reminders_case_state_due_on")
    op.drop_table("reminders")
