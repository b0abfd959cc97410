"""The working-day calendar: the library's facts, the service's answers, the admin page and the command."""
from datetime import date, timedelta

import holidays
import pytest
import sqlalchemy as sa

from tests.conftest import csrf_from
from tracker.audit.models import AuditAction, AuditRecord
from tracker.extensions import db
from tracker.workdays import services
from tracker.workdays.models import CalendarOverride, OverrideKind
from tracker.workdays.services import (
    add_working_days,
    calendar_status,
    is_working_day,
    library_year,
    next_working_day,
    unconfirmed_warning,
    working_days_between,
)

PAGE = "/admin/calendar"


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def override(day: date, kind: OverrideKind, name: str = "测试") -> CalendarOverride:
    record = CalendarOverride(day=day, kind=kind, name=name)
    db.session.add(record)
    db.session.commit()
    return record


def saved_overrides() -> list[tuple[date, OverrideKind, str]]:
    db.session.rollback()
    return [(o.day, o.kind, o.name) for o in db.session.scalars(sa.select(CalendarOverride).order_by(CalendarOverride.day))]


# What the holidays library does (the module docstring relies on each of these) ----------------------
@pytest.mark.parametrize("year,known", [(2000, False), (2001, True), (2019, True), (2026, True),
                                        (2027, False), (2030, False), (2031, False)])
def test_library_knows_a_year_by_its_state_council_entry(year, known):
    assert library_year(year).known is known
    assert bool(holidays.China(years=year).special_public_holidays.get(year)) is known


def test_library_computes_statutory_days_for_any_year_but_they_are_guesses(app):
    china = holidays.China(years=2027, language="zh_CN")
    assert china[date(2027, 10, 1)] == "国庆节"
    assert "补假" in china[date(2027, 2, 9)]  # moved from the weekend by rule, not by a notice
    assert library_year(2027).holidays == {}
    assert is_working_day(date(2027, 2, 9))  # a Tuesday: unconfirmed years count weekends only


def test_weekend_workdays_is_never_empty_so_it_must_be_filtered_by_year(app):
    china = holidays.China(years=2031)
    assert date(2011, 12, 31) in china.weekend_workdays  # worked for New Year 2012, present for every year
    assert not any(d.year == 2031 for d in china.weekend_workdays)
    assert library_year(2031).workdays == frozenset()
    # A cross-year make-up day belongs to the year it falls in.
    assert date(2011, 12, 31) in library_year(2011).workdays and not is_working_day(date(2012, 1, 2))
    assert is_working_day(date(2011, 12, 31))  # a Saturday


def test_library_answers_silently_for_years_it_was_not_built_with(app):
    assert holidays.China(years=2027, expand=False).is_working_day(date(2026, 10, 1))  # wrong: National Day
    assert not is_working_day(date(2026, 10, 1))


def test_library_names_follow_the_language_asked_for():
    assert library_year(2019, "zh_CN").holidays[date(2019, 10, 1)] == "国庆节"
    assert library_year(2019, "en_US").holidays[date(2019, 10, 1)] == "National Day"


@pytest.mark.parametrize("year", [1949, 2101, 9999])
def test_years_outside_the_library_never_raise(app, year):
    assert not library_year(year).known
    assert is_working_day(date(year, 1, 4)) is (date(year, 1, 4).weekday() < 5)
    assert calendar_status(date(year, 1, 4)) == "unconfirmed"


def test_library_year_is_cached_per_process():
    library_year.cache_clear()
    first = library_year(2019)
    assert library_year(2019) is first
    assert library_year.cache_info().hits == 1


# The service ----------------------------------------------------------------------------------
def test_national_day_2019(app):
    assert is_working_day(date(2019, 9, 29))  # a Sunday worked for the golden week
    assert not is_working_day(date(2019, 9, 28))  # the Saturday before stays off
    assert not any(is_working_day(d) for d in days(date(2019, 10, 1), date(2019, 10, 7)))
    assert is_working_day(date(2019, 10, 8))
    assert is_working_day(date(2019, 10, 12))  # a Saturday worked
    assert calendar_status(date(2019, 10, 1)) == "confirmed"
    assert unconfirmed_warning(date(2019, 10, 8)) is None


def test_deadline_of_three_working_days_across_the_golden_week(app):
    # By hand, from Friday 2019-09-27: Sat 28 off; Sun 29 worked (1); Mon 30 (2); Oct 1-7 off; Tue Oct 8 (3).
    # (2019-10-09 would be the fourth working day.)
    assert add_working_days(date(2019, 9, 27), 3) == date(2019, 10, 8)
    assert add_working_days(date(2019, 9, 27), 4) == date(2019, 10, 9)
    assert working_days_between(date(2019, 9, 27), date(2019, 10, 8)) == 3
    assert next_working_day(date(2019, 9, 30)) == date(2019, 10, 8)
    assert next_working_day(date(2019, 9, 27)) == date(2019, 9, 29)


def test_working_days_between_is_the_inverse_of_add_working_days(app):
    start = date(2019, 1, 1)
    for n in (1, 2, 5, 20, 61, 250):
        assert working_days_between(start, add_working_days(start, n)) == n
    assert working_days_between(date(2019, 10, 8), date(2019, 9, 27)) == -3
    assert working_days_between(date(2019, 10, 3), date(2019, 10, 3)) == 0
    with pytest.raises(ValueError):
        add_working_days(start, 0)


# The 2026 notice (国办发明电〔2025〕7号), day by day.
WORKING_WEEKENDS_2026 = {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
                         date(2026, 9, 20), date(2026, 10, 10)}
WEEKDAYS_OFF_2026 = {
    date(2026, 1, 1), date(2026, 1, 2),  # 元旦 1-3
    *days(date(2026, 2, 16), date(2026, 2, 20)), date(2026, 2, 23),  # 春节 2-15 to 2-23
    date(2026, 4, 6),  # 清明 4-4 to 4-6
    date(2026, 5, 1), date(2026, 5, 4), date(2026, 5, 5),  # 劳动节 5-1 to 5-5
    date(2026, 6, 19),  # 端午 6-19 to 6-21
    date(2026, 9, 25),  # 中秋 9-25 to 9-27
    date(2026, 10, 1), date(2026, 10, 2), *days(date(2026, 10, 5), date(2026, 10, 7)),  # 国庆 10-1 to 10-7
}


def test_the_2026_schedule_comes_from_the_library(app):
    exceptions = services.year_exceptions(2026)
    assert {e.day for e in exceptions if e.working} == WORKING_WEEKENDS_2026
    assert {e.day for e in exceptions if not e.working} == WEEKDAYS_OFF_2026
    assert all(e.source == "library" for e in exceptions)
    for day in WORKING_WEEKENDS_2026:
        assert is_working_day(day)
    for day in (*WEEKDAYS_OFF_2026, date(2026, 2, 15), date(2026, 10, 3), date(2026, 10, 4)):
        assert not is_working_day(day), day
    assert working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 261 - 19 + 6 == 248
    assert calendar_status(date(2026, 12, 31)) == "confirmed"


def test_an_unknown_year_counts_weekends_and_is_unconfirmed_until_overrides_are_entered(app):
    assert not library_year(2031).known
    assert is_working_day(date(2031, 10, 1))  # Wednesday: no schedule yet, so a working day
    assert not is_working_day(date(2031, 10, 4))  # Saturday
    assert add_working_days(date(2031, 3, 6), 3) == date(2031, 3, 11)  # Thu -> Fri, Mon, Tue
    assert calendar_status(date(2031, 10, 1)) == "unconfirmed"
    warning = unconfirmed_warning(date(2031, 10, 1))
    assert warning and "2031" in warning and "2031-10-01" in warning

    override(date(2031, 10, 1), OverrideKind.CLOSURE, "国庆节")
    assert not is_working_day(date(2031, 10, 1))
    assert calendar_status(date(2031, 3, 6)) == "confirmed"
    assert unconfirmed_warning(date(2031, 3, 6)) is None
    # A deadline that starts in an unconfirmed year is only as good as that year.
    assert calendar_status(date(2031, 1, 10), since=date(2030, 12, 20)) == "unconfirmed"
    assert "2030" in unconfirmed_warning(date(2031, 1, 10), since=date(2030, 12, 20))


def test_overrides_win_over_the_library_in_both_directions(app):
    override(date(2019, 10, 4), OverrideKind.WORKDAY, "值班")  # a substituted day off, worked after all
    assert is_working_day(date(2019, 10, 4))
    assert add_working_days(date(2019, 9, 27), 3) == date(2019, 10, 4)

    override(date(2019, 9, 29), OverrideKind.CLOSURE, "办公楼停电")  # a make-up Sunday, closed after all
    assert not is_working_day(date(2019, 9, 29))
    assert add_working_days(date(2019, 9, 27), 3) == date(2019, 10, 8)  # 9-30, 10-4, 10-8
    assert next_working_day(date(2019, 9, 27)) == date(2019, 9, 30)


def count_statements(app):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    return statements, lambda: sa.event.remove(db.engine, "before_cursor_execute", record)


def test_a_walk_reads_overrides_in_one_query_not_one_per_day(app):
    override(date(2019, 10, 14), OverrideKind.CLOSURE, "停电")
    db.session.commit()
    statements, stop = count_statements(app)
    try:
        result = add_working_days(date(2019, 9, 1), 60)
        between = working_days_between(date(2019, 9, 1), result)
    finally:
        stop()
    assert between == 60
    reads = [s for s in statements if "calendar_overrides" in s]
    assert len(reads) == 2  # one for the walk, one for the count
    assert len(statements) <= 4  # and at most a BEGIN around them

    statements, stop = count_statements(app)
    try:
        far = add_working_days(date(2019, 1, 1), 1000)  # four years: the window grows, it is not re-read per day
    finally:
        stop()
    assert len([s for s in statements if "calendar_overrides" in s]) <= 3
    assert working_days_between(date(2019, 1, 1), far) == 1000


# The admin page -----------------------------------------------------------------------------------
def post_form(client, url, data, page=PAGE):
    token = csrf_from(client.get(page))
    return client.post(url, data={"csrf_token": token, **data})


def add(client, day, kind, name):
    return post_form(client, f"{PAGE}/overrides",
                     {"override-day": day, "override-kind": kind, "override-name": name})


def paste(client, text, year=None):
    return post_form(client, f"{PAGE}/schedule" + (f"?year={year}" if year else ""), {"schedule-lines": text})


def test_page_shows_the_library_year_and_its_status(client, auth, cast):
    auth.login("admin")
    page = client.get(f"{PAGE}?year=2019").get_data(as_text=True)
    assert "2019-10-04" in page and "休息日（由 2019-09-29 调休）" in page and "2019-09-29" in page
    assert "已确认" in page
    assert "工作日历" in client.get("/").get_data(as_text=True)  # the nav link

    unknown = client.get(f"{PAGE}?year=2031").get_data(as_text=True)
    assert "未确认" in unknown
    assert client.get(f"{PAGE}?year=nonsense").status_code == 200


def test_page_in_english_shows_the_library_names_in_english(client, auth, cast):
    auth.login("admin")
    post_form(client, "/language", {"lang": "en", "next": PAGE})
    page = client.get(f"{PAGE}?year=2019").get_data(as_text=True)
    assert "National Day" in page and "Working-day calendar 2019" in page
    response = add(client, "2019-10-01", "closure", "x")
    assert "2019-10-01 is already a holiday: National Day." in response.get_data(as_text=True)


def test_admin_adds_an_override_through_the_form(client, auth, cast):
    auth.login("admin")
    response = add(client, "2031-10-01", "closure", "国庆节")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}?year=2031"
    assert saved_overrides() == [(date(2031, 10, 1), OverrideKind.CLOSURE, "国庆节")]
    record = db.session.scalar(sa.select(CalendarOverride))
    assert record.created_by_id == cast.admin.id and record.created_at is not None
    audit = db.session.scalar(sa.select(AuditRecord).where(AuditRecord.entity_type == "calendar_overrides"))
    assert audit.action is AuditAction.INSERT and audit.actor_name == "admin"

    page = client.get(f"{PAGE}?year=2031").get_data(as_text=True)
    assert "国庆节" in page and "已确认" in page
    assert calendar_status(date(2031, 10, 1)) == "confirmed"


@pytest.mark.parametrize("day,kind,message", [
    ("2031-10-01", "closure", "2031-10-01 已有人工调整"),  # the duplicate
    ("2031-10-08", "workday", "2031-10-08 是周一至周五，本来就要上班"),  # a Wednesday in an unknown year
    ("2019-09-29", "workday", "2019-09-29 在国务院放假安排中已是调休上班日"),
    ("2019-10-01", "closure", "2019-10-01 已是节假日：国庆节"),
    ("2019-10-05", "closure", "2019-10-05 是周末，本来就不上班"),
])
def test_refused_overrides_say_why(client, auth, cast, day, kind, message):
    override(date(2031, 10, 1), OverrideKind.CLOSURE, "国庆节")
    auth.login("admin")
    response = add(client, day, kind, "测试")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert len(saved_overrides()) == 1


def test_the_form_checks_its_fields(client, auth, cast):
    auth.login("admin")
    response = add(client, "2031-02-30", "holiday", "")
    assert response.status_code == 400
    assert saved_overrides() == []


def test_admin_deletes_an_override(client, auth, cast):
    url = f"{PAGE}/overrides/{override(date(2031, 10, 1), OverrideKind.CLOSURE, '国庆节').id}/delete"
    auth.login("admin")
    assert client.post(url).status_code == 400  # no CSRF token
    response = post_form(client, url, {})
    assert response.status_code == 302
    assert saved_overrides() == []
    assert calendar_status(date(2031, 10, 1)) == "unconfirmed"
    actions = db.session.scalars(sa.select(AuditRecord.action)
                                 .where(AuditRecord.entity_type == "calendar_overrides").order_by(AuditRecord.id))
    assert list(actions) == [AuditAction.INSERT, AuditAction.DELETE]
    assert post_form(client, url, {}).status_code == 404


SCHEDULE_2031 = """\
# 2031年部分节假日安排（示例）
2031-01-01 closure 元旦
2031-01-22 closure 春节
2031-01-23 closure 春节
2031-01-24 closure 春节
2031-01-27 closure 春节
2031-01-28 closure 春节
2031-01-26 workday 春节调休

2031-02-08 workday 春节调休
2031-10-01 closure 国庆节
"""


def test_pasting_a_schedule_saves_every_line(client, auth, cast):
    auth.login("admin")
    response = paste(client, SCHEDULE_2031)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{PAGE}?year=2031"
    saved = saved_overrides()
    assert len(saved) == 9
    assert (date(2031, 1, 26), OverrideKind.WORKDAY, "春节调休") in saved
    assert is_working_day(date(2031, 1, 26)) and not is_working_day(date(2031, 1, 28))
    assert calendar_status(date(2031, 6, 1)) == "confirmed"
    assert add_working_days(date(2031, 1, 21), 1) == date(2031, 1, 26)  # 22-24 off, Saturday off, Sunday worked
    assert add_working_days(date(2031, 1, 21), 2) == date(2031, 1, 29)  # 27-28 off
    result = runner_output(client.application, "2031")
    assert "2031-01-26 Sun  春节调休  [override]" in result and "confirmed (9 admin overrides)" in result


def test_bad_lines_are_all_reported_and_nothing_is_saved(client, auth, cast):
    override(date(2031, 5, 1), OverrideKind.CLOSURE, "劳动节")
    auth.login("admin")
    text = "\n".join([
        "2031-01-01 closure 元旦",  # 1: fine
        "2031-13-01 closure 坏日期",  # 2: no such month
        "2031-01-02 holiday 元旦",  # 3: unknown kind
        "2031-01-03",  # 4: no kind, no name
        "2031-01-01 closure 元旦",  # 5: already on line 1
        "2031-05-01 closure 劳动节",  # 6: already an override
        "2031-01-06 workday 周一",  # 7: a Monday works anyway
        "2031-01-04 closure 周六",  # 8: a Saturday is off anyway
        "20310105 closure 日期格式",  # 9: not YYYY-MM-DD
        "2031-01-07 closure " + "长" * 101,  # 10: name too long
        "2031-01-08 CLOSURE 大写也可以",  # 11: fine
    ])
    response = paste(client, text, year=2031)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for number in (2, 3, 4, 5, 6, 7, 8, 9, 10):
        assert f"第 {number} 行：" in page, number
    for number in (1, 11):
        assert f"第 {number} 行：" not in page
    assert "“2031-13-01”不是 YYYY-MM-DD 格式的日期" in page
    assert "2031-01-01 已在第 1 行出现" in page
    assert saved_overrides() == [(date(2031, 5, 1), OverrideKind.CLOSURE, "劳动节")]


def test_a_paste_without_days_is_refused(client, auth, cast):
    auth.login("admin")
    response = paste(client, "# only a comment\n\n")
    assert response.status_code == 400
    assert "请至少粘贴一行" in response.get_data(as_text=True)


@pytest.mark.parametrize("username", ["manager", "officer", "yalisi"])
def test_only_admins_may_use_the_calendar(client, auth, cast, username):
    record = override(date(2031, 10, 1), OverrideKind.CLOSURE, "国庆节")
    auth.login(username)
    assert client.get(PAGE).status_code == 403
    for url, data in [(f"{PAGE}/overrides", {"override-day": "2031-10-02", "override-kind": "closure",
                                             "override-name": "x"}),
                      (f"{PAGE}/schedule", {"schedule-lines": "2031-10-02 closure x"}),
                      (f"{PAGE}/overrides/{record.id}/delete", {})]:
        assert auth.post(url, data).status_code == 403
    assert len(saved_overrides()) == 1
    assert "工作日历" not in client.get("/", follow_redirects=True).get_data(as_text=True)


# The command line ---------------------------------------------------------------------------------
def runner_output(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=["workdays", "show", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_show_prints_the_days_that_differ_from_a_plain_week(app):
    output = runner_output(app, "2019")
    assert output.startswith("2019: confirmed")
    weekdays_off, weekends_worked = output.split("Working weekends")
    assert "2019-10-04 Fri  休息日（由 2019-09-29 调休）  [library]" in weekdays_off
    assert "2019-10-05" not in output  # an ordinary Saturday off is not news
    assert "2019-09-29 Sun  调休上班  [library]" in weekends_worked
    assert "UNCONFIRMED" in runner_output(app, "2031")
    result = app.test_cli_runner().invoke(args=["workdays", "show", "next"])
    assert result.exit_code == 2
