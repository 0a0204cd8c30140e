"""Demo data: accounts, a directory of German hospitals, and cases in every state of the pipeline.

`flask demo seed` builds a small, realistic data set to try the app with; `flask demo seed --cases 100000` adds a
large one for benchmarks. Cases go in by bulk INSERTs (chunks of a few thousand rows), and their numbers are
reserved with one statement per year instead of one per case, so 100,000 cases load in seconds on SQLite and
PostgreSQL. Hospital names other than the Clinic of Advanced Biological Medicine, all physicians and all patients
are invented. It runs once per database and reads top to bottom like the story of the demo (accounts, directory,
cases, then their bills and trips in the modules beside it), which is why it stays over 400 lines in one piece.
"""

from __future__ import annotations

import random
import re
import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import func, select, text

from backoffice.auth.models import User
from backoffice.auth.operations import hash_password
from backoffice.cases.models import STATES, Case, CaseEvent, Reminder, ScreeningAnswer
from backoffice.cases.search import case_search_key, treatment_key
from backoffice.cases.states import BEFORE_TREATMENT, PIPELINE
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.demo.bulk import advance_sequence, insert_rows, take_ids
from backoffice.demo.data import (
    AGE_DAYS,
    CANCEL_REASONS,
    DEMO_COORDINATORS,
    DEMO_PASSWORD,
    DEMO_USERS,
    HOLD_REASONS,
    HOSPITALS,
    MESSAGES,
    NEXT_ACTIONS,
    PATIENT_ORIGINS,
    PAUSED_DESTINATIONS,
    SOURCES,
    STATE_WEIGHTS,
)
from backoffice.demo.estimates import estimate_offers
from backoffice.directory.models import (
    Contraindication,
    Hospital,
    PausedDestination,
    Physician,
    Programme,
    ProgrammePhase,
)
from backoffice.extensions import db
from backoffice.money import Money
from backoffice.numbering import reserve_numbers
from backoffice.patients.models import Patient, phone_digits
from backoffice.shipments.models import Pharmacy
from backoffice.trail import record_event
from backoffice.users.operations import create_user

# ---------------------------------------------------------------------------------------------- the directory


def seed_accounts() -> int:
    """The demo logins (password `demo-password`), those missing only; returns how many were created."""
    created = 0
    for email, name, role in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            # The demo password is documented and weak by design (`make run` only; seeding refuses production), so
            # it is stored directly rather than through the password rule, and no change is asked of it.
            user = create_user(
                email=email, name=name, role=role, password=secrets.token_urlsafe(24), must_change_password=False
            )
            user.password_hash = hash_password(DEMO_PASSWORD)
            created += 1
    return created


def _demo_pharmacies() -> list:
    """Pharmacies reached through the sandbox providers: medicine orders run end to end without buying anything."""
    return [
        Pharmacy(
            name="Apotheke am Römer (sandbox)",
            country="DE",
            city="Frankfurt am Main",
            address="Römerberg 3, 60311 Frankfurt am Main",
            email="orders@roemer-apotheke.example",
            phone="+49 69 000 1111",
            provider="sandbox",
            cold_chain=True,
        ),
        Pharmacy(
            name="Isar-Apotheke (sandbox)",
            country="DE",
            city="München",
            address="Isartorplatz 1, 80331 München",
            email="orders@isar-apotheke.example",
            provider="sandbox",
            cold_chain=False,
        ),
    ]


def _demo_address(name: str, code: str) -> str:
    """`dr.anna.berg@fra-abm.example` for "Dr. Anna Berg" at FRA-ABM (the .example domain never delivers)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return ".".join(re.findall(r"[a-z]+", plain)) + f"@{code.lower()}.example"


def seed_directory() -> bool:
    """German hospitals with physicians and programmes, and the paused destinations; skipped when already there."""
    if db.session.scalar(select(Hospital.id).where(Hospital.code == "FRA-ABM")) is not None:
        return False
    for spec in HOSPITALS:
        hospital = Hospital(
            code=spec["code"],
            name=spec["name"],
            city=spec["city"],
            country="DE",
            timezone="Europe/Berlin",
            languages=list(spec["languages"]),
            address=spec["address"],
            contact_name=spec["contact_name"],
            contact_email=f"international@{spec['code'].lower()}.example",
            contact_phone="+49 69 000 0000",
            vat_id=spec.get("vat_id", ""),
        )
        hospital.physicians = [
            Physician(
                name=name,
                specialty=specialty,
                languages=list(languages),
                email=_demo_address(name, spec["code"]),  # so a consultation request can be tried in `make run`
                phone="+49 69 000 0001",
            )
            for name, specialty, languages in spec["physicians"]
        ]
        hospital.programmes = [
            Programme(
                name=programme["name"],
                description=programme.get("description", ""),
                price_from=Money(programme["price"], "EUR"),
                typical_stay_days=programme["stay"],
                follow_up_plan=programme["follow_up"],
                follow_up_schedule=programme.get("schedule", ""),
                phases=[
                    ProgrammePhase(position=position, name=name, duration=duration, duration_days=days)
                    for position, (name, duration, days) in enumerate(programme["phases"], start=1)
                ],
                contraindications=[
                    Contraindication(position=position, question=question, resolution_hint=hint)
                    for position, (question, hint) in enumerate(programme["contraindications"], start=1)
                ],
            )
            for programme in spec["programmes"]
        ]
        db.session.add(hospital)
    db.session.add_all(_demo_pharmacies())
    admin_id = db.session.scalar(select(User.id).where(User.email == DEMO_USERS[0][0]))
    for country, reason in PAUSED_DESTINATIONS:
        if db.session.get(PausedDestination, country) is None:
            db.session.add(PausedDestination(country=country, reason=reason, paused_by_id=admin_id))
    db.session.flush()
    record_event(
        "demo_directory_seeded",
        actor_id=None,
        details={"hospitals": [spec["code"] for spec in HOSPITALS], "paused": [c for c, _ in PAUSED_DESTINATIONS]},
    )
    return True


# ---------------------------------------------------------------------------------------------- patients


# (country, preferred language, further languages, calling code, first names | ..., surnames | ...)
def _ascii(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == ".")


def _patient(rng: random.Random, serial: int, requested_at: datetime) -> dict:
    country, language, extra, calling, firsts, lasts = rng.choice(PATIENT_ORIGINS)
    first, last = rng.choice(firsts.split("|")), rng.choice(lasts.split("|"))
    return {
        "name": f"{first} {last}",
        "email": f"{_ascii(first)}.{_ascii(last)}.{serial}@example.com",
        "phone": f"{calling} {rng.randint(100, 999)} {rng.randint(1000000, 9999999)}",
        "country": country,
        "preferred_language": language,
        "languages": extra,
        "date_of_birth": date(rng.randint(1948, 2012), rng.randint(1, 12), rng.randint(1, 28)),
        "address": "",
        "created_at": requested_at,
    }


# ---------------------------------------------------------------------------------------------- cases


# How often each state occurs, and how long ago (days) a case in it was requested.
@dataclass
class _Plan:
    """One case to insert and the history that goes with it (case_id known only after the insert)."""

    row: dict
    patient: dict
    events: list[dict] = field(default_factory=list)
    screening: list[dict] = field(default_factory=list)
    reminders: list[dict] = field(default_factory=list)  # the case's copy is of the earliest (here: the only) one
    estimate: Decimal | None = None  # the price agreed before offers existed: a one-line offer (`demo.estimates`)


@dataclass
class _Directory:
    coordinators: list[tuple[int, str]]
    admin_id: int | None
    programmes: list[dict]


def _load_directory() -> _Directory:
    coordinators = db.session.execute(
        select(User.id, User.name).where(User.email.in_(DEMO_COORDINATORS)).order_by(User.email)
    ).all()
    if not coordinators:
        raise RuntimeError("the demo coordinators are missing: seed the accounts first")
    programmes = db.session.scalars(select(Programme).where(Programme.active.is_(True)).order_by(Programme.id)).all()
    if not programmes:
        raise RuntimeError("the demo directory is missing: seed the directory first")
    treatments = {programme["name"]: programme["treatments"] for spec in HOSPITALS for programme in spec["programmes"]}
    physicians: dict[int, list[int]] = defaultdict(list)
    for physician_id, hospital_id in db.session.execute(select(Physician.id, Physician.hospital_id)):
        physicians[hospital_id].append(physician_id)
    hospitals = dict(db.session.execute(select(Hospital.id, Hospital.name)).all())
    checklist: dict[int, list[tuple[int, int, str, str]]] = defaultdict(list)
    for item in db.session.scalars(select(Contraindication).order_by(Contraindication.position)):
        checklist[item.programme_id].append((item.id, item.position, item.question, item.resolution_hint))
    return _Directory(
        coordinators=[(row.id, row.name) for row in coordinators],
        admin_id=db.session.scalar(select(User.id).where(User.email == DEMO_USERS[0][0])),
        programmes=[
            {
                "id": p.id,
                "name": p.name,
                "hospital_id": p.hospital_id,
                "hospital": hospitals[p.hospital_id],
                "price": p.price_from_amount or Decimal(5000),
                "physicians": physicians[p.hospital_id],
                "checklist": checklist[p.id],
                "treatments": treatments.get(p.name, (p.name,)),
            }
            for p in programmes
        ],
    )


def _states(n: int, rng: random.Random) -> list[str]:
    """`n` states by their weights, every state at least once when n allows."""
    names, weights = list(STATE_WEIGHTS), list(STATE_WEIGHTS.values())
    chosen = list(STATES)[:n] + rng.choices(names, weights, k=max(0, n - len(STATES)))
    rng.shuffle(chosen)
    return chosen


def _plan_case(state: str, rng: random.Random, now: datetime, directory: _Directory, serial: int) -> _Plan:
    """A plausible case in `state`: dates, coordinator, programme and estimate, screening, and its history."""
    hold_reason = cancel_reason = ""
    state_before_hold = None
    if state == "on_hold":
        state_before_hold = rng.choice(("contacted", "records_review", "programme_offered", "confirmed"))
        reached, hold_reason = state_before_hold, rng.choice(HOLD_REASONS)
    elif state == "cancelled":
        reached, cancel_reason = rng.choice(BEFORE_TREATMENT), rng.choice(CANCEL_REASONS)
    else:
        reached = state
    progress = PIPELINE.index(reached)
    low, high = AGE_DAYS[reached]
    if state in ("on_hold", "cancelled"):
        high = max(high * 2, 30)
    requested_at = now - timedelta(days=rng.uniform(low, high), seconds=rng.randint(60, 3600))
    programme = rng.choice(directory.programmes)
    coordinator = None
    if state != "new" or rng.random() < 0.55:
        coordinator = rng.choices(directory.coordinators, weights=(55, 45)[: len(directory.coordinators)])[0]
    source = rng.choices([s for s, _ in SOURCES], [w for _, w in SOURCES])[0]

    row = {
        "patient_id": None,
        "coordinator_id": coordinator[0] if coordinator else None,
        "state": state,
        "version": 1,
        "source": source,
        "requested_treatment": rng.choice(programme["treatments"]),
        "destination_country": "DE",
        "message": rng.choice(MESSAGES),
        "health_data_consent_at": requested_at,
        "hospital_id": None,
        "physician_id": None,
        "programme_id": None,
        "requested_at": requested_at,
        "first_response_due_at": requested_at + timedelta(hours=settings().first_response_hours),
        "first_response_at": None,
        "next_action_on": None,
        "next_action": "",
        "state_before_hold": state_before_hold,
        "cancel_reason": cancel_reason,
        "updated_at": requested_at,
    }
    plan = _Plan(row=row, patient=_patient(rng, serial, requested_at))
    actor = coordinator[0] if coordinator else directory.admin_id

    def event(kind: str, at: datetime, note: str = "", from_state=None, to_state=None, actor_id=actor) -> None:
        plan.events.append(
            {
                "occurred_at": at,
                "actor_id": actor_id,
                "kind": kind,
                "from_state": from_state,
                "to_state": to_state,
                "note": note,
            }
        )

    event("opened", requested_at, f"Request received ({source})", to_state="new", actor_id=None)
    # The path the case took: each forward step, then on hold or cancelled when that is where it is now.
    steps = [(PIPELINE[i], PIPELINE[i + 1], "") for i in range(progress)]
    if state == "on_hold":
        steps.append((reached, "on_hold", hold_reason))
    elif state == "cancelled":
        steps.append((reached, "cancelled", cancel_reason))
    if steps:
        age = now - requested_at
        response = timedelta(hours=min(rng.lognormvariate(1.3, 0.9), 60))
        first_response_at = requested_at + min(response, age * 0.5)
        last_change = max(first_response_at, requested_at + age * rng.uniform(0.55, 0.95))
        row["first_response_at"] = first_response_at
        row["updated_at"] = last_change
        if coordinator:
            event("assigned", requested_at + (first_response_at - requested_at) * 0.3, f"Assigned to {coordinator[1]}")
        gap = (last_change - first_response_at) / max(1, len(steps) - 1)
        for index, (before, after, note) in enumerate(steps):
            at = first_response_at + gap * index
            if after == "programme_offered":
                _choose_programme(plan, programme, rng, at - timedelta(minutes=30), event)
            if after == "confirmed" and plan.screening:
                _answer_screening(plan, actor, at - timedelta(minutes=20), event)
            event("transition", at, note, from_state=before, to_state=after)
    elif coordinator:
        event("assigned", requested_at + timedelta(minutes=rng.randint(5, 300)), f"Assigned to {coordinator[1]}")
    if state not in ("closed", "cancelled") and rng.random() < (0.1 if state == "new" else 0.35):
        row["next_action_on"] = now.date() + timedelta(days=rng.randint(-3, 10))
        row["next_action"] = rng.choice(NEXT_ACTIONS[state])
        plan.reminders.append(
            {
                "owner_id": actor,
                "source": "user",
                "text": row["next_action"],
                "due_on": row["next_action_on"],
                "state": "open",
                "created_at": row["updated_at"],
            }
        )
    return plan


def _choose_programme(plan: _Plan, programme: dict, rng: random.Random, at: datetime, event) -> None:
    factor = Decimal(rng.choice((100, 100, 105, 110, 115, 120))) / 100
    estimate = (programme["price"] * factor / 50).to_integral_value() * 50
    plan.row.update(
        programme_id=programme["id"],
        hospital_id=programme["hospital_id"],
        physician_id=rng.choice(programme["physicians"]) if programme["physicians"] and rng.random() < 0.8 else None,
    )
    plan.estimate = estimate.quantize(Decimal("0.01"))
    plan.screening = [
        {
            "contraindication_id": item_id,
            "position": position,
            "question": question,
            "resolution_hint": hint,
            "answer": None,
            "answered_at": None,
            "answered_by_id": None,
            "resolution": "",
        }
        for item_id, position, question, hint in programme["checklist"]
    ]
    event("programme_set", at, f"{programme['hospital']}: {programme['name']}; estimate {_euros(estimate)}")


@lru_cache(maxsize=256)
def _euros(amount: Decimal) -> str:
    return Money(amount, "EUR").format()


def _answer_screening(plan: _Plan, actor: int | None, at: datetime, event) -> None:
    for answer in plan.screening:
        answer.update(answer="no", answered_at=at, answered_by_id=actor)
    event("screening", at, "; ".join(f"{answer['question']}: no" for answer in plan.screening))


def seed_cases(n: int, rng: random.Random | None = None, *, now: datetime | None = None) -> list[int]:
    """Add `n` cases spread over every state, each with a new patient, its history and (past the offer) its
    programme, estimate and screening; numbers continue the year's series. Returns the new case ids. Flushes; the
    caller commits."""
    if n <= 0:
        return []
    rng = rng or random.Random()
    now = now or utcnow()
    directory = _load_directory()
    first_serial = (db.session.scalar(select(func.max(Patient.id))) or 0) + 1
    plans = [_plan_case(state, rng, now, directory, first_serial + i) for i, state in enumerate(_states(n, rng))]
    plans.sort(key=lambda plan: plan.row["requested_at"])

    by_year: dict[int, list[_Plan]] = defaultdict(list)
    for plan in plans:
        by_year[plan.row["requested_at"].year].append(plan)
    for year, year_plans in by_year.items():
        first = reserve_numbers("case", year, len(year_plans))
        for offset, plan in enumerate(year_plans):
            plan.row["number"] = f"C-{year}-{first + offset:05d}"

    patient_ids, case_ids = take_ids(Patient, n), take_ids(Case, n)
    for plan, patient_id, case_id in zip(plans, patient_ids, case_ids, strict=True):
        plan.patient["id"], plan.row["id"], plan.row["patient_id"] = patient_id, case_id, patient_id
        # Core INSERTs pass by the ORM's flush, where the search keys are otherwise kept (cases.search).
        person = plan.patient
        plan.patient["phone_digits"] = phone_digits(person["phone"])
        plan.row["search_key"] = case_search_key(plan.row["number"], person["name"], person["email"], person["phone"])
        plan.row["treatment_key"] = treatment_key(plan.row["requested_treatment"])
    insert_rows(Patient, (plan.patient for plan in plans))
    insert_rows(Case, (plan.row for plan in plans))
    advance_sequence(Patient)
    advance_sequence(Case)
    insert_rows(
        CaseEvent,
        ({**event, "case_id": case_id} for plan, case_id in zip(plans, case_ids, strict=True) for event in plan.events),
    )
    insert_rows(
        ScreeningAnswer,
        (
            {**answer, "case_id": case_id}
            for plan, case_id in zip(plans, case_ids, strict=True)
            for answer in plan.screening
        ),
    )
    insert_rows(
        Reminder,
        (
            {**reminder, "case_id": case_id}
            for plan, case_id in zip(plans, case_ids, strict=True)
            for reminder in plan.reminders
        ),
    )
    estimate_offers(
        [
            (case_id, plan.row["state"], plan.row["state_before_hold"], plan.row["coordinator_id"], plan.estimate)
            for plan, case_id in zip(plans, case_ids, strict=True)
            if plan.estimate is not None
        ]
    )
    record_event("demo_cases_seeded", actor_id=None, details={"cases": n})
    return list(case_ids)


def refresh_statistics() -> None:
    """Let the query planners see the new row counts (after a large load, before anyone measures)."""
    for statement in (
        "ANALYZE patients",
        "ANALYZE cases",
        "ANALYZE case_events",
        "ANALYZE screening_answers",
        "ANALYZE offers",
    ):
        db.session.execute(text(statement))


def has_cases() -> bool:
    return db.session.scalar(select(Case.id).limit(1)) is not None
