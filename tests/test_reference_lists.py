"""The admin's reference lists: need categories with their deadline in working days, policy topics, and
the certificate types of the certificate counter."""
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_from, _empty_all_tables, query_count
from tracker.appointments.models import CertificateType
from tracker.audit.models import AuditRecord
from tracker.extensions import db
from tracker.needs import services as needs_services
from tracker.needs.models import Need, NeedCategory, NeedSource
from tracker.visits.models import PolicyTopic


@pytest.fixture(autouse=True)
def restore_reference_lists(app):
    """The lists are migration data kept between tests: put them back as they were."""
    saved = {model: [dict(row._mapping) for row in db.session.execute(sa.select(model.__table__))]
             for model in (NeedCategory, PolicyTopic, CertificateType)}
    db.session.rollback()
    yield
    db.session.rollback()
    _empty_all_tables()  # records that may point at added rows go first
    for model, rows in saved.items():
        db.session.execute(model.__table__.delete().where(model.id.not_in([r["id"] for r in rows])))
        for row in rows:
            db.session.execute(model.__table__.update().where(model.id == row["id"]).values(**row))
    db.session.commit()


def first_category() -> NeedCategory:
    return db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))


def edit(client, kind: str, row_id: int, **changes):
    page = client.get(f"/admin/reference/{kind}/{row_id}")
    assert page.status_code == 200
    row = db.session.get(NeedCategory if kind == "categories" else PolicyTopic, row_id)
    data = {"csrf_token": csrf_from(page), "version": _version(page), "name": row.name, "name_en": row.name_en or "",
            "active": "y" if row.active else ""}
    if kind == "categories":
        data["deadline_days"] = str(row.deadline_days)
    data.update(changes)
    return client.post(f"/admin/reference/{kind}/{row_id}", data={k: v for k, v in data.items() if v != ""})


def _version(page) -> str:
    import re

    return re.search(r'name="version" type="hidden" value="([0-9a-f]+)"', page.get_data(as_text=True)).group(1)


def test_a_new_deadline_applies_to_needs_recorded_from_then_on(client, auth, cast):
    firm = cast.contact.enterprise
    category = first_category()
    before = needs_services.create_need(firm, needs_services.NeedData(
        source=NeedSource.PHONE, category=category, content="原产地证咨询", raised_on=date(2019, 9, 27)))
    db.session.commit()
    old_deadline = before.deadline
    auth.login("admin")
    listing = client.get("/admin/reference").get_data(as_text=True)
    assert category.name in listing and "/admin/reference/categories/" in listing
    response = edit(client, "categories", category.id, deadline_days="3")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(NeedCategory, category.id).deadline_days == 3
    # Three working days from Friday 27 September 2019: Sunday 29 September is a make-up working day and
    # the National Day week is off.
    after = needs_services.create_need(firm, needs_services.NeedData(
        source=NeedSource.PHONE, category=db.session.get(NeedCategory, category.id), content="再次咨询",
        raised_on=date(2019, 9, 27)))
    db.session.commit()
    assert after.deadline == date(2019, 10, 8)
    assert db.session.get(Need, before.id).deadline == old_deadline
    audit = db.session.scalar(sa.select(AuditRecord).where(
        AuditRecord.entity_type == "need_categories", AuditRecord.entity_id == str(category.id)))
    assert audit.actor_name == "admin" and audit.changes["deadline_days"][1] == 3


@pytest.mark.parametrize("days,message", [
    ("0", "1 到 365 个工作日"), ("366", "1 到 365 个工作日"), ("", "请填写工作日数"), ("十", "请填写整数"),
])
def test_a_deadline_out_of_range_is_refused_and_nothing_changes(client, auth, cast, days, message):
    category = first_category()
    original = category.deadline_days
    auth.login("admin")
    response = edit(client, "categories", category.id, deadline_days=days)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(NeedCategory, category.id).deadline_days == original


def test_names_stay_unique(client, auth, cast):
    first, second = db.session.scalars(sa.select(NeedCategory).order_by(NeedCategory.id).limit(2)).all()
    auth.login("admin")
    response = edit(client, "categories", second.id, name=f"  {first.name} ")
    assert response.status_code == 400 and "该名称已在列表中" in response.get_data(as_text=True)
    token = csrf_from(client.get("/admin/reference"))
    response = client.post("/admin/reference/topics/new", data={
        "csrf_token": token, "topics-name": db.session.scalar(sa.select(PolicyTopic.name)), "topics-active": "y"})
    assert response.status_code == 400 and "该名称已在列表中" in response.get_data(as_text=True)


def test_a_stale_form_says_so_and_keeps_the_other_change(client, auth, cast):
    category = first_category()
    auth.login("admin")
    page = client.get(f"/admin/reference/categories/{category.id}")
    category.deadline_days = 20  # another admin saves meanwhile
    db.session.commit()
    response = client.post(f"/admin/reference/categories/{category.id}", data={
        "csrf_token": csrf_from(page), "version": _version(page), "name": category.name, "deadline_days": "5",
        "active": "y"}, follow_redirects=True)
    assert "其他人在您打开表单后修改了此条目" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(NeedCategory, category.id).deadline_days == 20


def test_an_admin_adds_and_retires_entries_and_the_forms_follow(client, auth, cast):
    firm = cast.contact.enterprise
    auth.login("admin")
    token = csrf_from(client.get("/admin/reference"))
    response = client.post("/admin/reference/categories/new", data={
        "csrf_token": token, "categories-name": "跨境电商零售进口", "categories-name_en": "Cross-border e-commerce",
        "categories-deadline_days": "15", "categories-active": "y"})
    assert response.status_code == 302
    added = db.session.scalar(sa.select(NeedCategory).where(NeedCategory.name == "跨境电商零售进口"))
    assert added.deadline_days == 15 and added.active
    response = client.post("/admin/reference/topics/new", data={
        "csrf_token": token, "topics-name": "两步申报", "topics-active": "y"})
    assert response.status_code == 302
    topic = db.session.scalar(sa.select(PolicyTopic).where(PolicyTopic.name == "两步申报"))
    auth.logout()
    auth.login("manager")
    assert "跨境电商零售进口" in client.get(f"/needs/new/{firm.id}").get_data(as_text=True)
    assert "两步申报" in client.get(f"/visits/new?enterprise_id={firm.id}").get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    assert edit(client, "categories", added.id, active="").status_code == 302
    assert edit(client, "topics", topic.id, active="").status_code == 302
    listing = client.get("/admin/reference").get_data(as_text=True)
    assert "已停用" in listing
    auth.logout()
    auth.login("manager")
    assert "跨境电商零售进口" not in client.get(f"/needs/new/{firm.id}").get_data(as_text=True)
    assert "两步申报" not in client.get(f"/visits/new?enterprise_id={firm.id}").get_data(as_text=True)


def test_only_admins_edit_the_lists(client, auth, cast):
    category = first_category()
    auth.login("manager")
    assert client.get("/admin/reference").status_code == 403
    response = auth.post(f"/admin/reference/categories/{category.id}", {"name": "改名", "deadline_days": "1"})
    assert response.status_code == 403
    assert db.session.get(NeedCategory, category.id).name != "改名"
    auth.logout()
    auth.login("admin")
    assert client.get("/admin/reference/colours/1").status_code == 404
    assert client.get("/admin/reference/categories/999999").status_code == 404


def test_the_lists_page_does_not_query_more_as_needs_grow(app, client, auth, cast):
    firm = cast.contact.enterprise
    auth.login("admin")

    def add_needs(n):
        for category in db.session.scalars(sa.select(NeedCategory)).all()[:n]:
            needs_services.create_need(firm, needs_services.NeedData(
                source=NeedSource.PHONE, category=category, content="咨询", raised_on=date(2019, 9, 27)))
        db.session.commit()

    add_needs(1)
    few = query_count(app, client, "/admin/reference")
    add_needs(5)
    assert query_count(app, client, "/admin/reference") == few


def test_an_admin_keeps_the_certificate_types_and_a_retired_one_is_no_longer_booked(client, auth, cast):
    auth.login("admin")
    listing = client.get("/admin/reference").get_data(as_text=True)
    # The migration's list, from DOMAIN.md: C/O, FORM E, RCEP and the other FTA certificates.
    for name in ("非优惠原产地证书", "中国-东盟自贸区原产地证书（FORM E）", "RCEP原产地证书", "转口证明书"):
        assert name in listing
    token = csrf_from(client.get("/admin/reference"))
    bad = client.post("/admin/reference/certificates/new", data={
        "csrf_token": token, "certificates-name": "中国-塞尔维亚自贸区原产地证书", "certificates-code": "form rs",
        "certificates-sort_order": "300", "certificates-active": "y"})
    assert bad.status_code == 400 and "FORM_E" in bad.get_data(as_text=True)
    taken = client.post("/admin/reference/certificates/new", data={
        "csrf_token": token, "certificates-name": "另一个东盟证书", "certificates-code": "form_e",
        "certificates-sort_order": "300", "certificates-active": "y"})
    assert taken.status_code == 400 and "该代码已在列表中" in taken.get_data(as_text=True)
    response = client.post("/admin/reference/certificates/new", data={
        "csrf_token": token, "certificates-name": "中国-塞尔维亚自贸区原产地证书", "certificates-code": "form_rs",
        "certificates-name_en": "China-Serbia FTA certificate", "certificates-sort_order": "300",
        "certificates-active": "y"})
    assert response.status_code == 302
    added = db.session.scalar(sa.select(CertificateType).where(CertificateType.code == "FORM_RS"))
    assert added.name == "中国-塞尔维亚自贸区原产地证书" and added.sort_order == 300 and added.active
    page = client.get(f"/admin/reference/certificates/{added.id}")
    response = client.post(f"/admin/reference/certificates/{added.id}", data={
        "csrf_token": csrf_from(page), "version": _version(page), "name": added.name, "code": "FORM_RS",
        "sort_order": "300"})
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(CertificateType, added.id).active is False
    # A retired type is refused by the booking rules.
    from tracker.appointments import services as counter
    from tracker.domain import DomainError

    with pytest.raises(DomainError):
        counter.check_request(certificate_type=db.session.get(CertificateType, added.id), destination_country="RS",
                              quantity=1, sailing_date=date(2019, 10, 12), today=date(2019, 9, 27))
