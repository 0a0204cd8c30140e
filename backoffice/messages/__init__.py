"""Messages: mail to patients (and later hospitals, physicians, staff), stored as rows and sent through the outbox.

`operations.queue_message` stores a message and records its send job in the caller's transaction; `sending` is that
job (registered with `jobs.runner`), `automatic` writes the messages the product sends by itself (request received).
No blueprint yet: the case's thread and the compose form come in a later slice.
"""

from backoffice.messages import sending  # noqa: F401 - registers the send job
