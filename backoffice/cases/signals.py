"""Where other features take part in a case's life: every tie between `cases` and a feature above it is named here.

`cases` sends these signals and never imports the features that answer them; each feature connects its receivers in
its own modules (loaded with its package by `create_app`), so the arrows point from the features to `cases`.

- `appointment_confirmed` (sender: the case) -> bool. Whether the case has a confirmed hospital appointment; the
  `travel_booked` guard of `cases.operations` asks it. Answered by logistics (appointments).
- `entry_guard` (sender: the state entered; keyword: case) -> a refusal message or None. A further condition on
  entering that state, on top of the guards in `cases.operations.GUARDS`, checked on the way into every later
  pipeline state too. Answered by logistics: a clean itinerary for `travel_booked`, the admission day for
  `in_treatment`.
- `state_entered` (sender: the state; keywords: case, actor_id). Runs after a case entered the state, in the same
  transaction. Answered by logistics: discharge plans the programme's follow-ups.
- `case_opened` (sender: the new case; keywords: actor_id, None for the public form). Runs once a case is opened,
  from the public form (`intake`) or by a coordinator (`opening.open_case_by_staff`), in the same transaction, through
  `opening.announce_opened`: the one way either path says so. Answered by messages: the "request received" mail to
  a patient who has an email address. A receiver returns a sentence for the person who opened the case (what was
  sent, or why not), or None.
- `coordinator_assigned` (sender: the case; keywords: coordinator_id, actor_id). Runs after the case got a
  coordinator (taken from the queue, or handed to a colleague; not when it goes back to the queue), in the same
  transaction, through `assignment.assign_coordinator`. Answered by notifications: the "new request" notifications
  every coordinator got while the case waited in the queue no longer need anyone and are marked read.
- `case_page` (sender: the case; keywords: forms) -> a dict of what a feature shows on the case page (see
  `cases.case_page`). Answered by billing, offers, invoicing, logistics, messages, portal and shipments.
- `timeline_entries` (sender: the case's id; keyword: health_data) -> a list of timeline entries (dicts with `at`,
  `type`, `kind`, `who`, `text`, and optionally `who_label`, `label` and `link`: (endpoint, arguments)) that
  `cases.history.timeline` merges in time order. Answered by messages: every message sent or received on the case
  (none without `health_data`).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

appointment_confirmed = _signals.signal("case-appointment-confirmed")
entry_guard = _signals.signal("case-entry-guard")
state_entered = _signals.signal("case-state-entered")
case_opened = _signals.signal("case-opened")
coordinator_assigned = _signals.signal("case-coordinator-assigned")
case_page = _signals.signal("case-page")
timeline_entries = _signals.signal("case-timeline-entries")
