"""Reading pages as a staff member sees them, for the tests of the pages' languages."""

from __future__ import annotations

from tests.helpers import page_text


def assert_pages_say(client, pages: dict[str, list[str]], language: str) -> None:
    """Each page answers 200, in `language` (`<html lang>`), with each of its words."""
    for url, words in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = page_text(response)
        assert f'<html lang="{language}"' in page, url
        missing = [word for word in words if word not in page]
        assert missing == [], url
