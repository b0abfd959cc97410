"""Playwright harness: Debian's Chromium driving the real app, served from a thread on a SQLite file.

Browser tests skip, with the reason, where Chromium is missing, unless TRACKER_REQUIRE_BROWSER=1
(as in CI), where a missing browser fails the run instead.
"""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

try:
    from playwright.sync_api import expect
except ImportError:  # reported as a skip reason below
    expect = None

from tests.conftest import make_config

CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
DEMO_PASSWORD = "browser demo password"


def _browser_missing_reason() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _browser_missing_reason()
    if reason is None or os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
        return  # required: let them run and fail loudly in browser_type_launch_args
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


# What a page gets wrong on a small screen: elements reaching past the right edge of the viewport (hidden
# ones have no box), and table cells squeezed to a few characters a line.
OVERFLOW = r"""() => {
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 0.5) {
      wide.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} right=${Math.round(box.right)}`);
    }
  }
  // Squeezed: a cell whose text runs over three or more lines of fewer than three characters each
  // (firm names one character a line, headers stacked as 负/责/人).
  const squeezed = [];
  for (const cell of document.body.querySelectorAll('th, td')) {
    const lines = new Set();
    let text = '';
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
      if (!rects.length) continue;  // not rendered (a closed <details>, a hidden form)
      rects.forEach(r => lines.add(Math.round(r.bottom)));
      text += node.textContent.replace(/\s+/g, '');
    }
    if (lines.size >= 3 && text.length / lines.size < 3) squeezed.push(`${text.slice(0, 12)} (${lines.size} lines)`);
  }
  return {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: width, wide: wide.slice(0, 8),
          squeezed: squeezed.slice(0, 8)};
}"""


# A cold Chromium start on a fresh machine (font caches) can take seconds; be patient, not flaky.
if expect is not None:
    expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    reason = _browser_missing_reason()
    if reason and os.environ.get("TRACKER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here: {reason}")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.demo import seed_demo
    from tracker.extensions import db

    folder = tmp_path_factory.mktemp("live")
    os.environ["TRACKER_INSTANCE_PATH"] = str(folder)
    app = create_app(make_config("sqlite:///" + str(folder / "live.sqlite3"), TESTING=False))
    with app.app_context():
        upgrade()
        seed_demo(DEMO_PASSWORD)
        db.session.commit()
    return app


def buffered(app):
    """Each response read whole before werkzeug's server writes it. A page the browser leaves while a
    static file is still being sent (a click during loading) drops the connection mid-write, and the
    development server then never closes the file: a ResourceWarning, which the suite treats as an error,
    from the test server rather than from the app."""
    def serve(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


@pytest.fixture(scope="session")
def base_url(live_app):
    server = make_server("127.0.0.1", 0, buffered(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def open_phone_menu(page) -> None:
    """Open the collapsed navigation on a phone and wait for its opening to finish. Bootstrap's script must
    have loaded (a tap before it does nothing), and a tap on a toggle inside the menu while it still
    animates (class "collapsing") was lost on a loaded CI machine, twice."""
    import re

    page.wait_for_load_state("load")
    page.get_by_role("button", name="菜单").click()
    expect(page.locator("#mainnav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))


def open_user_menu(page, phone: bool = True) -> None:
    """The user's menu (password, language, sign-out), inside the phone's menu on a phone; its toggle is
    tapped again should a tap still be lost (up to three times)."""
    if phone:
        open_phone_menu(page)
    sign_out = page.locator("#sign-out")
    for _ in range(3):
        page.locator("#user-menu").click()
        try:
            expect(sign_out).to_be_visible(timeout=3000)
            return
        except AssertionError:
            continue
    expect(sign_out).to_be_visible()


def sign_in_on(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in on *page* (of any context) and wait for the signed-in page, so that a goto next does not race
    the sign-in's redirect."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="登录")).to_have_count(0)


@pytest.fixture
def sign_in(page):
    def do(username: str, password: str = DEMO_PASSWORD):
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()

    return do
