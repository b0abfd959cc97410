"""Chinese by default, English after the switch, remembered for the user; the catalog is complete."""
import re
from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import AuthActions, csrf_from
from tracker.auth.models import User
from tracker.extensions import db

CATALOG = Path(__file__).resolve().parent.parent / "tracker/translations/zh/LC_MESSAGES/messages.po"


def switch(client, lang, next_="/", page="/login"):
    token = csrf_from(client.get(page))
    return client.post("/language", data={"lang": lang, "next": next_, "csrf_token": token})


def test_interface_is_chinese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "登录" in page


def test_switch_to_english_and_back_without_signing_in(client):
    response = switch(client, "en", "/login")
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign in" in page
    switch(client, "zh", "/login")
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_unknown_language_and_foreign_next_are_ignored(client):
    response = switch(client, "fr", "https://evil.example")
    assert response.headers["Location"] == "/"
    assert "登录" in client.get("/login").get_data(as_text=True)


def test_language_choice_is_remembered_for_the_user(app, client, auth, cast):
    auth.login("officer")
    switch(client, "en", page="/")
    assert "Sign out" in client.get("/").get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(User, cast.officer.id).locale == "en"

    elsewhere = app.test_client()  # another browser, no language chosen there
    AuthActions(elsewhere).login("officer")
    assert "Sign out" in elsewhere.get("/").get_data(as_text=True)


def test_error_pages_follow_the_language(client):
    assert "页面不存在" in client.get("/missing").get_data(as_text=True)
    switch(client, "en", "/login")
    assert "Page not found" in client.get("/missing").get_data(as_text=True)


def test_every_interface_string_is_translated_to_chinese():
    with CATALOG.open("rb") as fh:
        catalog = read_po(fh)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in catalog:
        if message.id:
            assert sorted(placeholder.findall(message.id)) == sorted(placeholder.findall(message.string)), message.id


def test_templates_are_extracted(tmp_path):
    """Every _() in the code is in the catalog: re-extract and compare."""
    from babel.messages.frontend import CommandLineInterface

    root = Path(__file__).resolve().parent.parent
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(root / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
         "-o", str(pot), str(root)]
    )
    with pot.open("rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    with CATALOG.open("rb") as fh:
        translated = {m.id for m in read_po(fh) if m.id}
    assert extracted - translated == set()
