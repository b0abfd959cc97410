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


def phone_signed_in(browser, base: str, username: str, landing: str):
    """A phone-sized page signed in as *username*, once it has landed on *landing*."""
    phone = browser.new_page(base_url=base, viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto("/login")
    phone.get_by_label("用户名").fill(username)
    phone.get_by_label("密码").fill(PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(base + landing)
    return phone


def main():
    base = serve()
    out = ROOT / "docs" / "screenshots"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(base_url=base, viewport={"width": 1280, "height": 720})
        page.goto("/login")
        page.screenshot(path=out / "login.png")
        page.get_by_label("用户名").fill("manager-dl")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(base + "/")
        page.screenshot(path=out / "home-manager.png")
        page.goto("/enterprises/?q=ylsf")
        page.screenshot(path=out / "firm-search.png")
        page.goto("/enterprises/?sort=-declarations")
        page.get_by_role("link", name="五矿营口中板有限责任公司").click()
        page.wait_for_selector("#declarations-chart canvas")
        page.screenshot(path=out / "firm-profile.png", full_page=True)
        page.goto("/campaigns/")
        page.get_by_role("link", name="2019年百企大调研").click()
        page.screenshot(path=out / "campaign-roster.png")
        page.goto("/needs/")
        page.screenshot(path=out / "needs-ledger.png")
        page.goto("/plans/")
        page.get_by_role("link", name="营口雅丽丝服装有限公司").first.click()
        page.screenshot(path=out / "plan.png", full_page=True)
        phone = phone_signed_in(browser, base, "yalisi", "/portal/")
        phone.screenshot(path=out / "portal-phone.png", full_page=True)
        officer = phone_signed_in(browser, base, "officer", "/")
        officer.goto("/work/")
        officer.screenshot(path=out / "my-work-phone.png")
        browser.close()


if __name__ == "__main__":
    main()
