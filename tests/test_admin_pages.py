"""Admin forms for offices and departments, and the remaining registry and import buttons, driven as a user would."""
import io

import sqlalchemy as sa

from tests.conftest import csrf_from, submission_key_from
from tracker.imports.models import DeclarationImport, ImportStatus
from tracker.enterprises.models import Enterprise, EnterpriseContact
from tracker.extensions import db
from tracker.offices.models import Department, Office


def test_admin_adds_an_office_under_a_parent(client, auth, cast):
    auth.login("admin")
    token = csrf_from(client.get("/admin/offices"))
    response = client.post("/admin/offices", data={
        "csrf_token": token, "office-code": "0932", "office-name": "营口港海关", "office-parent_id": str(cast.org.dalian.id),
        "office-submit": "1"})
    assert response.status_code == 302
    office = db.session.scalar(sa.select(Office).where(Office.code == "0932"))
    assert office.path == "/0000/0900/0932/"
    # A manager of 大连海关 now sees it in his subtree.
    auth.logout()
    auth.login("manager-dl")
    assert "营口港海关" in client.get("/").get_data(as_text=True)


def test_office_form_refuses_bad_codes_and_duplicates(client, auth, cast):
    auth.login("admin")
    token = csrf_from(client.get("/admin/offices"))
    for code, name in [("93", "短代码海关"), ("0930", "重复代码海关"), ("0999", "营口海关")]:
        response = client.post("/admin/offices", data={
            "csrf_token": token, "office-code": code, "office-name": name, "office-parent_id": str(cast.org.dalian.id),
            "office-submit": "1"})
        assert response.status_code == 400
        assert "invalid-feedback" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Office.id))) == 4


def test_admin_adds_a_department_once(client, auth, cast):
    auth.login("admin")
    token = csrf_from(client.get("/admin/offices"))
    data = {"csrf_token": token, "dept-office_id": str(cast.org.bayuquan.id), "dept-name": "查验科", "dept-submit": "1"}
    assert client.post("/admin/offices", data=data).status_code == 302
    assert client.post("/admin/offices", data=data).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Department.id)).where(
        Department.office_id == cast.org.bayuquan.id)) == 1


def test_credit_level_form_refuses_a_level_the_regime_does_not_have(client, auth, cast):
    auth.login("officer")
    firm = cast.contact.enterprise
    profile = client.get(f"/enterprises/{firm.id}")
    # One key for the three posts: a refused post uses nothing up, so the corrected form can be sent.
    token, key = csrf_from(profile), submission_key_from(profile)
    bad = client.post(f"/enterprises/{firm.id}/credit", data={
        "csrf_token": token, "submission_key": key, "regime": "decree_282", "level": "general_certified",
        "valid_from": "2026-05-01"},
        follow_redirects=True)
    assert "danger" in bad.get_data(as_text=True)
    missing_date = client.post(f"/enterprises/{firm.id}/credit", data={
        "csrf_token": token, "submission_key": key, "regime": "decree_282", "level": "certified", "valid_from": ""}, follow_redirects=True)
    assert "danger" in missing_date.get_data(as_text=True)
    ok = client.post(f"/enterprises/{firm.id}/credit", data={
        "csrf_token": token, "submission_key": key, "regime": "decree_282", "level": "certified",
        "valid_from": "2026-05-01"})
    assert ok.status_code == 302
    db.session.rollback()
    assert db.session.get(Enterprise, firm.id).credit_level == "certified"


def test_contacts_are_removed_only_from_their_own_firm(client, auth, cast):
    from tracker.enterprises.services import add_contact

    firm, other = cast.contact.enterprise, cast.contact_byq.enterprise
    mine, theirs = add_contact(firm, name="王经理"), add_contact(other, name="李经理")
    db.session.commit()
    auth.login("officer")
    token = csrf_from(client.get(f"/enterprises/{firm.id}"))
    assert client.post(f"/enterprises/{firm.id}/contacts/{theirs.id}/delete", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/enterprises/{other.id}/contacts/{theirs.id}/delete", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/enterprises/{firm.id}/contacts/{mine.id}/delete", data={"csrf_token": token}).status_code == 302
    assert {c.name for c in db.session.scalars(sa.select(EnterpriseContact))} == {"李经理"}


def test_an_officer_of_another_office_cannot_edit_a_firm(client, auth, cast):
    auth.login("bayuquan-officer")
    firm = cast.contact.enterprise
    assert client.get(f"/enterprises/{firm.id}/edit").status_code == 404
    token = csrf_from(client.get("/account/password"))
    assert client.post(f"/enterprises/{firm.id}/archive", data={"csrf_token": token}).status_code == 404
    db.session.rollback()
    assert db.session.get(Enterprise, firm.id).archived_at is None


def test_discarding_an_upload_removes_its_file_and_writes_nothing(app, client, auth, cast):
    app.config["IMPORT_IN_BACKGROUND"] = False
    auth.login("officer")
    token = csrf_from(client.get("/imports/new"))
    data = "统一社会信用代码,年度,报关单票数\n{},2019,90\n".format(cast.contact.enterprise.uscc).encode()
    response = client.post("/imports/new", data={"csrf_token": token, "office_id": str(cast.org.yingkou.id),
                                                 "file": (io.BytesIO(data), "a.csv")}, content_type="multipart/form-data")
    record = db.session.scalar(sa.select(DeclarationImport))
    stored = record.stored_path
    assert response.status_code == 302 and stored and __import__("os").path.exists(stored)
    token = csrf_from(client.get(f"/imports/{record.id}"))
    assert client.post(f"/imports/{record.id}/discard", data={"csrf_token": token}).status_code == 302
    db.session.rollback()
    record = db.session.get(DeclarationImport, record.id)
    assert record.status is ImportStatus.DISCARDED and not __import__("os").path.exists(stored)
    commit = client.post(f"/imports/{record.id}/commit", data={"csrf_token": token}, follow_redirects=True)
    assert commit.status_code == 200
    from tracker.imports.models import DeclarationCount

    assert db.session.scalar(sa.select(sa.func.count(DeclarationCount.id))) == 0


# People by their names and posts (职务 as data, issue 10) ---------------------------------------------
def test_admin_creates_a_user_with_a_post_and_edits_it(client, auth, cast):
    from tracker.auth.models import User

    auth.login("admin")
    page = client.get("/admin/users/new")
    assert 'name="title"' in page.get_data(as_text=True)
    response = client.post("/admin/users/new", data={
        "csrf_token": csrf_from(page), "username": "officer3", "display_name": "孙关员", "title": " 关员 ",
        "role": "officer", "office_id": str(cast.org.bayuquan.id), "enterprise_uscc": "",
        "new_password": "a fine new password", "confirm": "a fine new password"})
    assert response.status_code == 302
    created = db.session.scalar(sa.select(User).where(User.username == "officer3"))
    assert created.title == "关员" and created.label == "孙关员 · 关员"
    listed = client.get("/admin/users", query_string={"q": "关员"}).get_data(as_text=True)
    assert 'data-label="职务"><div class="rl-value">关员</div>' in listed and "officer3" in listed

    # 李处长 of 大连海关 is a 处长: a manager by role, a 处长 by post.
    manager = cast.manager_dl
    detail = client.get(f"/admin/users/{manager.id}")
    assert 'id="profile-form"' in detail.get_data(as_text=True)
    ok = client.post(f"/admin/users/{manager.id}/profile", data={
        "csrf_token": csrf_from(detail), "display_name": "李处长", "title": "处长"})
    assert ok.status_code == 302
    db.session.rollback()
    assert db.session.get(User, manager.id).label == "李处长 · 处长"
    shown = client.get(f"/admin/users/{manager.id}").get_data(as_text=True)
    assert "李处长 · 处长" in shown and '<dd class="col-7" id="user-title">处长</dd>' in shown

    # The wrong way: no name, or a post too long, is refused with the field's message and changes nothing.
    for data in ({"display_name": "  ", "title": "科长"}, {"display_name": "李处长", "title": "长" * 41}):
        refused = client.post(f"/admin/users/{manager.id}/profile",
                              data={"csrf_token": csrf_from(detail), **data})
        assert refused.status_code == 400 and "invalid-feedback" in refused.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(User, manager.id).label == "李处长 · 处长"
    # And the post is not cleared by an admin's sign-in elsewhere: only admins reach the form.
    auth.logout()
    auth.login("manager")
    assert client.post(f"/admin/users/{manager.id}/profile", data={
        "csrf_token": csrf_from(client.get("/account/password")), "display_name": "x", "title": ""}).status_code == 403


def test_the_home_page_names_the_users_post_not_a_label_derived_from_the_role(client, auth, cast):
    cast.manager_dl.title = "处长"
    db.session.commit()
    auth.login("manager-dl")
    who = client.get("/").get_data(as_text=True)
    assert 'id="who">处长 · 大连海关' in who and "科长" not in who.split('id="who">')[1].split("</p>")[0]


def test_every_officer_picker_names_people_by_name_and_post(client, auth, cast, factory, firm):
    """The pickers of needs, firms, visits, plans and the lists' officer filters: "用户N · 关员", never the
    username in brackets nor the role."""
    from tracker.campaigns.services import create_campaign

    cast.officer.title = "关员"
    db.session.commit()
    campaign = create_campaign(name="2019年百企大调研", office=cast.org.yingkou, year=2019)
    plan = factory.plan(firm, campaign, cast.officer)
    db.session.commit()
    label = f"{cast.officer.display_name} · 关员"
    auth.login("officer")
    for url in (f"/needs/new/{firm.id}", f"/enterprises/{firm.id}/edit", f"/visits/new?enterprise_id={firm.id}",
                f"/plans/{plan.id}", "/needs/", "/enterprises/", "/visits/"):
        html = client.get(url).get_data(as_text=True)
        assert f">{label}<" in html or f"> {label}</label>" in html or f">{label}</label>" in html, url
        assert "(officer)" not in html and "(Customs officer)" not in html, url
