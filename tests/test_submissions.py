"""One submission, one effect: a creating form's one-time key, resent, refused when missing, purged."""
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import csrf_from, submission_key_from
from tracker.extensions import db
from tracker.needs.models import Need, NeedCategory
from tracker.submissions import SubmissionKey, purge_submission_keys
from tracker.types import utcnow


def need_form(client, firm):
    page = client.get(f"/needs/new/{firm.id}")
    category = db.session.scalar(sa.select(NeedCategory).order_by(NeedCategory.id))
    return {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "source": "visit",
            "category_id": str(category.id), "content": "希望缩短办理时间", "department_id": "0",
            "assigned_officer_id": "0", "raised_on": "2019-09-27", "deadline": ""}


def test_a_resent_form_creates_nothing_and_shows_the_first_record(client, auth, cast):
    firm = cast.contact.enterprise
    auth.login("manager")
    data = need_form(client, firm)
    first = client.post(f"/needs/new/{firm.id}", data=data)
    again = client.post(f"/needs/new/{firm.id}", data=data, follow_redirects=True)
    need = db.session.scalar(sa.select(Need))
    assert first.status_code == 302 and first.headers["Location"].endswith(f"/needs/{need.id}")
    assert again.request.path == f"/needs/{need.id}" and "该表单已经提交过" in again.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 1
    # A new page is a new form: a second need is a second submission.
    assert client.post(f"/needs/new/{firm.id}", data=need_form(client, firm)).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 2


def test_a_form_without_its_key_creates_nothing(client, auth, cast):
    firm = cast.contact.enterprise
    auth.login("manager")
    for key in ("", "short", "<script>alert(1)</script>" * 2):
        data = {**need_form(client, firm), "submission_key": key}
        response = client.post(f"/needs/new/{firm.id}", data=data)
        assert response.status_code == 200 and "表单已失效" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Need)) is None


def test_a_refused_submission_leaves_its_key_unused(client, auth, cast):
    """A post the service refuses rolls its key back with it, so the corrected form goes through."""
    firm = cast.contact.enterprise
    auth.login("manager")
    data = need_form(client, firm)
    assert client.post(f"/needs/new/{firm.id}", data={**data, "raised_on": "not a date"}).status_code == 200
    assert db.session.scalar(sa.select(SubmissionKey)) is None
    assert client.post(f"/needs/new/{firm.id}", data=data).status_code == 302


def test_old_keys_are_purged(app, cast):
    db.session.add_all([SubmissionKey(key="a" * 22, user_id=cast.officer.id, created_at=utcnow() - timedelta(days=8)),
                        SubmissionKey(key="b" * 22, user_id=cast.officer.id, created_at=utcnow())])
    db.session.commit()
    assert purge_submission_keys(timedelta(days=7)) == 1
    assert db.session.scalars(sa.select(SubmissionKey.key)).all() == ["b" * 22]


def test_the_daily_job_purges_keys_older_than_a_week(app, cast):
    from tracker.submissions import purge_old_submission_keys

    db.session.add_all([SubmissionKey(key="c" * 22, user_id=cast.officer.id, created_at=utcnow() - timedelta(days=8)),
                        SubmissionKey(key="d" * 22, user_id=cast.officer.id, created_at=utcnow() - timedelta(days=6))])
    db.session.commit()
    assert purge_old_submission_keys.call_local() == 1
    db.session.rollback()
    assert db.session.scalars(sa.select(SubmissionKey.key)).all() == ["d" * 22]
