"""The patient's treatment offers: the list, one offer (itemised, with the saving), its archived PDF, and the answer:
accept (full name typed, optional items ticked, "I accept") or decline (with a reason).

Another patient's offer, a draft, or one that does not exist: the portal's one 404. A refused answer (accepted
already, in another tab; replaced by a newer version; expired) shows the offer again with the reason and a 4xx.
"""

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import pdf
from backoffice.auth.permissions import patient_required
from backoffice.downloads import download
from backoffice.extensions import db
from backoffice.forms import form_errors
from backoffice.languages import page_language
from backoffice.offers import document
from backoffice.portal import bp
from backoffice.portal import offers as portal_offers
from backoffice.portal.forms import AcceptOfferForm, DeclineOfferForm
from backoffice.transactions import commit_change


@bp.route("/offers")
@patient_required
def list_offers():
    return render_template("portal/offers.html", offers=portal_offers.offers_of_user(current_user.id))


@bp.route("/offers/<int:offer_id>")
@patient_required
def show_offer(offer_id: int):
    return _offer_page(offer_id)


def _offer_page(offer_id: int, status: int = 200, accept_form=None, decline_form=None):
    offer = portal_offers.own_offer(offer_id, user_id=current_user.id)  # not theirs: the portal's one 404
    accepted = offer.status == "accepted" and offer.accepted_total is not None
    return render_template(
        "portal/offer.html",
        offer=offer,
        sheet=document.offer_sheet(offer, total=offer.accepted_total if accepted else None),
        state=portal_offers.state_of(offer),
        state_words=portal_offers.STATE_WORDS,
        may_answer=portal_offers.may_answer(offer),
        newest=portal_offers.newest_version(offer) if offer.status == "superseded" else None,
        accept_form=accept_form or AcceptOfferForm(formdata=None),
        decline_form=decline_form or DeclineOfferForm(formdata=None),
        chosen=set(request.form.getlist("chosen")) if request.method == "POST" else set(),
        percent=document.percent,
        isolate=pdf.isolate,
        document_language=page_language(),
    ), status


@bp.route("/offers/<int:offer_id>.pdf")
@patient_required
def download_offer(offer_id: int):
    offer, body = portal_offers.open_pdf(offer_id, user_id=current_user.id)  # not theirs: a 404, audited
    filename = portal_offers.pdf_filename(offer)
    db.session.commit()  # the download's audit row
    return download(body, mimetype="application/pdf", filename=filename)


@bp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@patient_required
def accept_offer(offer_id: int):
    portal_offers.own_offer(offer_id, user_id=current_user.id)  # not theirs: the one 404, whatever the form holds
    form = AcceptOfferForm()
    if not form.validate_on_submit():
        flash(" ".join(form_errors(form)), "error")
        return _offer_page(offer_id, 422, accept_form=form)
    return commit_change(
        lambda: portal_offers.accept(
            offer_id,
            user_id=current_user.id,
            name=form.name.data,
            address=request.remote_addr or "",
            chosen=request.form.getlist("chosen"),
        ),
        success=_("Thank you: you accepted the offer. Your coordinator confirms the next steps with you."),
        target=url_for("portal.show_offer", offer_id=offer_id),
        on_refusal=lambda status: _offer_page(offer_id, status, accept_form=form),
    )


@bp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@patient_required
def decline_offer(offer_id: int):
    portal_offers.own_offer(offer_id, user_id=current_user.id)  # not theirs: the one 404
    form = DeclineOfferForm()
    if not form.validate_on_submit():
        flash(" ".join(form_errors(form)), "error")
        return _offer_page(offer_id, 422, decline_form=form)
    return commit_change(
        lambda: portal_offers.decline(offer_id, user_id=current_user.id, reason=form.reason.data),
        success=_("You declined the offer. Your coordinator will contact you."),
        target=url_for("portal.show_offer", offer_id=offer_id),
        on_refusal=lambda status: _offer_page(offer_id, status, decline_form=form),
    )
