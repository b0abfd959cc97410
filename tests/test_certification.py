"""Certification coaching (issue 14, items 1, 2 and 6): the scoring rule at its boundaries, the standard's versions
(the loader, a version in use, the admins' edits), assessments driven through the pages (scores, wrong ways,
stale forms, evidence, history), sharing and the firm's self-assessment, isolation, concurrency and the page's
statements."""
import io
import json
import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import Factory, csrf_from, query_count, submission_key_from, race
from tracker.certification import queries, services
from tracker.certification.models import (
    Assessment, AssessmentKind, AssessmentStatus, CertificationStandard, Evidence, ItemScore, ItemScoreHistory,
    Score, StandardItem, StandardSection,
)
from tracker.certification.rule import evaluate
from tracker.domain import DomainError
from tracker.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MET, MOSTLY, NOT_MET, NA = Score.MET, Score.MOSTLY, Score.NOT_MET, Score.NOT_APPLICABLE


# The rule, as a pure function ------------------------------------------------------------------------------
def items_of(ordinary: int, bonus: int = 0, optional: int = 0) -> list[StandardItem]:
    """Transient items (no database): *ordinary* that apply to every firm, *optional* that may not apply,
    *bonus* bonus items."""
    made = [StandardItem(id=n, number=f"1.{n}", is_bonus=False, applies_to_all=True) for n in range(1, ordinary + 1)]
    made += [StandardItem(id=100 + n, number=f"4.{n}", is_bonus=False, applies_to_all=False)
             for n in range(1, optional + 1)]
    made += [StandardItem(id=200 + n, number=f"5.{n}", is_bonus=True, applies_to_all=True)
             for n in range(1, bonus + 1)]
    return made


def scored(items, *scores) -> dict:
    """The items' scores in order; the items left over are met."""
    given = dict(zip([i.id for i in items], scores))
    return {i.id: given.get(i.id, MET) for i in items}


def test_five_items_mostly_met_make_95_and_pass():
    items = items_of(10)
    result = evaluate(items, scored(items, *[MOSTLY] * 5))
    assert (result.deductions, result.bonus, result.points) == (-5, 0, 95)
    assert result.passed and result.verdict == "passed" and not result.provisional
    assert result.shortfalls == [] and result.missing_points == 0


def test_94_points_fail_and_the_shortfall_is_every_item_mostly_met():
    items = items_of(10)
    result = evaluate(items, scored(items, *[MOSTLY] * 6))
    assert result.points == 94 and not result.passed and result.verdict == "failed"
    assert result.missing_points == 1 and result.mostly_to_fix == 1
    assert [s.item.number for s in result.shortfalls] == [f"1.{n}" for n in range(1, 7)]
    assert {s.gain for s in result.shortfalls} == {1}


def test_any_item_not_met_fails_even_at_95_and_more():
    items = items_of(10)
    result = evaluate(items, scored(items, NOT_MET))
    assert result.points == 98 and not result.passed and result.verdict == "failed"
    assert [(s.item.number, s.gain) for s in result.shortfalls] == [("1.1", 2)]
    assert result.missing_points == 0 and result.mostly_to_fix == 0


def test_items_not_met_come_first_and_items_mostly_met_only_when_fixing_them_is_not_enough():
    items = items_of(10)
    # 100 - 4 - 3 = 93: fixing the two items not met gives 97, nothing else to fix.
    result = evaluate(items, scored(items, NOT_MET, NOT_MET, MOSTLY, MOSTLY, MOSTLY))
    assert result.points == 93 and result.missing_points == 2 and result.mostly_to_fix == 0
    assert [s.score for s in result.shortfalls] == [NOT_MET, NOT_MET]
    # 100 - 2 - 6 = 92: fixing the item not met gives 94, one item mostly met must reach met too.
    result = evaluate(items, scored(items, NOT_MET, *[MOSTLY] * 6))
    assert result.points == 92 and result.mostly_to_fix == 1
    assert [s.score for s in result.shortfalls] == [NOT_MET] + [MOSTLY] * 6


def test_bonus_items_add_two_at_most_in_all():
    items = items_of(10, bonus=3)
    one = evaluate(items, {**scored(items[:10], *[MOSTLY] * 7), 201: MET})
    three = evaluate(items, {**scored(items[:10], *[MOSTLY] * 7), 201: MET, 202: MET, 203: MET})
    assert one.bonus == 2 and three.bonus == 2
    assert three.points == 95 and three.passed  # 100 - 7 + 2
    assert evaluate(items, {**scored(items[:10], *[MOSTLY] * 8), 201: MET, 202: MET}).points == 94
    # A bonus item not met adds nothing and fails nothing; one left unscored is simply not claimed.
    none = evaluate(items, {**scored(items[:10]), 201: NOT_MET})
    assert none.bonus == 0 and none.points == 100 and none.passed and not none.provisional


def test_not_applicable_items_are_left_out_and_refused_on_an_item_every_firm_must_meet(app):
    items = items_of(3, optional=2)
    result = evaluate(items, {1: MET, 2: MOSTLY, 3: MET, 101: NA, 102: NA})
    assert result.points == 99 and result.not_applicable == 2 and result.counted == 3 and result.passed
    with pytest.raises(DomainError, match="条款1.1适用于所有企业，不能评为不适用"):
        evaluate(items, {1: NA, 2: MET, 3: MET})
    with pytest.raises(DomainError, match="5.1属于附加标准"):
        evaluate(items_of(1, bonus=1), {1: MET, 201: MOSTLY})


def test_unscored_items_make_the_result_provisional_never_passed():
    items = items_of(10)
    result = evaluate(items, {1: MET, 2: MET})
    assert result.provisional and not result.passed and result.verdict == "provisional"
    assert [i.number for i in result.unscored] == [f"1.{n}" for n in range(3, 11)]
    assert result.points == 100
    # An item not met fails the firm whatever is still to score.
    failing = evaluate(items, {1: NOT_MET})
    assert failing.provisional and failing.verdict == "failed" and not failing.passed


# The standard's versions -----------------------------------------------------------------------------------
def standard(code: str) -> CertificationStandard:
    return db.session.scalar(sa.select(CertificationStandard).where(CertificationStandard.code == code))


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_shipped_versions_load_with_their_structure(app):
    report = services.load_standards()
    db.session.commit()
    assert sorted(report.loaded) == ["2014", "2018"] and report.kept == []
    current, old = standard("2018"), standard("2014")
    assert current.active and not old.active
    top = [s.title for s in current.sections if s.parent_id is None]
    assert top == ["内部控制", "财务状况", "守法规范", "贸易安全", "附加标准"]
    subsections = {s.parent.title: [] for s in current.sections if s.parent_id}
    for s in current.sections:
        if s.parent_id:
            subsections[s.parent.title].append(s.title)
    assert subsections["内部控制"] == ["组织机构", "进出口业务", "内部审计", "信息系统"]
    assert subsections["守法规范"] == ["遵守法律法规", "进出口业务规范", "符合海关管理要求", "外部信用"]
    assert subsections["贸易安全"] == ["场所安全", "进入安全", "人员安全", "商业伙伴安全", "货物安全", "集装箱安全",
                                   "运输工具安全", "危机管理"]
    assert 30 <= len(current.items) <= 50 and len(old.items) < len(current.items)
    bonus = [i.number for i in current.items if i.is_bonus]
    assert bonus == ["5.1", "5.2", "5.3", "5.4"]
    optional = {i.section.title for i in current.items if not i.applies_to_all}
    assert {"集装箱安全", "运输工具安全"} <= optional
    assert [i.number for i in old.items][:3] == ["1", "2", "3"] and old.items[0].text != current.items[0].text


def test_the_loader_is_idempotent_and_leaves_a_loaded_version_as_it_is(app, runner):
    services.load_standards()
    db.session.commit()
    item = standard("2018").items[0]
    item.guidance = "管理员补充的辅导要点"
    db.session.commit()
    before = (count(CertificationStandard), count(StandardSection), count(StandardItem))
    result = runner.invoke(args=["certification", "load-standards"])
    assert result.exit_code == 0, result.output
    assert "Loaded 0 version(s)" in result.output and "(2014, 2018)" in result.output
    db.session.expire_all()
    assert (count(CertificationStandard), count(StandardSection), count(StandardItem)) == before
    assert db.session.get(StandardItem, item.id).guidance == "管理员补充的辅导要点"


def _newer_file(tmp_path: Path, code="2023") -> Path:
    data = json.loads((services.STANDARDS_DIR / "2018.json").read_text(encoding="utf-8"))
    data.update(code=code, version_label="2023年版", effective_from="2023-01-01")
    data["sections"][0]["sections"][0]["items"][0]["text"] = "企业设立关务部门并配备专职关务人员。"
    folder = tmp_path / "standards"
    folder.mkdir(exist_ok=True)
    for name in ("2014.json", "2018.json"):
        (folder / name).write_text((services.STANDARDS_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / f"{code}.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return folder


def test_an_assessment_keeps_its_version_when_a_newer_one_is_loaded(app, cast, tmp_path):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer, scores={"1.1.1": MET})
    db.session.commit()
    old_text = standard("2018").items[0].text
    report = services.load_standards(_newer_file(tmp_path))
    db.session.commit()
    assert report.loaded == ["2023"] and sorted(report.kept) == ["2014", "2018"]
    db.session.expire_all()
    assessment = db.session.get(Assessment, assessment.id)
    assert assessment.standard.code == "2018" and assessment.standard.items[0].text == old_text
    assert services.offered_standards()[0].code == "2023"  # the latest in force is offered first
    assert services.result_of(assessment).provisional


def test_a_bad_file_loads_nothing_and_says_what_is_wrong(app, tmp_path):
    folder = _newer_file(tmp_path, code="2030")
    broken = json.loads((folder / "2030.json").read_text(encoding="utf-8"))
    broken["sections"][1]["items"][1]["number"] = "2.1"
    (folder / "2030.json").write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(services.StandardFileError, match="2030.json.*2.1 is used twice"):
        services.load_standards(folder)
    db.session.rollback()
    assert count(CertificationStandard) == 0


def test_a_version_in_use_cannot_lose_items_nor_change_their_wording(app, cast):
    Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    current = standard("2018")
    item, section = current.items[0], current.items[0].section
    for change in (lambda: services.remove_item(item, by=cast.admin),
                   lambda: services.add_item(current, section, number="1.1.9", text="新条款", guidance=None,
                                             applies_to_all=True, by=cast.admin),
                   lambda: services.update_item(item, number=item.number, text="改写", guidance=None,
                                                applies_to_all=True, by=cast.admin)):
        with pytest.raises(DomainError, match="已有评估使用该版本标准"):
            change()
        db.session.rollback()
    services.update_item(item, number=item.number, text=item.text, guidance="新的辅导要点", applies_to_all=True,
                         by=cast.admin)
    db.session.commit()
    assert db.session.get(StandardItem, item.id).guidance == "新的辅导要点"
    # The database stands behind it: a scored item cannot go, whatever code path tries.
    scored_assessment = Factory.assessment(cast.contact_byq.enterprise, cast.officer_byq, scores={"1.1.2": MET})
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.delete(StandardItem).where(StandardItem.id == scored_assessment.standard.items[1].id))
    db.session.rollback()


def login(auth, who):
    assert auth.login(who.username).status_code == 302


def test_admins_edit_add_and_remove_items_of_a_version_no_assessment_uses(client, auth, cast):
    services.load_standards()
    db.session.commit()
    old = standard("2014")
    item = old.items[0]
    login(auth, cast.admin)
    url = f"/certification/standards/{old.id}/items/{item.id}"
    page = client.get(url)
    assert page.status_code == 200
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page.get_data(as_text=True)).group(1)
    data = {"csrf_token": csrf_from(page), "version": version, "number": item.number, "guidance": "",
            "text": "企业设置关务部门，明确关务负责人。", "applies_to_all": "y"}
    assert client.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(StandardItem, item.id).text == "企业设置关务部门，明确关务负责人。"
    # The same form again, opened at the old version: refused, the text kept.
    stale = client.post(url, data={**data, "text": "另一种说法"})
    assert stale.status_code == 409 and "其他人修改了该条款" in stale.get_data(as_text=True)
    assert db.session.get(StandardItem, item.id).text == "企业设置关务部门，明确关务负责人。"
    section = old.items[-1].section  # 附加标准
    detail = client.get(f"/certification/standards/{old.id}")
    added = client.post(f"/certification/standards/{old.id}/items", data={
        "csrf_token": csrf_from(detail), "submission_key": submission_key_from(detail), "section_id": str(section.id),
        "number": "附4", "text": "企业参与海关组织的信用培育试点。", "applies_to_all": "y"})
    assert added.status_code == 302
    db.session.expire_all()
    new = db.session.scalar(sa.select(StandardItem).where(StandardItem.standard_id == old.id,
                                                          StandardItem.number == "附4"))
    assert new.is_bonus and new.position == max(i.position for i in standard("2014").items)
    duplicate = auth.post(f"/certification/standards/{old.id}/items", {
        "section_id": str(section.id), "number": "附4", "text": "重复编号"}, form_page=f"/certification/standards/{old.id}")
    assert duplicate.status_code == 400 and "本版本已有条款附4" in duplicate.get_data(as_text=True)
    new_id = new.id
    assert auth.post(f"/certification/standards/{old.id}/items/{new_id}/delete",
                     form_page=f"/certification/standards/{old.id}").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(StandardItem.id == new_id)) == 0
    auth.logout()
    login(auth, cast.officer)
    assert client.get(f"/certification/standards/{old.id}").status_code == 403


def test_a_new_version_is_a_copy_to_edit_and_offer(client, auth, cast):
    Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    current = standard("2018")
    login(auth, cast.admin)
    page = client.get(f"/certification/standards/{current.id}")
    assert "已有评估使用该版本" in page.get_data(as_text=True)
    response = client.post(f"/certification/standards/{current.id}/new-version", data={
        "csrf_token": csrf_from(page), "submission_key": submission_key_from(page), "code": "2018-修订",
        "version_label": "2018年修订版", "effective_from": "2019-07-01"})
    assert response.status_code == 302
    copy = standard("2018-修订")
    assert not copy.active and copy.previous_id == current.id and len(copy.items) == len(current.items)
    assert [(i.number, i.text, i.is_bonus, i.applies_to_all) for i in copy.items] == [
        (i.number, i.text, i.is_bonus, i.applies_to_all) for i in current.items]
    assert {s.parent.number for s in copy.sections if s.parent} == {"1", "3", "4"}
    services.remove_item(copy.items[0], by=cast.admin)  # nobody uses the copy yet
    db.session.commit()
    offered = auth.post(f"/certification/standards/{copy.id}/offer", {"offered": "1"},
                        form_page=f"/certification/standards/{copy.id}")
    assert offered.status_code == 302
    db.session.expire_all()
    assert [s.code for s in services.offered_standards()] == ["2018-修订", "2018"]
    assert len(standard("2018").items) == 46
    # A code used already is refused at its field; an offer neither on nor off changes nothing.
    again = auth.post(f"/certification/standards/{current.id}/new-version", {
        "code": "2018-修订", "version_label": "再次", "effective_from": "2019-08-01"},
        form_page=f"/certification/standards/{current.id}")
    assert again.status_code == 400 and "代码为2018-修订的版本已存在" in again.get_data(as_text=True)
    assert auth.post(f"/certification/standards/{copy.id}/offer", {"offered": "maybe"},
                     form_page=f"/certification/standards/{copy.id}").status_code == 302
    db.session.expire_all()
    assert standard("2018-修订").active and count(CertificationStandard) == 3


# Assessments through the pages --------------------------------------------------------------------------
@pytest.fixture
def upload_folder(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def item_of(assessment, number: str) -> StandardItem:
    return db.session.scalar(sa.select(StandardItem).where(StandardItem.standard_id == assessment.standard_id,
                                                           StandardItem.number == number))


def score_page(client, assessment, item):
    page = client.get(f"/certification/assessments/{assessment.id}/items/{item.id}")
    assert page.status_code == 200
    version = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)
    return csrf_from(page), version


def post_score(client, assessment, item, score, note="", version=None):
    token, current = score_page(client, assessment, item)
    return client.post(f"/certification/assessments/{assessment.id}/items/{item.id}", data={
        "csrf_token": token, "score": score, "note": note, "version": current if version is None else version})


def post_blind(auth, assessment, item, score, version="1"):
    """A score posted without its page (which shows no form to whoever may only read)."""
    return auth.post(f"/certification/assessments/{assessment.id}/items/{item.id}",
                     {"score": score, "version": version})


def scores_of(assessment) -> dict:
    db.session.expire_all()
    return {s.item.number: s.score for s in db.session.scalars(
        sa.select(ItemScore).where(ItemScore.assessment_id == assessment.id))}


def test_an_officer_starts_an_assessment_and_scores_item_by_item_with_the_result_live(client, auth, cast):
    services.load_standards()
    db.session.commit()
    firm = cast.contact.enterprise
    login(auth, cast.officer)
    page = client.get(f"/certification/firms/{firm.id}")
    assert page.status_code == 200
    form = {"csrf_token": csrf_from(page), "submission_key": submission_key_from(page),
            "standard_id": str(standard("2018").id)}
    started = client.post(f"/certification/firms/{firm.id}/start", data=form)
    assert started.status_code == 302
    # The same form sent again (a double click) starts nothing more.
    assert client.post(f"/certification/firms/{firm.id}/start", data=form).status_code == 302
    assessment = db.session.scalars(sa.select(Assessment)).one()
    assert assessment.kind is AssessmentKind.OFFICER and assessment.status is AssessmentStatus.DRAFT
    assert started.headers["Location"] == f"/certification/assessments/{assessment.id}"
    text = client.get(f"/certification/assessments/{assessment.id}").get_data(as_text=True)
    assert text.count('class="card mb-2 cert-item"') == 46 and "还有42项未评分" in text
    assert 'data-verdict="provisional"' in text
    saved = post_score(client, assessment, item_of(assessment, "1.1.2"), "mostly", "培训记录不全")
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"#item-{item_of(assessment, '1.1.2').id}")
    assert post_score(client, assessment, item_of(assessment, "4.6.1"), "not_applicable").status_code == 302
    assert post_score(client, assessment, item_of(assessment, "3.2.1"), "not_met", "差错率5%").status_code == 302
    text = client.get(f"/certification/assessments/{assessment.id}").get_data(as_text=True)
    assert 'id="result-points">97分' in text and 'data-verdict="failed"' in text and "还有39项未评分" in text
    shortfalls = text[text.index('id="result-shortfalls"'):]
    assert 'data-item="3.2.1"' in shortfalls and "不达标：必须整改" in shortfalls
    assert scores_of(assessment) == {"1.1.2": MOSTLY, "4.6.1": NA, "3.2.1": NOT_MET}
    # Another start while this one is under way is sent to it.
    again = auth.post(f"/certification/firms/{firm.id}/start", {"standard_id": str(standard("2018").id)},
                      form_page=f"/certification/firms/{firm.id}")
    assert again.status_code == 302 and again.headers["Location"] == f"/certification/assessments/{assessment.id}"
    assert count(Assessment) == 1


@pytest.mark.parametrize("score, number, message", [
    ("excellent", "1.1.1", "评分：请从列表中选择"),
    ("", "1.1.1", "请选择评分"),
    ("not_applicable", "1.1.1", "条款1.1.1适用于所有企业，不能评为不适用"),
    ("mostly", "5.2", "条款5.2属于附加标准，只能评为符合或不符合"),
])
def test_wrong_scores_are_refused_in_words_and_nothing_is_written(client, auth, cast, score, number, message):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    login(auth, cast.officer)
    response = post_score(client, assessment, item_of(assessment, number), score, "备注")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count(ItemScore) == 0 and count(ItemScoreHistory) == 0


def test_a_note_too_long_and_a_forged_version_are_refused(client, auth, cast):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    login(auth, cast.officer)
    item = item_of(assessment, "1.1.1")
    assert post_score(client, assessment, item, "met", "很" * 2001).status_code == 400
    forged = post_score(client, assessment, item, "met", version="abc")
    assert forged.status_code == 400 and "表单已失效，请刷新页面后重新提交" in forged.get_data(as_text=True)
    assert count(ItemScore) == 0


def test_rescoring_keeps_the_history_and_a_stale_form_is_refused(client, auth, cast):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    item = item_of(assessment, "4.1.1")
    login(auth, cast.officer)
    assert post_score(client, assessment, item, "not_met", "东侧围栏破损").status_code == 302
    token, opened = score_page(client, assessment, item)  # a second officer opens the item ...
    assert post_score(client, assessment, item, "mostly", "围栏已修复，监控未覆盖").status_code == 302
    stale = client.post(f"/certification/assessments/{assessment.id}/items/{item.id}", data={
        "csrf_token": token, "score": "met", "note": "", "version": opened})  # ... and saves after the fix
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "其他人已为该条款评分" in text and 'name="version" value="2"' in text
    # Saving what it holds already writes nothing.
    assert post_score(client, assessment, item, "mostly", "围栏已修复，监控未覆盖").status_code == 302
    assert post_score(client, assessment, item, "met", "已整改").status_code == 302
    current = db.session.scalars(sa.select(ItemScore)).one()
    assert (current.score, current.version_id, current.note) == (MET, 3, "已整改")
    history = queries.item_history(assessment, item)
    assert [(h.revision, h.score, h.note) for h in history] == [
        (3, MET, "已整改"), (2, MOSTLY, "围栏已修复，监控未覆盖"), (1, NOT_MET, "东侧围栏破损")]
    page = client.get(f"/certification/assessments/{assessment.id}/items/{item.id}").get_data(as_text=True)
    listing = page[page.index('id="score-history"'):]
    assert listing.index("已整改") < listing.index("围栏已修复") < listing.index("东侧围栏破损")


def _upload(client, assessment, item, name, data, key=None):
    page = client.get(f"/certification/assessments/{assessment.id}/items/{item.id}")
    return client.post(f"/certification/assessments/{assessment.id}/items/{item.id}/evidence",
                       data={"csrf_token": csrf_from(page), "submission_key": key or submission_key_from(page),
                             "file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.mark.parametrize("name, data, message", [
    ("制度.txt", b"plain text", "只接受"),
    ("围栏照片.pdf", b"MZ\x90\x00" + b"\0" * 100, "程序"),
    ("围栏照片.png", PDF, "请改名后重新上传"),
    ("空文件.pdf", b"", "文件为空"),
])
def test_evidence_of_a_wrong_kind_is_refused_in_words_and_nothing_is_written(client, auth, cast, upload_folder,
                                                                            name, data, message):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    login(auth, cast.officer)
    response = _upload(client, assessment, item_of(assessment, "4.1.1"), name, data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(Evidence) == 0
    assert not upload_folder.exists() or not any(upload_folder.rglob("*.*"))


@pytest.mark.parametrize("app_config", [{"UPLOAD_MAX_BYTES": 1024, "MAX_CONTENT_LENGTH": 4096}], indirect=True)
def test_too_large_evidence_is_refused_in_words(client, auth, cast, upload_folder):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    login(auth, cast.officer)
    response = _upload(client, assessment, item_of(assessment, "4.1.1"), "监控截图.pdf", PDF + b"0" * 2000)
    assert response.status_code == 400 and "文件超过" in response.get_data(as_text=True)
    assert count(Evidence) == 0


def test_evidence_is_stored_under_a_generated_name_and_read_by_whoever_sees_the_assessment(
        client, auth, cast, upload_folder):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    item = item_of(assessment, "4.1.1")
    login(auth, cast.officer)
    # Sent twice (a resend from a poor connection in the workshop): one file.
    key = "k" * 24
    assert _upload(client, assessment, item, "东侧围栏.pdf", PDF, key).status_code == 302
    assert _upload(client, assessment, item, "东侧围栏.pdf", PDF, key).status_code == 302
    evidence = db.session.scalars(sa.select(Evidence)).one()
    assert len(list((upload_folder / "certification").iterdir())) == 1
    assert re.fullmatch(r"[0-9a-f]{32}\.pdf", evidence.stored_name) and evidence.item_id == item.id
    assert (upload_folder / "certification" / evidence.stored_name).read_bytes() == PDF
    download = client.get(f"/certification/evidence/{evidence.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    auth.logout()
    login(auth, cast.contact)
    assert client.get(f"/certification/evidence/{evidence.id}").status_code == 404  # not shared yet
    services.share(db.session.get(Assessment, assessment.id), by=cast.officer)
    db.session.commit()
    assert client.get(f"/certification/evidence/{evidence.id}").status_code == 200
    assert auth.post(f"/certification/evidence/{evidence.id}/delete").status_code == 403
    auth.logout()
    login(auth, cast.officer)
    stored = evidence.stored_name
    assert auth.post(f"/certification/evidence/{evidence.id}/delete").status_code == 302
    assert count(Evidence) == 0 and not (upload_folder / "certification" / stored).exists()


# Sharing, the firm's self-assessment and isolation ----------------------------------------------------------
def test_the_firms_contact_reads_the_customs_assessment_once_it_is_shared_and_not_before(client, auth, cast):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer, scores={"1.1.1": MET, "3.2.1": NOT_MET})
    db.session.commit()
    item = item_of(assessment, "1.1.1")
    login(auth, cast.contact)
    for url in (f"/certification/assessments/{assessment.id}",
                f"/certification/assessments/{assessment.id}/items/{item.id}"):
        assert client.get(url).status_code == 404
    mine = client.get("/certification/mine").get_data(as_text=True)
    assert "海关评估" not in mine
    auth.logout()
    login(auth, cast.officer)
    # Without the form's token nothing is shared.
    assert client.post(f"/certification/assessments/{assessment.id}/share").status_code == 400
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).status is AssessmentStatus.DRAFT
    assert auth.post(f"/certification/assessments/{assessment.id}/share").status_code == 302
    auth.logout()
    login(auth, cast.contact)
    page = client.get(f"/certification/assessments/{assessment.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="read-only"' in text and 'class="cert-score-form"' not in text
    assert 'data-verdict="failed"' in text
    assert f'href="/certification/assessments/{assessment.id}"' in client.get("/certification/mine").get_data(
        as_text=True)
    assert "海关评估" in client.get("/portal/").get_data(as_text=True)
    # Read-only for the firm: no score, no evidence, no remarks, no transition.
    assert post_blind(auth, assessment, item, "mostly").status_code == 403
    for action in ("remarks", "share", "close"):
        assert auth.post(f"/certification/assessments/{assessment.id}/{action}").status_code in (403,)
    assert scores_of(assessment) == {"1.1.1": MET, "3.2.1": NOT_MET}


def test_the_contact_fills_in_and_submits_his_firms_self_assessment(client, auth, cast):
    services.load_standards()
    db.session.commit()
    login(auth, cast.contact)
    page = client.get("/certification/mine")
    assert page.status_code == 200
    started = client.post("/certification/mine/start", data={
        "csrf_token": csrf_from(page), "submission_key": submission_key_from(page),
        "standard_id": str(standard("2018").id), "enterprise_id": str(cast.contact_byq.enterprise_id)})
    assert started.status_code == 302
    assessment = db.session.scalars(sa.select(Assessment)).one()
    assert assessment.kind is AssessmentKind.SELF and assessment.enterprise_id == cast.contact.enterprise_id
    assert post_score(client, assessment, item_of(assessment, "1.1.1"), "met", "已设关务部").status_code == 302
    # Staff do not read a draft self-assessment; nor may they score it.
    auth.logout()
    login(auth, cast.officer)
    assert client.get(f"/certification/assessments/{assessment.id}").status_code == 404
    auth.logout()
    login(auth, cast.contact)
    refused = auth.post(f"/certification/assessments/{assessment.id}/submit", follow_redirects=True)
    assert "还有41项未评分" in refused.get_data(as_text=True)
    items = {i.number: i for i in assessment.standard.items}
    for number, item in items.items():
        if number != "1.1.1" and not item.is_bonus:
            services.score_item(assessment, item, NA if not item.applies_to_all else MET, None, by=cast.contact,
                                opened_version=0)
    db.session.commit()
    assert auth.post(f"/certification/assessments/{assessment.id}/submit").status_code == 302
    db.session.expire_all()
    assessment = db.session.get(Assessment, assessment.id)
    assert assessment.status is AssessmentStatus.SUBMITTED and assessment.submitted_at is not None
    assert services.result_of(assessment).passed
    read_only = post_blind(auth, assessment, items["1.1.2"], "mostly")
    assert read_only.status_code == 400 and "该评估已提交海关，评分不能再修改" in read_only.get_data(as_text=True)
    auth.logout()
    login(auth, cast.officer)
    page = client.get(f"/certification/assessments/{assessment.id}")
    assert page.status_code == 200 and 'data-verdict="passed"' in page.get_data(as_text=True)
    assert post_blind(auth, assessment, items["1.1.2"], "mostly").status_code == 403
    assert "企业自评" in client.get("/certification/?kind=self").get_data(as_text=True)


def test_another_firms_contact_and_another_offices_officer_reach_nothing(client, auth, cast, upload_folder):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer, scores={"1.1.1": MET}, shared=True)
    evidence = services.add_evidence(assessment, item_of(assessment, "1.1.1"),
                                     _storage("制度.pdf", PDF), by=cast.officer)
    db.session.commit()
    item = item_of(assessment, "1.1.1")
    urls = [f"/certification/assessments/{assessment.id}", f"/certification/assessments/{assessment.id}/items/{item.id}",
            f"/certification/evidence/{evidence.id}"]
    posts = [f"/certification/assessments/{assessment.id}/items/{item.id}",
             f"/certification/assessments/{assessment.id}/items/{item.id}/evidence",
             f"/certification/assessments/{assessment.id}/remarks", f"/certification/evidence/{evidence.id}/delete"]
    firm = cast.contact.enterprise.name
    for who, extra in ((cast.contact_byq, []), (cast.officer_byq, [
            f"/certification/firms/{cast.contact.enterprise_id}",
            f"/certification/assessments/{assessment.id}/share"])):
        login(auth, who)
        for url in urls + ([extra[0]] if extra else []):
            response = client.get(url)
            assert response.status_code == 404 and firm not in response.get_data(as_text=True), (who, url)
        for url in posts + extra[1:]:
            assert auth.post(url, {"score": "not_met", "version": "1"}).status_code == 404, (who, url)
        assert firm not in client.get("/certification/mine" if who.is_contact else "/certification/").get_data(
            as_text=True)
        auth.logout()
    assert scores_of(assessment) == {"1.1.1": MET} and count(Evidence) == 1
    # The manager of the office above both reads it.
    login(auth, cast.manager_dl)
    assert client.get(f"/certification/assessments/{assessment.id}").status_code == 200


def _storage(name, data):
    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(data), filename=name)


def test_archiving_ends_the_assessment_and_lets_a_new_one_start(client, auth, cast):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer, scores={"1.1.1": MET}, shared=True)
    db.session.commit()
    login(auth, cast.officer)
    assert auth.post(f"/certification/assessments/{assessment.id}/close").status_code == 302
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).status is AssessmentStatus.CLOSED
    assert post_blind(auth, assessment, item_of(assessment, "1.1.2"), "met", "0").status_code == 400
    second = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    assert second.id != assessment.id
    with pytest.raises(DomainError, match="已有一份进行中的海关评估"):
        Factory.assessment(cast.contact.enterprise, cast.officer)


def test_transitions_allowed_and_refused(cast):
    officer = Factory.assessment(cast.contact.enterprise, cast.officer)
    own = Factory.assessment(cast.contact.enterprise, cast.contact, kind=AssessmentKind.SELF)
    with pytest.raises(DomainError):
        services.submit(officer, by=cast.officer)
    with pytest.raises(DomainError):
        services.share(own, by=cast.contact)
    with pytest.raises(DomainError):
        services.close(own, by=cast.officer)
    services.share(officer, by=cast.officer)
    with pytest.raises(DomainError, match="已告知企业"):
        services.share(officer, by=cast.officer)
    services.close(officer, by=cast.officer)
    with pytest.raises(DomainError):
        services.close(officer, by=cast.officer)
    with pytest.raises(DomainError):
        services.start_assessment(cast.contact.enterprise, standard("2018"), kind=AssessmentKind.SELF,
                                  by=cast.officer)
    with pytest.raises(DomainError, match="已启用"):
        services.start_assessment(cast.contact_byq.enterprise, standard("2014"), kind=AssessmentKind.OFFICER,
                                  by=cast.officer_byq)
    # The database refuses a state that does not fit the kind.
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(sa.update(Assessment).where(Assessment.id == officer.id).values(status="submitted"))
    db.session.rollback()


def test_remarks_carry_the_version_they_were_opened_at(client, auth, cast):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    login(auth, cast.officer)
    page = client.get(f"/certification/assessments/{assessment.id}")
    text = page.get_data(as_text=True)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', text).group(1)
    data = {"csrf_token": csrf_from(page), "version": version, "summary": "建议三个月后复评。"}
    assert client.post(f"/certification/assessments/{assessment.id}/remarks", data=data).status_code == 302
    stale = client.post(f"/certification/assessments/{assessment.id}/remarks", data={**data, "summary": "另一意见"})
    assert stale.status_code == 409 and "另一意见" in stale.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Assessment, assessment.id).summary == "建议三个月后复评。"


# Concurrency -------------------------------------------------------------------------------------------
def test_thirty_identical_first_scores_at_once_make_one_current_score(app, cast):
    from tracker.auth.models import User

    assessment = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    assessment_id, item_id, officer_id = assessment.id, item_of(assessment, "4.1.1").id, cast.officer.id

    def work(k):
        services.score_item(db.session.get(Assessment, assessment_id), db.session.get(StandardItem, item_id),
                            MOSTLY, "围栏破损", by=db.session.get(User, officer_id), opened_version=0)

    outcomes = race(app, 30, work, {sa.orm.exc.StaleDataError: "stale"})
    assert outcomes == ["ok"] * 30, outcomes
    db.session.rollback()
    assert count(ItemScore) == 1 and count(ItemScoreHistory) == 1


def test_thirty_different_rescores_from_one_version_let_one_in(app, cast):
    from tracker.auth.models import User

    assessment = Factory.assessment(cast.contact.enterprise, cast.officer, scores={"4.1.1": NOT_MET})
    db.session.commit()
    assessment_id, item_id, officer_id = assessment.id, item_of(assessment, "4.1.1").id, cast.officer.id

    def work(k):
        services.score_item(db.session.get(Assessment, assessment_id), db.session.get(StandardItem, item_id),
                            MOSTLY, f"第{k}次复核", by=db.session.get(User, officer_id), opened_version=1)

    outcomes = race(app, 30, work, {sa.orm.exc.StaleDataError: "stale"})
    assert outcomes.count("ok") == 1 and outcomes.count("stale") == 29, outcomes
    db.session.rollback()
    current = db.session.scalars(sa.select(ItemScore)).one()
    assert current.version_id == 2 and count(ItemScoreHistory) == 2


def test_thirty_saves_of_one_item_over_http_make_one_current_score(server, cast):
    import requests

    from tests.conftest import PASSWORD

    assessment = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    item = item_of(assessment, "1.2.1")
    browser = requests.Session()
    login_page = browser.get(f"{server}/login").text
    assert browser.post(f"{server}/login", allow_redirects=False, data={
        "username": cast.officer.username, "password": PASSWORD, "csrf_token": _csrf(login_page)}).status_code == 302
    url = f"/certification/assessments/{assessment.id}/items/{item.id}"
    form = {"csrf_token": _csrf(browser.get(server + url).text), "score": "met", "note": "单证复核到位",
            "version": "0"}
    barrier = threading.Barrier(30)
    statuses = [0] * 30

    def one(k):
        session = requests.Session()
        session.cookies.update(browser.cookies)
        barrier.wait()
        statuses[k] = session.post(server + url, data=form, allow_redirects=False, timeout=120).status_code

    threads = [threading.Thread(target=one, args=(k,)) for k in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) == {302}, statuses
    db.session.rollback()
    assert count(ItemScore) == 1 and count(ItemScoreHistory) == 1


def _csrf(text):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)


# Statements ---------------------------------------------------------------------------------------------
def test_the_assessment_page_costs_the_same_statements_however_many_items_are_scored(
        app, client, auth, cast, upload_folder):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer, scores={"1.1.1": MOSTLY})
    services.add_evidence(assessment, item_of(assessment, "1.1.1"), _storage("a.pdf", PDF), by=cast.officer)
    db.session.commit()
    login(auth, cast.officer)
    pages = [f"/certification/assessments/{assessment.id}", f"/certification/firms/{cast.contact.enterprise_id}",
             "/certification/", f"/certification/assessments/{assessment.id}/items/{item_of(assessment, '1.1.1').id}"]
    before = [query_count(app, client, p) for p in pages]
    for item in assessment.standard.items:
        if item.number != "1.1.1":
            services.score_item(assessment, item, NA if not item.applies_to_all else MOSTLY if item.is_bonus is False
                                else MET, "复核", by=cast.manager, opened_version=0)
            services.add_evidence(assessment, item, _storage("b.pdf", PDF), by=cast.manager)
    services.score_item(assessment, item_of(assessment, "1.1.1"), MET, "已整改", by=cast.manager, opened_version=1)
    Factory.assessment(cast.contact.enterprise, cast.contact, kind=AssessmentKind.SELF)
    db.session.commit()
    assert [query_count(app, client, p) for p in pages] == before


def test_the_audit_trail_names_the_assessment_and_its_scores(client, auth, cast):
    assessment = Factory.assessment(cast.contact.enterprise, cast.officer)
    db.session.commit()
    login(auth, cast.officer)
    assert post_score(client, assessment, item_of(assessment, "4.1.1"), "mostly", "围栏破损").status_code == 302
    assert post_score(client, assessment, item_of(assessment, "4.1.1"), "met", "已修复").status_code == 302
    auth.logout()
    login(auth, cast.admin)
    text = client.get("/admin/audit").get_data(as_text=True)
    item = item_of(assessment, "4.1.1")
    assert f'href="/certification/assessments/{assessment.id}/items/{item.id}"' in text
    assert "4.1.1 达标" in text and "基本达标" in text and "条款评分" in text
