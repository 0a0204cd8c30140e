"""Interpreters: the directory (`directory`), their bookings for a case (`bookings`), never two at once for one
interpreter (`availability`), and the pages (`views`, `forms`)."""
