"""What a patient or visitor sees works on a phone (390x844) as on a desktop (1280x800), in their language: the public
request form and the sign-in pages, and every page of the portal. The page scrolls down, never sideways (the document
is no wider than the window and nothing in it scrolls sideways), and no table cell is hidden or cut off: on a phone a
table becomes a stack of small cards, each cell labelled, so the amount left to pay and the PDF link stay on screen.

In Arabic the page is written right to left (`dir="rtl"`) and its layout mirrors: the operator's name is at the
window's right edge and the first menu item on the right of the menu. A screenshot of each page in each of the four
languages is kept in test-artifacts/e2e/ (English and Arabic at both widths, German and Russian on the phone).

The portal's pages are the ones the server has: every page under /portal/ without an id in its address (read from
the URL map, so a new portal page is measured as soon as its route exists) and the change of password.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Browse

WINDOWS = {"phone": (390, 844), "desktop": (1280, 800)}
PUBLIC_PAGES = ("/request", "/login", "/portal/forgot-password")
PUBLIC_LANGUAGES = ("en", "de", "ru", "ar")
# Portal pages a signed-in patient reads besides those found under /portal/ (a patient's account lives there too).
PORTAL_PAGES = ("/portal/", "/portal/invoices", "/account/password")
PORTAL_LANGUAGES = ("en", "de", "ru", "ar")
# English (left to right) and Arabic (right to left) are measured at both widths; German and Russian, whose words
# are the longest, on the phone, where they are tight.
BOTH_WIDTHS = ("en", "ar")
# Who sends the request form in each language, and what for (the thanks page shows the request number among them).
VISITORS = {"en": "Layout Probe", "de": "Jürgen Weißmüller", "ru": "Анна Иванова", "ar": "فاطمة الزهراء"}
TREATMENTS = {
    "en": "Knee replacement",
    "de": "Kniegelenkersatz",
    "ru": "Замена коленного сустава",
    "ar": "استبدال مفصل الركبة",
}
NOT_A_PAGE = re.compile(r"<|\.(pdf|ics|csv|zip)$")  # an address with an id, or a download

# What does not fit, in words: the page wider than the window, anything that scrolls sideways, a table cell that is
# hidden, narrower than a pixel, past the window's edge or cut off by a box around it.
MISFITS = """() => {
  const width = window.innerWidth;
  const found = [];
  const name = el => el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const page = document.documentElement.scrollWidth;
  if (page > width) found.push(`the page is ${page} px wide in a ${width} px window`);
  for (const el of document.querySelectorAll('body *')) {
    const style = getComputedStyle(el);
    if (['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
      found.push(`${name(el)} scrolls sideways (${el.scrollWidth} px in ${el.clientWidth} px)`);
  }
  for (const td of document.querySelectorAll('main td')) {
    const box = td.getBoundingClientRect();
    const style = getComputedStyle(td);
    const cell = `cell "${td.dataset.label || td.textContent.trim().slice(0, 40)}"`;
    if (style.display === 'none' || style.visibility !== 'visible' || box.width < 1 || box.height < 1) {
      found.push(`${cell} is hidden`);
      continue;
    }
    if (box.left < -0.5 || box.right > width + 0.5) {
      found.push(`${cell} is past the window's edge (${Math.round(box.left)} to ${Math.round(box.right)} px)`);
      continue;
    }
    for (let el = td.parentElement; el && el !== document.body; el = el.parentElement) {
      if (getComputedStyle(el).overflowX === 'visible') continue;
      const around = el.getBoundingClientRect();
      if (box.left < around.left - 0.5 || box.right > around.right + 0.5) {
        found.push(`${cell} is cut off by ${name(el)}`);
        break;
      }
    }
  }
  return found;
}"""

# Where the layout puts the operator's name and the first menu item, for the mirror check.
LAYOUT = """() => {
  const box = el => el ? el.getBoundingClientRect().toJSON() : null;
  return {
    dir: document.documentElement.dir,
    lang: document.documentElement.lang,
    width: window.innerWidth,
    brand: box(document.querySelector('.topbar .brand')),
    menu: box(document.querySelector('.topbar .mainnav')),
    first: box(document.querySelector('.topbar .mainnav a')),
    rightToLeftNumbers: [...document.querySelectorAll('a[href^="tel:"], input[type=email], input[name=phone]')]
      .filter(el => getComputedStyle(el).direction !== 'ltr').map(el => el.outerHTML.slice(0, 80)),
  };
}"""


@pytest.fixture(scope="module")
def portal_pages(live_server) -> list[str]:
    """The portal pages this server has: PORTAL_PAGES and every page under /portal/ without an id (the URL map)."""
    routes = live_server.flask("routes").stdout.splitlines()
    found = {line.split()[-1] for line in routes if len(line.split()) >= 3 and "GET" in line}
    missing = [path for path in PORTAL_PAGES if path not in found]
    assert not missing, f"the server has no {missing}"
    under_portal = sorted(
        path
        for path in found
        if path.startswith("/portal/") and not NOT_A_PAGE.search(path) and path not in PUBLIC_PAGES
    )
    return list(dict.fromkeys([*PORTAL_PAGES, *under_portal]))


def misfits(browse: Browse, path: str, language: str) -> dict[str, list[str]]:
    """What does not fit on `path` in `language`, per window (a screenshot of each; German and Russian on the phone
    only); the layout mirrors for Arabic."""
    found = {}
    for window in WINDOWS if language in BOTH_WIDTHS else ("phone",):
        resize(browse, window)
        browse.go(f"{path}?lang={language}")
        found |= measure(browse, path, language, window)
    return found


def resize(browse: Browse, window: str) -> None:
    width, height = WINDOWS[window]
    browse.page.set_viewport_size({"width": width, "height": height})


def measure(browse: Browse, path: str, language: str, window: str) -> dict[str, list[str]]:
    """What does not fit on the page the tab shows now (and a screenshot of it)."""
    layout = browse.page.evaluate(LAYOUT)
    assert layout["lang"] == language, f"{path} is in {layout['lang']!r}, not {language!r}"
    browse.shot(f"{path.strip('/').replace('/', '-') or 'portal'}-{language}-{window}")
    problems = browse.page.evaluate(MISFITS) + mirror_problems(layout, language)
    return {f"{path} {language} {window}": problems} if problems else {}


def mirror_problems(layout: dict, language: str) -> list[str]:
    """Arabic: right to left, the operator's name at the right edge, the first menu item on the menu's right; phone
    numbers and email addresses left to right in any language."""
    width, brand, menu, first = layout["width"], layout["brand"], layout["menu"], layout["first"]
    rtl = language == "ar"
    problems = []
    if layout["dir"] != ("rtl" if rtl else "ltr"):
        problems.append(f"dir is {layout['dir']!r}")
    if rtl and brand["right"] < width - 40:
        problems.append(f"the operator's name ends {width - brand['right']:.0f} px from the right edge")
    if not rtl and brand["left"] > 40:
        problems.append(f"the operator's name starts {brand['left']:.0f} px from the left edge")
    if first and rtl and first["right"] < menu["right"] - 2:
        problems.append("the first menu item is not on the right of the menu")
    if first and not rtl and first["left"] > menu["left"] + 2:
        problems.append("the first menu item is not on the left of the menu")
    if layout["rightToLeftNumbers"]:
        problems.append(f"phone numbers or email addresses run right to left: {layout['rightToLeftNumbers']}")
    return problems


@pytest.mark.parametrize("language", PUBLIC_LANGUAGES)
def test_request_form_and_sign_in_fit_a_phone_and_mirror_in_arabic(browse: Browse, language: str):
    problems = {}
    for path in PUBLIC_PAGES:
        problems |= misfits(browse, path, language)

    # The form as a visitor on a phone sends it: first with nothing filled in (its messages), then filled in.
    page = browse.page
    resize(browse, "phone")
    browse.go(f"/request?lang={language}")
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state()
    problems |= measure(browse, "/request (not filled in)", language, "phone")
    assert page.locator(".field-error").count(), "the empty form shows no message"
    page.fill("input[name=name]", VISITORS[language])
    page.fill("input[name=email]", f"layout-{language}@example.org")
    page.fill("input[name=phone]", "+971 50 123 4567")
    page.select_option("select[name=country]", "AE")
    page.fill("input[name=requested_treatment]", TREATMENTS[language])
    page.check("input[name=consent]")
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/request/thanks")
    for window in WINDOWS if language in BOTH_WIDTHS else ("phone",):  # the thanks page is shown once, not reloaded
        resize(browse, window)
        problems |= measure(browse, "/request/thanks", language, window)
    assert not problems, f"does not fit: {problems}"


@pytest.mark.parametrize("language", PORTAL_LANGUAGES)
def test_every_portal_page_fits_a_phone_and_mirrors_in_arabic(browse: Browse, portal_pages: list[str], language: str):
    browse.login("patient", email="patient@demo.test")
    problems = {}
    for path in portal_pages:
        problems |= misfits(browse, path, language)
    browse.go("/portal/invoices")
    assert browse.page.locator("main table tbody td").count(), "the demo patient has no invoice to measure"
    widths = list(WINDOWS) if language in BOTH_WIDTHS else ["phone"]
    print(f"\n{language}: {len(portal_pages)} portal pages at {widths}: {portal_pages}")
    assert not problems, f"does not fit: {problems}"
