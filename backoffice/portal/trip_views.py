"""The patient's trip: the bookings of their current case (or of another of their cases) and its itinerary PDF."""

from flask import abort, render_template
from flask_login import current_user

from backoffice.auth.permissions import patient_required
from backoffice.downloads import download
from backoffice.extensions import db
from backoffice.logistics.itinerary.loading import load_itinerary
from backoffice.portal import bp, trip
from backoffice.portal.own_cases import own_cases


@bp.route("/trip")
@patient_required
def show_trip():
    return _trip_page(None)


@bp.route("/cases/<int:case_id>/trip")
@patient_required
def show_case_trip(case_id: int):
    return _trip_page(case_id)


def _trip_page(case_id: int | None):
    cases = own_cases(current_user.id, case_id)  # another patient's case: NotYours, the portal's one 404
    return render_template(
        "portal/trip.html",
        cases=cases,
        itinerary=load_itinerary(cases.shown.id) if cases.shown else None,
        local_time=trip.local_time,
        coordinator_phone=trip.coordinator_phone(),
    )


@bp.route("/trip/itinerary.pdf")
@patient_required
def download_itinerary():
    return _itinerary_pdf(None)


@bp.route("/cases/<int:case_id>/itinerary.pdf")
@patient_required
def download_case_itinerary(case_id: int):
    return _itinerary_pdf(case_id)


def _itinerary_pdf(case_id: int | None):
    case = own_cases(current_user.id, case_id).shown
    if case is None:  # an account without a case has no itinerary
        abort(404)
    filename, pdf = trip.itinerary_pdf(case, user_id=current_user.id)
    db.session.commit()  # the download's audit row
    return download(pdf, mimetype="application/pdf", filename=filename)
