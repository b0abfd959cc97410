"""Security headers on HTML, JSON and error responses; HTTPS-only headers; upload cap."""
import pytest

from tracker.permissions import PUBLIC, allow

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    for name, value in EXPECTED.items():
        assert response.headers[name] == value


@pytest.mark.parametrize(
    "path,status,json",
    [("/login", 200, False), ("/healthz", 200, True), ("/no-such-page", 404, False),
     ("/api/v1/me", 401, True), ("/api/v1/nothing", 404, True), ("/", 302, False)],
)
def test_headers_on_every_kind_of_response(client, cast, path, status, json):
    response = client.get(path)
    assert response.status_code == status
    assert response.is_json == json
    assert_security_headers(response)
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.fresh_app  # it adds a URL rule
@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}], indirect=True)
def test_headers_and_a_translated_page_on_a_server_error(app, client):
    def boom():
        raise RuntimeError("kaput")

    app.add_url_rule("/boom", "boom", allow(PUBLIC)(boom))
    response = client.get("/boom")
    assert response.status_code == 500
    assert_security_headers(response)
    assert "服务器" in response.get_data(as_text=True)
    assert "kaput" not in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"HTTPS": True}], indirect=True)
def test_hsts_under_https(client):
    response = client.get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 1024}], indirect=True)
def test_uploads_larger_than_the_cap_are_refused(client):
    response = client.post("/login", data={"username": "x" * 4096})
    assert response.status_code == 413
    assert_security_headers(response)


def test_json_clients_get_json_errors(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]


def test_no_template_says_what_the_content_security_policy_refuses():
    """style-src and script-src are 'self': a style="" attribute, an onclick= handler, a <style> block or an
    inline <script> (not a JSON data block) would be refused by the browser (the sign-in sheet's print link did nothing that way)."""
    import re
    from pathlib import Path

    import tracker

    refused = re.compile(r"""\sstyle\s*=|\son[a-z]+\s*=\s*["']|<style[\s>]|<script(?![^>]*\s(src=|type="application/json"))[^>]*>""",
                         re.I)
    offenders = [f"{path.relative_to(Path(tracker.__file__).parent)}:{n}: {line.strip()[:80]}"
                 for path in sorted((Path(tracker.__file__).parent / "templates").rglob("*.html"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if refused.search(line)]
    assert offenders == []
