"""Declaration imports: formats and encodings, all-or-nothing, idempotence, limits, the web flow and the CLI."""
import codecs
import io
import re
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from tests.conftest import csrf_from, trade_mode_codes_off
from tracker.audit.models import AuditRecord
from tracker.imports.models import DeclarationCount, DeclarationImport, ImportStatus
from tracker.demo import make_uscc
from tracker.enterprises.models import Enterprise
from tracker.extensions import db

YALISI = make_uscc("91", "210800", "MA0YLJ001")
NEW_FIRM = make_uscc("91", "210804", "MA0NEW001")
HEADER_ZH = ["统一社会信用代码", "海关编码", "企业名称", "年度", "报关单票数", "贸易方式"]


def csv_bytes(rows, header=HEADER_ZH, encoding="utf-8", bom=False) -> bytes:
    text = "\r\n".join(",".join(str(v) for v in row) for row in [header, *rows]) + "\r\n"
    data = text.encode(encoding)
    return (codecs.BOM_UTF8 + data) if bom else data


def xlsx_bytes(rows, header=HEADER_ZH) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts():
    db.session.rollback()
    return {(c.enterprise_id, c.year): c.declarations for c in db.session.scalars(sa.select(DeclarationCount))}


def firm(uscc):
    db.session.rollback()
    return db.session.scalar(sa.select(Enterprise).where(Enterprise.uscc == uscc))


@pytest.fixture
def yalisi(cast):
    enterprise = cast.contact.enterprise
    enterprise.uscc = YALISI
    enterprise.name = "营口雅丽丝服装有限公司"
    db.session.commit()
    return enterprise


def run_cli(runner, tmp_path, name, data, *args):
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(args=["import-declarations", str(path), *args])


GOOD_ROWS = [
    [YALISI, "2108940001", "营口雅丽丝服装有限公司", 2019, 96, "0214、0615"],
    [YALISI.lower(), "", "营口雅丽丝服装有限公司", 2018, 88, ""],
    [NEW_FIRM, "2108960099", "营口新开果蔬有限公司", 2019, 80, "0110"],
]


@pytest.mark.parametrize("encoding,bom", [("utf-8", True), ("utf-8", False), ("gb18030", False)])
def test_csv_import_in_each_encoding(runner, tmp_path, yalisi, encoding, bom):
    result = run_cli(runner, tmp_path, "counts.csv", csv_bytes(GOOD_ROWS, encoding=encoding, bom=bom),
                     "--office", "0930")
    assert result.exit_code == 0, result.output
    assert "1 new firms" in result.output and "3 new counts" in result.output
    new = firm(NEW_FIRM)
    assert new.name == "营口新开果蔬有限公司" and new.office.code == "0930" and new.name_initials == "ykxkgsyxgs"
    assert counts()[(yalisi.id, 2019)] == 96 and counts()[(new.id, 2019)] == 80
    assert {m.code for m in firm(YALISI).trade_modes} == {"0214", "0615"}
    assert firm(YALISI).customs_code == "2108940001"


def test_imported_trade_modes_filter_the_list(runner, tmp_path, yalisi, client, auth):
    """The import writes links with Core statements: a new firm's codes come with its row, a known firm
    that gains a trade mode has its codes written again from all its links, and the list finds both."""
    run_cli(runner, tmp_path, "first.csv", csv_bytes([[YALISI, "", "营口雅丽丝服装有限公司", 2019, 96, "0214"]]),
            "--office", "0930")
    result = run_cli(runner, tmp_path, "counts.csv", csv_bytes(GOOD_ROWS), "--office", "0930")
    assert result.exit_code == 0, result.output
    assert firm(YALISI).trade_mode_codes == ",0214,0615," and firm(NEW_FIRM).trade_mode_codes == ",0110,"
    assert trade_mode_codes_off() == {}
    auth.login("manager-dl")
    listed = lambda code: re.findall(r'href="/enterprises/(\d+)"', client.get(  # noqa: E731
        f"/enterprises/?trade_mode={code}").get_data(as_text=True))
    assert listed("0615") == [str(firm(YALISI).id)] and listed("0110") == [str(firm(NEW_FIRM).id)]


def test_xlsx_import_and_english_headers(runner, tmp_path, yalisi):
    header = ["USCC", "customs_code", "name", "year", "declarations", "trade_modes"]
    rows = [[YALISI, None, "营口雅丽丝服装有限公司", 2019, 96, "0214"], [NEW_FIRM, None, "营口新开果蔬有限公司", 2019.0, 80.0, None]]
    result = run_cli(runner, tmp_path, "counts.xlsx", xlsx_bytes(rows, header), "--office", "0930")
    assert result.exit_code == 0, result.output
    assert counts()[(firm(NEW_FIRM).id, 2019)] == 80


def test_one_bad_row_writes_nothing_and_is_named(runner, tmp_path, yalisi):
    bad_check = YALISI[:-1] + ("A" if YALISI[-1] != "A" else "B")
    rows = GOOD_ROWS + [
        [bad_check, "", "某公司", 2019, 12, ""],
        [NEW_FIRM, "", "营口新开果蔬有限公司", "二〇一九", 5, ""],
        [YALISI, "", "", 2017, -3, ""],
    ]
    before_audit = db.session.scalar(sa.select(sa.func.count(AuditRecord.id)))
    result = run_cli(runner, tmp_path, "bad.csv", csv_bytes(rows), "--office", "0930")
    assert result.exit_code == 1
    assert re.search(rf"第 ?5 ?行.*{YALISI[-1]}", result.output)  # row 5: the expected check character
    assert "第 6 行" in result.output or "第6行" in result.output
    assert counts() == {} and firm(NEW_FIRM) is None
    assert db.session.scalar(sa.select(sa.func.count(AuditRecord.id))) == before_audit


def test_importing_the_same_file_twice_changes_nothing(runner, tmp_path, yalisi):
    data = csv_bytes(GOOD_ROWS)
    assert run_cli(runner, tmp_path, "a.csv", data, "--office", "0930").exit_code == 0
    first = counts()
    audit = db.session.scalar(sa.select(sa.func.count(AuditRecord.id)))
    again = run_cli(runner, tmp_path, "a.csv", data, "--office", "0930")
    assert again.exit_code == 0
    assert "0 new firms, 0 new counts, 0 updated counts, 3 unchanged" in again.output
    assert counts() == first
    assert db.session.scalar(sa.select(sa.func.count(AuditRecord.id))) == audit


def test_a_changed_count_is_updated_and_audited(runner, tmp_path, yalisi):
    run_cli(runner, tmp_path, "a.csv", csv_bytes(GOOD_ROWS), "--office", "0930")
    changed = [list(GOOD_ROWS[0])]
    changed[0][4] = 101
    result = run_cli(runner, tmp_path, "b.csv", csv_bytes(changed), "--office", "0930")
    assert "1 updated counts" in result.output
    assert counts()[(yalisi.id, 2019)] == 101
    update = db.session.scalar(sa.select(AuditRecord).where(AuditRecord.entity_type == "declaration_counts",
                                                            AuditRecord.action == "update"))
    assert update.changes == {"declarations": [96, 101]}


def test_dry_run_writes_nothing(runner, tmp_path, yalisi):
    result = run_cli(runner, tmp_path, "a.csv", csv_bytes(GOOD_ROWS), "--office", "0930", "--dry-run")
    assert result.exit_code == 0 and "Dry run" in result.output
    assert counts() == {}


def test_year_from_the_command_line_when_the_file_has_none(runner, tmp_path, yalisi):
    header = ["统一社会信用代码", "报关单票数"]
    no_year = run_cli(runner, tmp_path, "y.csv", csv_bytes([[YALISI, 90]], header=header), "--office", "0930")
    assert no_year.exit_code == 1 and "年度" in no_year.output
    ok = run_cli(runner, tmp_path, "y.csv", csv_bytes([[YALISI, 90]], header=header), "--office", "0930", "--year", "2019")
    assert ok.exit_code == 0
    assert counts()[(yalisi.id, 2019)] == 90


def test_firms_outside_the_office_are_refused(runner, tmp_path, cast):
    other = cast.contact_byq.enterprise  # under 鲅鱼圈
    result = run_cli(runner, tmp_path, "o.csv", csv_bytes([[other.uscc, "", other.name, 2019, 90, ""]]),
                     "--office", "0930")
    # The firm is not named: the importer may not see it (issue 9).
    assert result.exit_code == 1 and "该企业所属海关不在本次导入的范围内" in result.output
    assert other.name not in result.output


def test_duplicate_rows_with_different_counts_are_refused(runner, tmp_path, yalisi):
    rows = [[YALISI, "", "", 2019, 96, ""], [YALISI, "", "", 2019, 97, ""]]
    result = run_cli(runner, tmp_path, "d.csv", csv_bytes(rows), "--office", "0930")
    assert result.exit_code == 1 and "第 2 行" in result.output.replace("第2行", "第 2 行")


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("counts.txt", b"a,b\n", "只能导入"),
        ("counts.xlsx", csv_bytes(GOOD_ROWS), "XLSX"),
        ("counts.csv", b"PK\x03\x04rest", "CSV"),
        ("counts.csv", "企业名称,备注\n某公司,无\n".encode(), "报关单票数"),
        ("counts.csv", b"", "\u6587\u4ef6\u4e3a\u7a7a"),
        ("counts.csv", b"\xff\xfe\x00\x00garbage", "CSV"),
    ],
)
def test_files_that_cannot_be_imported(runner, tmp_path, cast, name, data, message):
    result = run_cli(runner, tmp_path, name, data, "--office", "0930")
    assert result.exit_code == 1
    assert message in result.output


def zip_bomb_xlsx() -> bytes:
    """A valid-looking workbook with one sheet that inflates to 50 MB of nothing."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", " " * (50 * 1024 * 1024))
    return out.getvalue()


def test_xlsx_zip_bomb_is_refused(runner, tmp_path, cast):
    result = run_cli(runner, tmp_path, "bomb.xlsx", zip_bomb_xlsx(), "--office", "0930")
    assert result.exit_code == 1
    assert "拒绝" in result.output or "refused" in result.output


@pytest.mark.parametrize("app_config", [{"IMPORT_MAX_ROWS": 2}], indirect=True)
def test_row_limit(runner, tmp_path, yalisi):
    result = run_cli(runner, tmp_path, "many.csv", csv_bytes(GOOD_ROWS), "--office", "0930")
    assert result.exit_code == 1 and "2" in result.output
    assert counts() == {}


# The web flow ----------------------------------------------------------------------------------------
def upload(client, data, filename, office_id, year=""):
    token = csrf_from(client.get("/imports/new"))
    return client.post("/imports/new", data={"csrf_token": token, "office_id": str(office_id), "year": year,
                                             "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_web_upload_preview_then_commit(client, auth, yalisi, cast):
    auth.login("officer")
    response = upload(client, csv_bytes(GOOD_ROWS, encoding="gb18030"), "统计.csv", cast.org.yingkou.id)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="sum-new-firms">1<' in page and 'id="sum-new-counts">3<' in page
    assert "营口新开果蔬有限公司" in page
    assert counts() == {}  # nothing written by the preview
    record = db.session.scalar(sa.select(DeclarationImport))
    status = client.get(f"/imports/{record.id}/status").get_json()
    assert status["status"] == "ready" and status["percent"] == 100

    token = csrf_from(client.get(f"/imports/{record.id}"))
    committed = client.post(f"/imports/{record.id}/commit", data={"csrf_token": token}, follow_redirects=True)
    assert "已导入" in committed.get_data(as_text=True) or "导入" in committed.get_data(as_text=True)
    assert counts()[(yalisi.id, 2019)] == 96
    assert db.session.get(DeclarationImport, record.id).status is ImportStatus.COMMITTED
    assert db.session.get(DeclarationImport, record.id).stored_path is None
    source = db.session.scalar(sa.select(DeclarationCount).where(DeclarationCount.enterprise_id == yalisi.id,
                                                                DeclarationCount.year == 2019))
    assert source.import_id == record.id


def test_web_preview_lists_every_error_and_offers_no_commit(client, auth, yalisi, cast):
    auth.login("officer")
    rows = GOOD_ROWS + [["12345", "", "x", 2019, "many", ""]]
    response = upload(client, csv_bytes(rows), "bad.csv", cast.org.yingkou.id)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "第 5 行" in page and "统一社会信用代码" in page and "报关单票数" in page
    assert "/commit" not in page
    record = db.session.scalar(sa.select(DeclarationImport))
    token = csrf_from(client.get(f"/imports/{record.id}"))
    client.post(f"/imports/{record.id}/commit", data={"csrf_token": token})
    assert counts() == {}


def test_web_commit_of_a_stale_preview_is_refused(client, auth, yalisi, cast, runner, tmp_path):
    auth.login("officer")
    response = upload(client, csv_bytes(GOOD_ROWS), "a.csv", cast.org.yingkou.id)
    record_id = int(response.headers["Location"].rsplit("/", 1)[1])
    # Meanwhile someone imports a different count for the same firm and year.
    changed = [list(GOOD_ROWS[0])]
    changed[0][4] = 50
    assert run_cli(runner, tmp_path, "other.csv", csv_bytes(changed), "--office", "0930").exit_code == 0
    token = csrf_from(client.get(f"/imports/{record_id}"))
    page = client.post(f"/imports/{record_id}/commit", data={"csrf_token": token}, follow_redirects=True)
    assert "预览" in page.get_data(as_text=True)
    assert counts()[(yalisi.id, 2019)] == 50  # the preview's 96 was not written
    assert db.session.get(DeclarationImport, record_id).status is ImportStatus.READY
    assert db.session.get(DeclarationImport, record_id).summary["updated_counts"] == 1


@pytest.mark.parametrize("filename,data", [("a.txt", b"x"), ("a.xlsx", b"not a zip at all")])
def test_web_upload_refuses_wrong_files_with_a_message(client, auth, cast, filename, data):
    auth.login("officer")
    response = upload(client, data, filename, cast.org.yingkou.id)
    assert response.status_code == 400
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(DeclarationImport.id))) == 0


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 4096}], indirect=True)
def test_web_upload_over_the_size_limit(client, auth, cast):
    auth.login("officer")
    response = upload(client, b"x" * 10_000, "big.csv", cast.org.yingkou.id)
    assert response.status_code == 413
    assert "文件过大" in response.get_data(as_text=True) or "413" in response.get_data(as_text=True)


def test_contacts_and_other_offices_cannot_see_imports(client, auth, yalisi, cast):
    auth.login("officer")
    response = upload(client, csv_bytes(GOOD_ROWS), "a.csv", cast.org.yingkou.id)
    url = response.headers["Location"]
    auth.logout()
    auth.login("bayuquan-officer")
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login("yalisi")
    assert client.get(url).status_code == 403


def test_the_read_job_reports_progress_and_finishes(app, client, auth, yalisi, cast):
    auth.login("officer")
    rows = [[make_uscc("91", "210802", f"MB{n:07d}"), "", f"批量企业{n}有限公司", 2019, n % 200, ""] for n in range(3000)]
    response = upload(client, csv_bytes(rows), "many.csv", cast.org.yingkou.id)
    record_id = int(response.headers["Location"].rsplit("/", 1)[1])
    # Immediate mode: the job ran when it was enqueued (tests/test_jobs.py runs it in a real consumer).
    status = client.get(f"/imports/{record_id}/status").get_json()
    assert status["status"] == "ready" and status["rows_read"] == 3000 and not status["in_progress"]
    assert db.session.get(DeclarationImport, record_id).job_owner is None


def test_a_large_import_writes_in_chunks_with_its_audit_trail(runner, tmp_path, yalisi, monkeypatch, factory, cast):
    """Firms, counts and trade-mode links written chunk by chunk (three rows a chunk here) carry one audit
    record each, with the ids the rows got; ids keep coming from the table afterwards; a re-import writes
    nothing and a customs code filled in by a later file is audited."""
    from tracker.imports import services

    monkeypatch.setattr(services, "WRITE_CHUNK", 3)
    rows = [[make_uscc("91", "210804", f"MA0CHK{i:03d}"), "", f"营口分块{i}号贸易有限公司", 2019, i, "0110"]
            for i in range(8)]
    result = run_cli(runner, tmp_path, "big.csv", csv_bytes(rows), "--office", "0930")
    assert result.exit_code == 0, result.output
    assert "8 new firms, 8 new counts" in result.output
    db.session.rollback()
    made = db.session.scalars(sa.select(Enterprise).where(Enterprise.name.like("营口分块%"))).all()
    assert len(made) == 8 and {e.name_initials for e in made} >= {"ykfk0hmyyxgs"}
    assert all(e.office.code == "0930" and e.created_at is not None and e.trade_modes[0].code == "0110" for e in made)
    audits = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.entity_type == "enterprises",
                                                             AuditRecord.action == "insert")).all()
    by_id = {a.entity_id: a for a in audits}
    for e in made:
        assert by_id[str(e.id)].changes == {"name": [None, e.name], "uscc": [None, e.uscc], "office_id": [None, e.office_id]}
        assert by_id[str(e.id)].actor_name.startswith("cli")
    count_audits = db.session.scalars(sa.select(AuditRecord).where(AuditRecord.entity_type == "declaration_counts")).all()
    stored = {c.id: c for c in db.session.scalars(sa.select(DeclarationCount).where(
        DeclarationCount.enterprise_id.in_([e.id for e in made])))}
    assert {int(a.entity_id) for a in count_audits} == set(stored)
    for a in count_audits:
        c = stored[int(a.entity_id)]
        assert a.changes == {"enterprise_id": [None, c.enterprise_id], "year": [None, 2019],
                             "declarations": [None, c.declarations], "import_id": [None, None]}
    total = db.session.scalar(sa.select(sa.func.count(AuditRecord.id)))
    again = run_cli(runner, tmp_path, "big.csv", csv_bytes(rows), "--office", "0930")
    assert "0 new firms, 0 new counts, 0 updated counts, 8 unchanged" in again.output
    assert db.session.scalar(sa.select(sa.func.count(AuditRecord.id))) == total
    later = factory.enterprise(cast.org.yingkou)  # the ids reserved by the import are not handed out again
    db.session.commit()
    assert later.id > max(e.id for e in made)
    filled = run_cli(runner, tmp_path, "code.csv", csv_bytes([[rows[0][0], "2108960123", "", 2019, 0, ""]]),
                     "--office", "0930")
    assert "0 new firms" in filled.output, filled.output
    db.session.rollback()
    first = firm(rows[0][0])
    assert first.customs_code == "2108960123"
    assert db.session.scalar(sa.select(AuditRecord.changes).where(
        AuditRecord.entity_type == "enterprises", AuditRecord.entity_id == str(first.id),
        AuditRecord.action == "update")) == {"customs_code": [None, "2108960123"]}


def test_a_large_import_takes_its_search_keys_from_a_second_process(runner, tmp_path, yalisi, monkeypatch):
    """Above PARALLEL_FROM new firms the pinyin and character-pair keys come from a spawned process
    (tracker.enterprises.keys), started while the file is still being checked and running ahead of the
    writes: the same keys as computed inline, in order. A re-import of the same file (no new firm)
    starts none. The garbage collector is off while the import writes, and on again after it."""
    import gc

    from tracker.enterprises import keys
    from tracker.enterprises.search import search_condition
    from tracker.imports import services

    monkeypatch.setattr(keys, "PARALLEL_FROM", 2)
    monkeypatch.setattr(services, "WRITE_CHUNK", 1)  # five chunks: more than the process may run ahead
    spawned = []
    real_pool = keys.ProcessPoolExecutor
    monkeypatch.setattr(keys, "ProcessPoolExecutor", lambda **kw: spawned.append(kw) or real_pool(**kw))
    seen_by_apply = []
    real_apply = services.apply_plan

    def apply_plan(plan, office, record, key_process=None):
        seen_by_apply.append((key_process is not None and key_process.started, gc.isenabled()))
        return real_apply(plan, office, record, key_process)

    monkeypatch.setattr(services, "apply_plan", apply_plan)
    names = ["营口新开果蔬有限公司", "鲅鱼圈重庆银行股份有限公司", "长沙银行营口分行", "大连 ABC 贸易有限公司", "营口乐乐玩具厂"]
    rows = [[make_uscc("91", "210802", f"KP{n:07d}"), "", name, 2019, 90, ""] for n, name in enumerate(names)]
    result = run_cli(runner, tmp_path, "counts.csv", csv_bytes(rows), "--office", "0930")
    assert result.exit_code == 0, result.output
    assert len(spawned) == 1 and spawned[0]["mp_context"].get_start_method() == "spawn"
    assert seen_by_apply == [(True, False)]  # started by analyse(), before any write; no collection
    assert gc.isenabled()
    for name in names:
        stored = db.session.scalar(sa.select(Enterprise).where(Enterprise.name == name))
        assert (stored.name_initials, stored.name_pinyin, stored.search_grams) == keys.name_keys(name)
    found = db.session.scalars(sa.select(Enterprise.name).where(search_condition("cqyh"))).all()
    assert found == ["鲅鱼圈重庆银行股份有限公司"]

    again = run_cli(runner, tmp_path, "counts.csv", csv_bytes(rows), "--office", "0930")
    assert "0 new firms" in again.output and "5 unchanged" in again.output, again.output
    assert len(spawned) == 1 and seen_by_apply[1] == (False, False)


def test_the_import_collector_pause_nests_across_threads():
    """Two imports at once in one process (two job threads): the collector comes back on only when
    the last one ends, and stays off if it was off before the first began."""
    import gc
    import threading

    from tracker.imports.services import collector_paused

    assert gc.isenabled()
    first_in, second_out, first_may_end = threading.Event(), threading.Event(), threading.Event()
    states = {}

    def first():
        with collector_paused():
            first_in.set()
            first_may_end.wait(5)
            states["first, after the second ended"] = gc.isenabled()

    def second():
        first_in.wait(5)
        with collector_paused():
            states["second, inside"] = gc.isenabled()
        second_out.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    second_out.wait(5)
    first_may_end.set()
    for t in threads:
        t.join(5)
    assert states == {"second, inside": False, "first, after the second ended": False}
    assert gc.isenabled()

    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_web_process_does_not_load_pypinyin_until_a_name_needs_keys(tmp_path):
    """pypinyin's phrase tables cost every web worker 56 MB and half a second: neither starting the app
    nor importing the import code loads them, only the first name that needs its keys."""
    import subprocess
    import sys

    script = (
        "import sys, tracker\n"
        "app = tracker.create_app({'SECRET_KEY': 'k', 'DATABASE_URL': 'sqlite://'})\n"
        "import tracker.imports.services, tracker.enterprises.keys\n"
        "print('before', 'pypinyin' in sys.modules)\n"
        "print(tracker.enterprises.keys.name_keys('营口')[:2])\n"
        "print('after', 'pypinyin' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["before False", "('yk', 'yingkou')", "after True"]


def test_search_keys_are_computed_here_when_the_second_process_breaks(monkeypatch, caplog):
    """A process that cannot start (a caller's unguarded main module) or dies: the batch still gets its keys."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from tracker.enterprises import keys

    class BrokenPool:
        def __init__(self, **kw):
            pass

        def submit(self, fn, *args):
            future = Future()
            future.set_exception(BrokenProcessPool("A child process terminated abruptly"))
            return future

        def shutdown(self, **kw):
            pass

    monkeypatch.setattr(keys, "ProcessPoolExecutor", BrokenPool)
    chunks = [[f"营口第{n}贸易有限公司"] for n in range(6)]
    assert list(keys.keys_by_chunk(chunks, parallel_from=1)) == [[keys.name_keys(c[0])] for c in chunks]
    assert "second process failed" in caplog.text
