"""The load test (`make loadtest`): a Locust scenario against gunicorn, PostgreSQL and Redis; see run.py."""
