import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from servicedesk.core.exceptions import DomainError
from tests.tickets.factories import RecordFactory
from tickets import services
from tickets.attachments import MAX_ATTACHMENT_BYTES, clean_filename, sniff_content_type
from tickets.models import RecordAttachment


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"%PDF-1.7\n", "a.pdf", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n....", "a.png", "image/png"),
        (b"\xff\xd8\xff\xe0", "a.jpg", "image/jpeg"),
        (b"GIF89a..", "a.gif", "image/gif"),
        ("门没有对齐".encode(), "note.txt", "text/plain"),
        (b"a,b\n1,2\n", "x.csv", "text/csv"),
        (docx_bytes(), "a.docx", "application/vnd.openxmlformats-officedocument"
         ".wordprocessingml.document"),
        (b"<!DOCTYPE html><html><script>alert(1)</script>", "a.pdf", None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "a.png", None),
        (b"<?xml version='1.0'?><svg/>", "a.txt", None),
        (b"MZ\x90\x00\x03\x00", "a.exe", None),
        (b"PK\x03\x04garbage", "a.zip", None),
    ],
)  # fmt: skip
def test_sniff_decides_by_content_not_name(data, name, expected):
    assert sniff_content_type(data, name) == expected


def test_clean_filename_strips_paths_and_controls():
    assert clean_filename("../../etc/pass\x00wd") == "passwd"
    assert clean_filename("C:\\Users\\x\\发票.pdf") == "发票.pdf"


@pytest.mark.django_db
def test_oversized_file_is_refused_and_nothing_saved(agent, category):
    record = RecordFactory(category=category)
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * MAX_ATTACHMENT_BYTES)
    with pytest.raises(DomainError) as exc:
        services.attachment_add(by=agent, record_id=record.pk, upload=big)
    assert exc.value.field == "file"
    assert not RecordAttachment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data", [b"<html><body>hi</body></html>", b"<svg><script>alert(1)</script></svg>"]
)
def test_html_and_svg_are_refused(agent, category, data):
    record = RecordFactory(category=category)
    with pytest.raises(DomainError):
        services.attachment_add(
            by=agent, record_id=record.pk, upload=SimpleUploadedFile("x.txt", data)
        )
    assert not RecordAttachment.objects.exists()


@pytest.mark.django_db
def test_file_is_stored_under_a_random_name_and_served_as_download(client, agent, category):
    record = RecordFactory(category=category)
    attachment = services.attachment_add(
        by=agent,
        record_id=record.pk,
        upload=SimpleUploadedFile("invoice <1>.pdf", b"%PDF-1.4 body"),
    )
    assert "invoice" not in attachment.file.name
    client.force_login(agent)
    response = client.get(f"/records/{record.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 body"


@pytest.mark.django_db
def test_download_of_an_invisible_record_is_404(client, agent):
    from tests.factories import DepartmentFactory
    from tests.tickets.factories import CategoryFactory

    record = RecordFactory(category=CategoryFactory(lead_department=DepartmentFactory()))
    attachment = services.attachment_add(
        by=None, record_id=record.pk, upload=SimpleUploadedFile("a.pdf", b"%PDF-1")
    )
    client.force_login(agent)
    assert client.get(f"/records/{record.pk}/attachments/{attachment.pk}/").status_code == 404


@pytest.mark.django_db
def test_upload_page_shows_the_refusal(client, agent, category):
    record = RecordFactory(category=category)
    client.force_login(agent)
    response = client.post(
        f"/records/{record.pk}/attachments/",
        {"file": SimpleUploadedFile("a.html", b"<html></html>")},
    )
    assert response.status_code == 400
    assert b"not accepted" in response.content
