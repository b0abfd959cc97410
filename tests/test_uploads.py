"""tracker/uploads.py: documents are judged by their content, and the name must agree with it."""
import io
import zipfile

import pytest
from werkzeug.datastructures import FileStorage

from tracker.uploads import UploadRefused, check_upload, clean_filename

PDF = b"%PDF-1.7\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 32


def upload(name, data):
    return FileStorage(stream=io.BytesIO(data), filename=name)


def docx_bytes() -> bytes:
    from docx import Document

    out = io.BytesIO()
    Document().save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def zip_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def ctx(app):
    """A request in English (the reasons are matched in English; test_the_chinese_reason reads the other)."""
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        yield app


@pytest.mark.parametrize("name, data, content_type", [
    ("政策解读.pdf", PDF, "application/pdf"),
    ("现场.PNG", PNG, "image/png"),
    ("photo.jpg", JPEG, "image/jpeg"),
    ("photo.jpeg", JPEG, "image/jpeg"),
])
def test_accepted_kinds(ctx, name, data, content_type):
    checked = check_upload(upload(name, data))
    assert checked.kind.content_type == content_type and checked.size == len(data)


def test_real_office_documents_are_accepted(ctx):
    assert check_upload(upload("问卷.docx", docx_bytes())).kind.name == "docx"
    assert check_upload(upload("名单.xlsx", xlsx_bytes())).kind.name == "xlsx"


@pytest.mark.parametrize("name, data, reason", [
    ("tool.exe", b"MZ\x90\x00", "Only"),  # wrong type by name
    ("notes.txt", b"hello", "Only"),
    ("政策.pdf", b"MZ\x90\x00\x03" + b"\0" * 60, "program"),  # a renamed Windows executable
    ("政策.pdf", b"\x7fELF\x02\x01\x01" + b"\0" * 60, "program"),  # a renamed Linux one
    ("政策.pdf", b"#!/bin/sh\nrm -rf /\n", "program"),  # a script
    ("政策.pdf", b"<html><script>alert(1)</script>", "not a PDF"),
    ("图.pdf", PNG, "rename"),  # a PNG named .pdf: the extension must agree
    ("doc.docx", b"PK\x03\x04garbage", "not a Word"),
    ("", PDF, "Choose a file"),
    ("empty.pdf", b"", "empty"),
])
def test_refused_with_a_reason(ctx, name, data, reason):
    with pytest.raises(UploadRefused, match=reason):
        check_upload(upload(name, data))


def test_a_docx_that_is_a_zip_without_word_parts_is_refused(ctx):
    data = zip_of({"[Content_Types].xml": b"<Types/>", "payload.exe": b"MZ"})
    with pytest.raises(UploadRefused, match="not a Word"):
        check_upload(upload("报告.docx", data))
    with pytest.raises(UploadRefused, match="rename"):
        check_upload(upload("表格.xlsx", docx_bytes()))  # a Word document named .xlsx


def test_a_zip_bomb_is_refused_from_its_declared_sizes(ctx):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("word/document.xml", b"\0" * (210 * 1024 * 1024))  # compresses to ~200 KB
    with pytest.raises(UploadRefused, match="expand"):
        check_upload(upload("bomb.docx", out.getvalue()))


def test_macros_are_refused(ctx):
    data = zip_of({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>", "word/vbaProject.bin": b"x"})
    with pytest.raises(UploadRefused, match="macros"):
        check_upload(upload("宏.docx", data))


@pytest.mark.parametrize("app_config", [{"UPLOAD_MAX_BYTES": 100}], indirect=True)
def test_the_size_limit_is_configurable(ctx):
    check_upload(upload("a.pdf", PDF + b"0" * (100 - len(PDF))))
    with pytest.raises(UploadRefused, match="larger than"):
        check_upload(upload("a.pdf", PDF + b"0" * 100))


def test_the_chinese_reason(app):
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        with pytest.raises(UploadRefused) as refused:
            check_upload(upload("政策.pdf", b"MZ\x90\x00"))
    assert refused.value.args[0]


@pytest.mark.parametrize("raw, clean", [("../../etc/passwd.pdf", "passwd.pdf"), ("C:\\Users\\a\\政策.pdf", "政策.pdf"),
                                        ("a\x00b.pdf", "ab.pdf"), (".hidden.pdf", "hidden.pdf"), ("", "file")])
def test_names_lose_their_directories(raw, clean):
    assert clean_filename(raw) == clean
