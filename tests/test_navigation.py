"""The menu each role gets, the current page marked in it, the user's menu, and the favicon.

(The layout itself, one row at 1366 px and no overflow at 390 px, is checked in tests/browser/test_layout.py.)
"""
import re

import pytest

# The menu's links, by role: each one only where the role may use it.
EVERYONE_STAFF = ["/", "/enterprises/", "/imports/", "/work/", "/visits/", "/needs/", "/plans/", "/campaigns/",
                  "/briefings/", "/questionnaires/", "/certification/", "/counter/", "/appointments/", "/ratings/"]
MENU_LINKS = {
    "officer": EVERYONE_STAFF + ["/reports/mine"],
    "manager": EVERYONE_STAFF + ["/counter/settings", "/reports/mine", "/reports/", "/team"],
    "admin": EVERYONE_STAFF + ["/counter/settings", "/reports/mine", "/reports/", "/team", "/admin/users", "/admin/offices", "/admin/audit",
                               "/admin/calendar", "/admin/reference", "/certification/standards"],
    "yalisi": ["/portal/", "/appointments/", "/briefings/mine", "/certification/mine", "/work/notifications"],
}


def menu(html: str) -> str:
    return html[html.index('<ul class="navbar-nav me-auto" id="menu">'):html.index("</nav>")]


def menu_links(html: str) -> list[str]:
    main = menu(html)
    main = main[:main.index('id="user-menu"')] if 'id="user-menu"' in main else main
    return [href for href in re.findall(r'href="([^"#]+)"', main)]


@pytest.mark.parametrize("username", list(MENU_LINKS))
def test_each_role_gets_the_menu_it_may_use(client, auth, cast, username):
    auth.login(username)
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert menu_links(html) == MENU_LINKS[username]
    # Every link the menu offers opens for this role.
    for href in MENU_LINKS[username]:
        assert client.get(href).status_code == 200, href


def test_the_user_menu_holds_password_language_and_sign_out(client, auth, cast):
    auth.login("officer")
    html = menu(client.get("/").get_data(as_text=True))
    user_menu = html[html.index('id="user-menu"'):]
    assert f">{cast.officer.display_name}</a>" in user_menu
    assert 'href="/account/password"' in user_menu
    # Language and sign-out are POST forms carrying a CSRF token, as every state change.
    for action in ("/language", "/logout"):
        form = re.search(r'<form method="post" action="%s[^"]*">(.*?)</form>' % re.escape(action), user_menu, re.S)
        assert form, action
        assert 'name="csrf_token"' in form.group(1)
    assert 'id="sign-out"' in user_menu
    # Anonymous visitors get the language switch alone.
    auth.logout()
    login = client.get("/login").get_data(as_text=True)
    assert 'id="user-menu"' not in login and 'id="language-switch"' in login


@pytest.mark.parametrize("path, group, item", [
    ("/", None, "/"),
    ("/needs/", "nav-outreach", "/needs/"),
    ("/needs/?overdue=1", "nav-outreach", "/needs/"),
    ("/imports/new", "nav-enterprises", "/imports/"),
    ("/admin/users/new", "nav-admin", "/admin/users"),
    ("/admin/calendar", "nav-admin", "/admin/calendar"),
    ("/questionnaires/new", "nav-outreach", "/questionnaires/"),
])
def test_the_current_page_is_marked_with_its_group(client, auth, cast, path, group, item):
    auth.login("admin")
    html = menu(client.get(path).get_data(as_text=True))
    current = re.findall(r'<a class="[^"]*\bactive\b[^"]*" href="([^"]+)"\s*aria-current="page"', html)
    assert current == [item]
    groups = re.findall(r'active" href="#"[^>]*id="([^"]+)" aria-current="true"', html)
    assert groups == ([group] if group else [])


def test_a_page_outside_the_main_menu_marks_the_user_menu(client, auth, cast):
    auth.login("officer")
    html = menu(client.get("/account/password").get_data(as_text=True))
    main, user_menu = html[:html.index('id="user-menu"')], html[html.index('id="user-menu"'):]
    assert "aria-current" not in main
    assert re.search(r'class="dropdown-item active" aria-current="page" href="/account/password"', user_menu)


def test_favicon_is_served_to_anyone_and_linked_from_every_page(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="icon" href="/favicon.ico"' in page
    svg_link = re.search(r'<link rel="icon" href="([^"]+favicon\.svg[^"]*)" type="image/svg\+xml">', page)
    assert svg_link
    svg = client.get(svg_link.group(1))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
