"""Many posts of one form at the same moment, through real HTTP, as a script or a botnet sends them."""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlencode, urlsplit

from tests.servers import threaded_server


def form_session(app) -> tuple[str, str]:
    """A session cookie and the CSRF token that goes with it, as a browser has them after opening a form."""
    browser = app.test_client()
    token = browser.csrf_token()
    name = app.config["SESSION_COOKIE_NAME"]
    return f"{name}={browser.get_cookie(name).value}", token


def post_at_once(app, path: str, forms: list[dict[str, str]]) -> list[int | str]:
    """POST each form to `path` in its own thread, all released together against a threaded server; the statuses."""
    cookie, token = form_session(app)
    barrier = threading.Barrier(len(forms))
    statuses: list[int | str] = []
    lock = threading.Lock()

    with threaded_server(app) as url:
        host = urlsplit(url)

        def send(form: dict[str, str]) -> None:
            body = urlencode({**form, "csrf_token": token})
            connection = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
            try:
                barrier.wait(timeout=60)
                connection.request(
                    "POST",
                    path,
                    body,
                    {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
                )
                response = connection.getresponse()
                response.read()
                result: int | str = response.status
            except Exception as error:  # reported by the assertions, not lost in the thread
                result = repr(error)
            finally:
                connection.close()
            with lock:
                statuses.append(result)

        threads = [threading.Thread(target=send, args=(form,)) for form in forms]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
    return statuses
