"""Messages: mail to and from patients, hospitals, physicians, interpreters and hotels, kept on the case's thread.

`operations.queue_message` stores an outgoing message and records its send job in the caller's transaction;
`sending` is that job (registered with `jobs.runner`); `automatic` writes the messages the product sends by itself.
`receiving` fetches replies from the operator's mailbox (IMAP) and files them on their case or the unmatched list;
`compose_views` is writing from the case, `inbox_views` the unmatched list, `kind_views` the administrator's switches
for automatic messages.
"""

from flask import Blueprint

bp = Blueprint("messages", __name__)

from backoffice.messages import (  # noqa: E402, F401
    automatic,
    compose_views,
    digest,
    inbox_views,
    kind_views,
    receiving,
    sending,
)
