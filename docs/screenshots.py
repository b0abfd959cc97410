"""Take the README's screenshots: `python docs/screenshots.py` (needs Chromium and a seeded app).

Serves a throwaway copy of the app with demo data on a free port and saves PNGs in docs/screenshots/.
"""
import os
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "screenshot demo password"


def serve():
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.demo import seed_demo
    from tracker.extensions import db

    folder = Path(tempfile.mkdtemp())
    os.environ["TRACKER_INSTANCE_PATH"] = str(folder)
    app = create_app({"SECRET_KEY": "screenshots", "DATABASE_URL": f"sqlite:///{folder / 'shots.sqlite3'}",
                      "PASSWORD_HASH_METHOD": "scrypt:1024:8:1"})
    with app.app_context():
        upgrade()
        seed_demo(PASSWORD)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def signed_in(browser, base: str, username: str, viewport: dict):
    """A page of the given size signed in as *username*, once it has left the sign-in page."""
    page = browser.new_page(base_url=base, viewport=viewport, is_mobile=viewport is PHONE,
                            has_touch=viewport is PHONE)
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def main():
    base = serve()
    out = ROOT / "docs" / "screenshots"
    for old in out.glob("*.png"):
        old.unlink()  # only what this run takes stays
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        # Screens only, never whole long pages: the PNGs stay small.
        anonymous = browser.new_page(base_url=base, viewport=DESKTOP)
        anonymous.goto("/login")
        anonymous.screenshot(path=out / "login-desktop.png")

        # The officer: firm search on his desk, the roster and his work on a phone in the field.
        officer = signed_in(browser, base, "officer", DESKTOP)
        officer.goto("/enterprises/?q=ylsf")
        officer.screenshot(path=out / "officer-firm-search-desktop.png")
        phone = signed_in(browser, base, "officer", PHONE)
        phone.goto("/campaigns/")
        phone.get_by_role("link", name="2019年百企大调研").click()
        phone.locator("#roster").scroll_into_view_if_needed()
        phone.screenshot(path=out / "officer-roster-phone.png")
        phone.goto("/work/")
        phone.screenshot(path=out / "officer-work-phone.png")

        # The manager: the needs ledger with its menu open, a firm's profile, a plan's measures on a phone.
        manager = signed_in(browser, base, "manager-dl", DESKTOP)
        manager.goto("/needs/")
        manager.locator("#nav-outreach").click()
        manager.screenshot(path=out / "manager-needs-desktop.png")
        manager.goto("/enterprises/?sort=-declarations")
        manager.get_by_role("link", name="五矿营口中板有限责任公司").click()
        manager.wait_for_selector("#declarations-chart canvas")
        manager.screenshot(path=out / "manager-firm-profile-desktop.png")
        phone = signed_in(browser, base, "manager", PHONE)
        phone.goto("/plans/")
        phone.get_by_role("link", name="营口雅丽丝服装有限公司").first.click()
        phone.locator("#measures").scroll_into_view_if_needed()
        phone.screenshot(path=out / "manager-plan-phone.png")

        # The admin: users with the administration menu open; the folded menu opened on a phone.
        admin = signed_in(browser, base, "admin", DESKTOP)
        admin.goto("/admin/users")
        admin.locator("#nav-admin").click()
        admin.screenshot(path=out / "admin-users-desktop.png")
        phone = signed_in(browser, base, "admin", PHONE)
        phone.get_by_role("button", name="菜单").click()
        phone.locator("#nav-outreach").click()
        phone.wait_for_timeout(400)  # the menu's opening transition
        phone.screenshot(path=out / "admin-menu-phone.png")

        # The firm's contact: the portal on a phone, the firm's plan on a desktop.
        phone = signed_in(browser, base, "yalisi", PHONE)
        phone.screenshot(path=out / "contact-portal-phone.png")
        contact = signed_in(browser, base, "yalisi", DESKTOP)
        contact.locator("#portal-plans a").first.click()
        contact.screenshot(path=out / "contact-plan-desktop.png")
        browser.close()


if __name__ == "__main__":
    main()
