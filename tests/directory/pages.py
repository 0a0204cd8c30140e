"""Reading pages as a staff member sees them, for the tests of the pages' languages."""

from __future__ import annotations

import html


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def assert_pages_say(client, pages: dict[str, list[str]], language: str) -> None:
    """Each page answers 200, in `language` (`<html lang>`), with each of its words."""
    for url, words in pages.items():
        response = client.get(url)
        page = text(response)
        assert response.status_code == 200, url
        assert f'<html lang="{language}"' in page, url
        missing = [word for word in words if word not in page]
        assert missing == [], url
