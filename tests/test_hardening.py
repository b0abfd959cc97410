"""Issue 9: what hostile or careless input found. Each test fails without its fix."""
import io
import json

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_from, submission_key_from
from tracker.auth.models import User
from tracker.enterprises.models import Enterprise
from tracker.extensions import db
from tracker.needs.models import Need, NeedCategory
from tracker.visits.models import Visit


def _other_office_firm(cast, customs_code: str | None = None) -> Enterprise:
    """营口隆鑫, under 鲅鱼圈海关: outside the scope of 营口's officer."""
    firm = cast.contact_byq.enterprise
    firm.name = "营口隆鑫果品有限公司"
    if customs_code:
        firm.customs_code = customs_code
    db.session.commit()
    return firm


# 1. Names outside the user's scope ------------------------------------------------------------------
def test_excluding_another_offices_firm_is_a_404_that_names_nobody(client, auth, cast, factory):
    other = _other_office_firm(cast)
    campaign = factory.campaign(cast.org.yingkou)
    db.session.commit()
    auth.login("officer")
    token = csrf_from(client.get(f"/campaigns/{campaign.id}"))
    response = client.post(f"/campaigns/{campaign.id}/exclude/{other.id}", data={"csrf_token": token, "reason": "x"},
                           follow_redirects=True)
    assert response.status_code == 404
    assert other.name not in response.get_data(as_text=True)
    assert other.name not in client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)


def test_a_code_taken_in_another_office_is_refused_without_the_firms_name(client, auth, cast):
    other = _other_office_firm(cast, customs_code="2108960005")
    mine = cast.contact.enterprise
    auth.login("officer")
    page = client.get("/enterprises/new")
    data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "name": "营口新港物流有限公司",
            "uscc": other.uscc, "customs_code": "2108960005", "office_id": str(cast.org.yingkou.id),
            "assigned_officer_id": "0", "economic_type": ""}
    text = client.post("/enterprises/new", data=data).get_data(as_text=True)
    # Each of the two fields says it at the field and in the summary above the form; neither names the firm.
    assert other.name not in text and text.count("该代码已属于其他企业") == 4
    # A firm of his own office is named: he may look it up anyway.
    page = client.get("/enterprises/new")
    data.update(csrf_token=csrf_from(page), submission_key=submission_key_from(page), uscc=mine.uscc, customs_code="")
    assert f"该代码已属于{mine.name}" in client.post("/enterprises/new", data=data).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise)
                             .where(Enterprise.name == "营口新港物流有限公司")) == 0


def test_an_import_row_of_another_offices_firm_names_nobody(client, auth, cast):
    other = _other_office_firm(cast, customs_code="2108960005")
    mine = cast.contact.enterprise
    auth.login("officer")
    office = cast.org.yingkou.id
    rows = ("统一社会信用代码,海关编码,企业名称,年度,报关单票数\n"
            f"{other.uscc},,,2019,120\n"
            f"{mine.uscc},2108960005,,2019,130\n")
    token = csrf_from(client.get("/imports/new"))
    response = client.post("/imports/new", data={"csrf_token": token, "office_id": str(office), "year": "",
                                                 "file": (io.BytesIO(rows.encode()), "统计.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "该企业所属海关不在本次导入的范围内" in text and "该海关编码已属于其他企业" in text
    assert other.name not in text and "隆鑫" not in text


# 5. A visit's need row with text but no category -------------------------------------------------------
def test_a_visit_need_with_text_but_no_category_is_sent_back(client, auth, cast):
    firm = cast.contact.enterprise
    firm.assigned_officer = cast.officer
    db.session.commit()
    auth.login("officer")
    for missing in ({"needs-0-category_id": ""}, {}):
        page = client.get(f"/visits/new?enterprise_id={firm.id}")
        data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page),
                "visited_at": "2019-09-27T09:30", "visit_type": "workshop", "campaign_id": "0",
                "summary": "了解企业通关情况", "officers": [str(cast.officer.id)],
                "needs-0-content": "希望缩短通关时间", **missing}
        response = client.post(f"/visits/new?enterprise_id={firm.id}", data=data)
        assert response.status_code == 200, missing
        assert "请选择该业务需求的类别" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0


# 8. A category's name is text, not HTML ------------------------------------------------------------------
def test_a_need_categorys_name_is_escaped_in_the_need_form(client, auth, cast):
    firm = cast.contact.enterprise
    firm.assigned_officer = cast.officer
    category = db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
    kept = category.name  # reference data outlives the test: put it back
    category.name = '<img src=x onerror="alert(1)">'
    db.session.commit()
    try:
        auth.login("officer")
        text = client.get(f"/needs/new/{firm.id}").get_data(as_text=True)
        assert "&lt;img src=x" in text and '<img src=x onerror="alert(1)">' not in text
    finally:
        db.session.rollback()
        db.session.get(NeedCategory, category.id).name = kept
        db.session.commit()


# 10. Signed-in pages and exports are not cached ------------------------------------------------------
def test_signed_in_pages_and_exports_are_not_stored_but_static_files_may_be(client, auth, cast):
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    auth.login("manager")
    for url in ("/enterprises/", "/enterprises/export.xlsx", "/enterprises/export.csv", f"/enterprises/{cast.contact.enterprise.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    static = client.get("/static/vendor/bootstrap/bootstrap.min.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def test_the_session_cookie_holds_a_credential_the_database_alone_cannot_make(client, auth, app, cast):
    """Issue 9: the per-user session tokens were stored in clear, and the cookie held that same value.
    Now the cookie holds an HMAC of it under the secret key: a copy of the users table signs no one in."""
    auth.login("officer", remember="y")
    token = db.session.get(User, cast.officer.id).session_token
    serializer = app.session_interface.get_signing_serializer(app)
    cookie_id = serializer.loads(client.get_cookie("tracker_session").value)["_user_id"]
    assert token not in cookie_id and token not in client.get_cookie("tracker_remember").value
    assert client.get("/").status_code == 200
    # A session forged (with the secret key, even) from what the database holds is not signed in.
    for forged in (token, f"{cast.officer.id}.{token}", f"{cast.officer.id}.{'0' * 64}", "x.y", "²." + token):
        client.delete_cookie("tracker_remember")
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/").status_code == 302, forged
    # Rotating the token (a password change, a deactivation) ends the real one too.
    with client.session_transaction() as session:
        session["_user_id"] = cookie_id
    assert client.get("/").status_code == 200
    db.session.get(User, cast.officer.id).rotate_session_token()
    db.session.commit()
    assert client.get("/").status_code == 302


def test_the_sqlite_database_and_its_wal_are_readable_by_the_owner_alone(tmp_path, monkeypatch):
    import os
    import stat

    from tests.conftest import make_config
    from tracker import create_app

    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    path = tmp_path / "t.sqlite3"
    app = create_app(make_config("sqlite:///" + str(path)))
    old = os.umask(0o022)
    try:
        with app.app_context():
            with db.engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE t (x)")
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
            assert stat.S_IMODE(os.stat(str(path) + "-wal").st_mode) == 0o600
            db.engine.dispose()
    finally:
        os.umask(old)


def test_a_form_posted_from_another_site_is_refused_even_with_a_valid_token(client, auth, app):
    page = client.get("/login")
    data = {"csrf_token": csrf_from(page), "username": "officer", "password": "wrong"}
    refused = client.post("/login", data=data, headers={"Origin": "http://evil.example"})
    assert refused.status_code == 400 and "表单已过期或并非从本站提交" in refused.get_data(as_text=True)
    assert client.post("/login", data=data, headers={"Origin": "null"}).status_code == 400
    # The same post from this site is checked as usual (a wrong password: the form again).
    assert client.post("/login", data=data, headers={"Origin": "http://localhost"}).status_code == 200
    app.config["TRUSTED_ORIGINS"] = ["https://tracker.example.gov.cn"]
    assert client.post("/login", data=data, headers={"Origin": "https://tracker.example.gov.cn"}).status_code == 200


# 9. A stranger cannot lock a user out ----------------------------------------------------------------
def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(app, cast):
    from tests.conftest import PASSWORD

    def attempt(address: str, password: str):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        token = csrf_from(client.get("/login"))
        return client.post("/login", data={"csrf_token": token, "username": "officer", "password": password})

    statuses = [attempt("203.0.113.9", "wrong-guess").status_code for _ in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    # The attacker's address stays locked, even with the right password ...
    assert attempt("203.0.113.9", PASSWORD).status_code == 429
    # ... while the officer signs in from his own desk.
    assert attempt("10.9.30.17", PASSWORD).status_code == 302


# 3. NUL bytes ---------------------------------------------------------------------------------------------
def test_a_nul_character_in_a_form_or_a_query_is_a_400_on_both_databases(client, auth, cast):
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_from(page), "username": "offi\x00cer", "password": "x"})
    assert response.status_code == 400 and "NUL" in response.get_data(as_text=True)
    auth.login("officer")
    assert client.get("/enterprises/", query_string={"q": "雅丽\x00丝"}).status_code == 400
    firm = cast.contact.enterprise
    page = client.get(f"/enterprises/{firm.id}/edit")
    version = page.get_data(as_text=True).split('name="version" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/enterprises/{firm.id}/edit", data={
        "csrf_token": csrf_from(page), "version": version, "name": "改名\x00公司", "uscc": firm.uscc,
        "office_id": str(firm.office_id), "assigned_officer_id": "0", "economic_type": ""})
    assert response.status_code == 400
    db.session.rollback()
    assert "改名" not in db.session.get(Enterprise, firm.id).name


# 7. Control characters in stored text ---------------------------------------------------------------------
def test_control_characters_in_stored_names_do_not_break_the_xlsx_export(client, auth, cast):
    from openpyxl import load_workbook

    firm = cast.contact.enterprise
    firm.name = "营口雅丽丝\x1b[31m服装\x07有限公司"
    firm.district = "站前区\x0b"
    db.session.commit()
    auth.login("manager")
    response = client.get("/enterprises/export.xlsx")
    assert response.status_code == 200
    names = [row[0] for row in load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True)]
    assert "营口雅丽丝[31m服装有限公司" in names


def test_control_characters_typed_or_pasted_into_a_form_are_not_stored(client, auth, cast):
    """An escape sequence is dropped; Word's manual line break (a vertical tab) becomes a line feed."""
    firm = cast.contact.enterprise
    auth.login("officer")
    page = client.get(f"/enterprises/{firm.id}/edit")
    version = page.get_data(as_text=True).split('name="version" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/enterprises/{firm.id}/edit", data={
        "csrf_token": csrf_from(page), "version": version, "name": "营口雅丽丝\x1b[31m服装有限公司\x07",
        "uscc": firm.uscc, "office_id": str(firm.office_id), "assigned_officer_id": "0", "economic_type": "",
        "notes": "第一行\x0b第二行\x0c第三行\t完"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.rollback()
    saved = db.session.get(Enterprise, firm.id)
    assert saved.name == "营口雅丽丝[31m服装有限公司"
    assert saved.notes == "第一行\n第二行\n第三行\t完"
    # A search term loses them too, and still finds the firm.
    assert "营口雅丽丝" in client.get("/enterprises/", query_string={"q": "雅丽\x1b丝"}).get_data(as_text=True)


# 2. Integers out of range ----------------------------------------------------------------------------------
def test_numbers_no_database_column_can_hold_are_404s_or_ignored(client, auth, cast):
    huge = "99999999999999999999"
    auth.login("manager")
    for url in (f"/enterprises/{huge}", "/enterprises/2147483648", f"/needs/{huge}", f"/campaigns/{huge}"):
        assert client.get(url).status_code == 404, url
    for args in ({"page": huge}, {"officer": huge}, {"campaign": huge}, {"year": "9" * 400}, {"officer": "2147483648"}):
        assert client.get("/enterprises/", query_string=args).status_code == 200, args
        export = client.get("/enterprises/export.csv", query_string=args)
        assert export.status_code == 200 and export.get_data(as_text=True).count("\n") > 1, args
    for args in ({"category": huge}, {"department": huge}, {"enterprise": huge}, {"page": huge}):
        assert client.get("/needs/", query_string=args).status_code == 200, args


# 4. Absurd dates ---------------------------------------------------------------------------------------------
def test_dates_outside_any_sensible_range_are_sent_back(client, auth, cast):
    firm = cast.contact.enterprise
    firm.assigned_officer = cast.officer
    category = db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
    db.session.commit()
    auth.login("officer")
    for raised_on, deadline in (("9999-12-31", ""), ("0001-01-01", ""), ("2019-09-27", "9999-12-31")):
        response = auth.post(f"/needs/new/{firm.id}", {
            "source": "visit", "category_id": str(category.id), "content": "希望缩短原产地证办理时间",
            "department_id": "0", "assigned_officer_id": "0", "raised_on": raised_on, "deadline": deadline})
        assert response.status_code == 200, (raised_on, deadline)
        assert "请填写 1980-01-01 至 2099-12-31 之间的日期" in response.get_data(as_text=True)
    for when in ("9999-12-31T10:00", "0001-01-01T00:00"):
        page = client.get(f"/visits/new?enterprise_id={firm.id}")
        response = client.post(f"/visits/new?enterprise_id={firm.id}", data={
            "csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "visited_at": when,
            "visit_type": "workshop", "campaign_id": "0", "summary": "了解企业通关情况",
            "officers": [str(cast.officer.id)]})
        assert response.status_code == 200, when
        assert "请填写 1980-01-01 至 2099-12-31 之间的日期" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


# 6. API JSON -------------------------------------------------------------------------------------------------
def test_deeply_nested_or_overlong_api_json_is_refused_not_a_500(client, cast):
    from tests.conftest import Api

    api = Api(client, "officer")
    nested = client.post("/api/v1/enterprises", data="[" * 100_000, content_type="application/json",
                         headers=api.headers)
    assert nested.status_code == 400 and nested.get_json()["error"] == "JSON 请求体嵌套层数过多。"
    long_type = api.post("/enterprises", json={"name": "营口新港物流有限公司", "uscc": "91310110666007217T",
                                                "office": "0930", "economic_type": "9" * 10_001})
    assert long_type.status_code == 422 and "economic_type" in long_type.get_json()["fields"]


# 8. Characters no text field holds, inside API JSON ------------------------------------------------------
@pytest.mark.parametrize("where", ["name", "trade_modes", "key"])
@pytest.mark.parametrize("character,words", [("\x00", "NUL"), ("\x1b", "U+001B"), ("\x0b", "U+000B"), ("\x7f", "U+007F"),
                                             ("\ud800", "UTF-16")])
def test_a_control_character_in_api_json_is_a_400_on_both_databases(client, cast, where, character, words):
    from tests.conftest import Api

    api = Api(client, "officer")
    body = {"name": "营口新港物流有限公司", "uscc": "91310110666007217T", "office": "0930"}
    if where == "name":
        body["name"] = f"营口新港{character}物流有限公司"
    elif where == "trade_modes":
        body["trade_modes"] = ["0110", f"01{character}"]
    else:
        body[f"colour{character}"] = "red"
    # json.dumps escapes them all, as any client's encoder does: the body itself is valid JSON.
    response = api.post("/enterprises", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)
    assert words in response.get_json()["error"]  # refused before the caller is known: in Chinese
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enterprise)) == 2  # the cast's only


def test_tabs_and_line_breaks_in_api_json_are_text(client, cast):
    from tests.conftest import Api

    body = {"name": "营口新港物流有限公司", "uscc": "91310110666007217T", "office": "0930",
            "notes": "第一行\r\n\t第二行"}
    response = Api(client, "officer").post("/enterprises", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["notes"] == body["notes"]


def test_the_document_lists_the_json_refusals_for_every_operation_with_a_json_body(documented):
    document = documented.document
    with_body = [(path, method) for path, operations in document["paths"].items()
                 for method, operation in operations.items()
                 if isinstance(operation, dict) and "application/json" in operation.get("requestBody", {}).get("content", {})]
    assert with_body
    for path, method in with_body:
        assert {"400", "413"} <= set(document["paths"][path][method]["responses"]), (path, method)


def test_an_overlong_api_json_body_is_a_documented_413(client, cast):
    from tests.conftest import Api

    api = Api(client, "officer")
    body = json.dumps({"name": "营" * 10, "notes": "x" * (1024 * 1024)})
    response = api.post("/enterprises", data=body, content_type="application/json")  # the client checks the document
    assert response.status_code == 413 and response.is_json


# 11. Numbers too large for a float (found by tests/test_fuzz_pages.py) -------------------------------------
def test_a_number_too_large_for_a_float_is_a_field_error_not_a_500(client, auth, cast):
    """WTForms' NumberRange asks math.isnan(), which overflows beyond ~1e308: every bounded number field
    answered a 500 to 400 digits. Now the form comes back with the field's error."""
    huge = "1" + "0" * 400
    auth.login("admin")
    response = auth.post("/admin/reference/categories/new", {
        "categories-name": "超大期限", "categories-deadline_days": huge}, form_page="/admin/reference")
    assert response.status_code == 400 and "该数字超出范围。" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(NeedCategory.id).where(NeedCategory.name == "超大期限")) is None
    page = client.get("/campaigns/new")
    for field in ("declaration_year", "threshold"):
        data = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "name": "超大活动",
                "office_id": str(cast.org.yingkou.id), "declaration_year": "2019", "threshold": "80", field: huge}
        response = client.post("/campaigns/new", data=data)
        assert response.status_code == 200 and "该数字超出范围。" in response.get_data(as_text=True), field
    token = csrf_from(client.get("/imports/new"))
    response = client.post("/imports/new", data={"csrf_token": token, "office_id": str(cast.org.yingkou.id),
                                                 "year": "-" + huge, "file": (io.BytesIO(b"a,b\n"), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "该数字超出范围。" in response.get_data(as_text=True)


def test_a_department_for_an_office_id_no_column_holds_is_refused_not_a_500(client, auth, cast):
    """The department form looked its name up under the office it was given before the office was checked
    (SQLite: OverflowError). Found by tests/test_fuzz_pages.py."""
    auth.login("admin")
    response = auth.post("/admin/offices", {"dept-office_id": str(2**63), "dept-name": "综合业务科",
                                            "dept-submit": "添加科室"}, form_page="/admin/offices")
    assert response.status_code == 400


def test_a_multipart_field_whose_name_does_not_parse_is_not_a_500(client, auth, cast):
    """name="\\" leaves the part without a name: the form holds the key None, which the NUL check read as
    text (TypeError). Found by tests/test_fuzz_pages.py."""
    auth.login("officer")
    token = csrf_from(client.get("/account/password"))
    boundary = "fuzzboundary"
    body = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
                   for name, value in (("csrf_token", token), ("\\", ""), ("current_password", "x")))
    response = client.post("/account/password", data=(body + f"--{boundary}--\r\n").encode(),
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200
    nul = body.replace('name="current_password"\r\n\r\nx', 'name="current_password"\r\n\r\nx\x00')
    assert client.post("/account/password", data=(nul + f"--{boundary}--\r\n").encode(),
                       content_type=f"multipart/form-data; boundary={boundary}").status_code == 400
