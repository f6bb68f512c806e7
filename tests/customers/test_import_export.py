import csv
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers import csvio, imports, services
from customers.models import ContactPoint, Customer, ImportJob, ImportStatus
from customers.tasks import import_run
from servicedesk.core.models import TaskOutbox
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HEADER = "name,management_tier,phones,emails,tags,owner\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+8613800138000", "'+8613800138000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("张伟", "张伟"),
        ("a=b", "a=b"),
        (None, ""),
    ],
)
def test_neutralise_cell(value, expected):
    assert csvio.neutralise_cell(value) == expected


def test_export_is_filtered_and_neutralised(client, agent):
    services.customer_create(name="=HYPERLINK(evil)", phones=["13800138000"], management_tier="key")
    CustomerFactory(name="Not exported")
    client.force_login(agent)
    response = client.get(reverse("customers:export"), {"management_tier": "key"})
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == csvio.COLUMNS
    assert len(rows) == 2
    assert rows[1][0] == "'=HYPERLINK(evil)"
    assert rows[1][csvio.COLUMNS.index("phones")] == "'+8613800138000"


def test_export_then_import_round_trips(client, agent):
    services.customer_create(name="Round trip", phones=["13800138000"], tags=["VIP"])
    client.force_login(agent)
    text = b"".join(client.get(reverse("customers:export")).streaming_content)
    Customer.objects.all().delete()
    # The apostrophe that protects spreadsheets must not break a re-import of the phone.
    job = imports.import_job_create(data=text.replace(b"'+", b"+"), filename="x.csv")
    assert job.valid == 1, job.errors


def _job(text: str, encoding="utf-8", codec="utf-8", by=None):
    return imports.import_job_create(
        data=text.encode(codec), filename="t.csv", encoding=encoding, by=by
    )


def test_import_wrong_header_is_a_clear_file_error():
    with pytest.raises(csvio.CsvFileError) as exc:
        _job("nom,telephone\nA,13800138000\n")
    message = str(exc.value)
    assert "“name” is required" in message and "unknown columns: nom, telephone" in message
    assert not ImportJob.objects.exists()


def test_import_bad_encoding_is_a_clear_file_error():
    with pytest.raises(csvio.CsvFileError) as exc:
        _job(HEADER + "张伟,key,,,,\n", codec="gb18030")
    assert "not valid UTF-8" in str(exc.value) and "GB18030" in str(exc.value)


def test_import_accepts_utf8_bom_and_gb18030_when_chosen():
    job = imports.import_job_create(data=("\ufeff" + HEADER + "张伟,key,,,,\n").encode())
    assert job.valid == 1
    job = _job(HEADER + "李娜,,,,,\n", encoding="gb18030", codec="gb18030")
    assert job.rows[0]["name"] == "李娜"


def test_import_binary_file_is_refused():
    with pytest.raises(csvio.CsvFileError):
        imports.import_job_create(data=b"\x00\x01\x02name\n")


def test_import_reports_errors_per_row_and_column(agent):
    services.customer_create(name="On file", phones=["13900000000"])
    text = HEADER + (
        "Good,key,13800138000,a@example.com,VIP;老客户,agent\n"
        ",regular,,,,\n"
        "Bad tier,platinum,,,,\n"
        "Bad phone,,12345,,,\n"
        "Bad email,,,nope@,,\n"
        "Dup in file,,138-0013-8000,,,\n"
        "Dup on file,,13900000000,,,\n"
        "Unknown owner,,,,,ghost\n"
    )
    job = _job(text)
    assert (job.total, job.valid) == (8, 1)
    got = {(e["row"], e["column"]) for e in job.errors}
    assert got == {
        (3, "name"),
        (4, "management_tier"),
        (5, "phones"),
        (6, "emails"),
        (7, "phones"),
        (8, "phones"),
        (9, "owner"),
    }
    assert Customer.objects.count() == 1  # nothing written before confirmation


def test_import_small_file_written_on_confirm(client, agent):
    client.force_login(agent)
    upload = SimpleUploadedFile(
        "c.csv", (HEADER + "张伟,key,13800138000,z@example.com,VIP,agent\nBad,x,,,,\n").encode()
    )
    response = client.post(reverse("customers:import"), {"file": upload, "encoding": "utf-8"})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("customers:import_preview", args=[job.pk])
    preview = client.get(response["Location"]).content.decode()
    assert "“x” is not one of" in preview and "Import 1 valid row" in preview
    assert not Customer.objects.exists()
    response = client.post(
        reverse("customers:import_preview", args=[job.pk]), {"action": "confirm"}
    )
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.owner == agent and [t.name for t in customer.tags.all()] == ["VIP"]
    assert customer.contacts.get().is_primary
    assert customer.history.get().history_change_reason == "imported from c.csv"
    status = client.get(reverse("customers:import_status", args=[job.pk])).json()
    assert status["status"] == "done" and status["processed"] == 1


def test_import_upload_page_shows_file_errors_never_500(client, agent):
    client.force_login(agent)
    for data in (b"\xff\xfe\x00garbage", b"wrong,header\n1,2\n", b""):
        upload = SimpleUploadedFile("c.csv", data)
        response = client.post(reverse("customers:import"), {"file": upload, "encoding": "utf-8"})
        assert response.status_code == 200
        assert 'class="error"' in response.content.decode()


def test_import_cancel_writes_nothing(client, agent):
    client.force_login(agent)
    job = _job(HEADER + "A,,,,,\n", by=agent)
    client.post(reverse("customers:import_preview", args=[job.pk]), {"action": "cancel"})
    job.refresh_from_db()
    assert job.status == ImportStatus.CANCELLED and not Customer.objects.exists()
    imports.import_job_run(job_id=job.pk)
    assert not Customer.objects.exists()


def test_import_other_users_job_is_404(client, agent):
    from tests.factories import UserFactory

    job = _job(HEADER + "A,,,,,\n")
    ImportJob.objects.filter(pk=job.pk).update(created_by=UserFactory())
    client.force_login(agent)
    assert client.get(reverse("customers:import_preview", args=[job.pk])).status_code == 404


def _big_file(n=10_000, bad_every=97):
    lines = [HEADER.strip()]
    for i in range(n):
        if i % bad_every == 0:
            lines.append(f"Bad {i},unknown,12{i},x@,,")
        else:
            lines.append(f"客户 {i},regular,139{i:08d},c{i}@example.com,批量,")
    return "\n".join(lines) + "\n"


def test_import_10000_rows_with_bad_ones_via_the_task(agent, django_capture_on_commit_callbacks):
    job = imports.import_job_create(data=_big_file().encode(), filename="big.csv", by=agent)
    bad = len(range(0, 10_000, 97))
    assert (job.total, job.valid) == (10_000, 10_000 - bad)
    assert job.error_count == bad * 3  # tier, phone and e-mail of each bad row
    assert not Customer.objects.exists()
    # Confirming queues the task through the outbox instead of writing in the request.
    with django_capture_on_commit_callbacks():
        imports.import_job_confirm(job_id=job.pk)
    assert TaskOutbox.objects.get().task_name == "customers.import_run"
    assert not Customer.objects.exists()
    # The worker's function, run here directly; a second run changes nothing.
    import_run.run(job.pk)
    import_run.run(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.processed == job.valid
    assert Customer.objects.count() == job.valid
    assert ContactPoint.objects.count() == job.valid * 2
    assert not Customer.objects.filter(name__startswith="Bad").exists()


def test_import_run_resumes_after_a_committed_batch():
    job = _job(_big_file(n=1200, bad_every=10_000))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED)
    # Simulate a worker that died after committing its first batch.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    imports._run_batch(job.pk)
    assert Customer.objects.count() == imports.BATCH_SIZE
    imports.import_job_run(job_id=job.pk)
    assert Customer.objects.count() == job.valid == 1199  # line 2 is a bad row
    assert ImportJob.objects.get().status == ImportStatus.DONE


def test_import_skips_row_filed_by_someone_else_after_preview():
    job = _job(HEADER + "A,,13800138000,,,\nB,,13800138001,,,\n")
    services.customer_create(name="Meanwhile", phones=["13800138000"])
    imports.import_job_confirm(job_id=job.pk)
    job = imports.import_job_run(job_id=job.pk)
    assert job.status == ImportStatus.DONE and job.error_count == 1
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["B", "Meanwhile"]
    # the skipped row is not counted as imported
    assert imports.import_job_counts(job) == {
        "total": 2,
        "to_create": 1,
        "created": 1,
        "not_imported": 1,
    }


def test_import_result_reports_the_rows_the_preview_announced(client, agent):
    # given 3 good rows and 2 bad ones, one of them with three problems
    client.force_login(agent)
    text = HEADER + (
        "A,key,13800138000,,,\n"
        "B,,13800138001,,,\n"
        "C,,,c@example.com,,\n"
        "Bad one,platinum,12345,nope@,,\n"
        "Unknown owner,,,,,ghost\n"
    )
    job = _job(text, by=agent)
    assert job.error_count == 4  # problems, not rows
    preview = client.get(reverse("customers:import_preview", args=[job.pk]))
    assert preview.context["invalid"] == 2
    assert "Import 3 valid rows" in preview.content.decode()

    # when confirmed
    response = client.post(
        reverse("customers:import_preview", args=[job.pk]), {"action": "confirm"}, follow=True
    )

    # then the result reports the same rows: 3 created, 2 not imported
    html = response.content.decode()
    assert "3 customers imported. 2 rows were not imported." in html
    status = client.get(reverse("customers:import_status", args=[job.pk])).json()
    assert (status["created"], status["not_imported"]) == (3, 2)
    assert status["processed"] == status["valid"] == 3
    assert Customer.objects.count() == 3


def test_import_big_file_counts_rows_not_problems(agent):
    job = imports.import_job_create(data=_big_file(n=1200).encode(), filename="b.csv", by=agent)
    bad = len(range(0, 1200, 97))
    imports.import_job_confirm(job_id=job.pk)
    job = imports.import_job_run(job_id=job.pk)
    assert job.error_count == bad * 3
    assert imports.import_job_counts(job) == {
        "total": 1200,
        "to_create": 1200 - bad,
        "created": 1200 - bad,
        "not_imported": bad,
    }
    assert Customer.objects.count() == 1200 - bad


def test_import_resumes_correctly_after_rows_were_skipped(monkeypatch):
    # the first batch loses a row to someone else's customer; the rerun must not skip or repeat
    monkeypatch.setattr(imports, "BATCH_SIZE", 2)
    job = _job(HEADER + "".join(f"R{i},,1380013800{i},,,\n" for i in range(5)))
    services.customer_create(name="Meanwhile", phones=["13800138001"])
    imports.import_job_confirm(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)
    imports._run_batch(job.pk)  # R0 written, R1 skipped
    job.refresh_from_db()
    assert (job.processed, job.valid) == (1, 4)
    job = imports.import_job_run(job_id=job.pk)
    names = sorted(Customer.objects.exclude(name="Meanwhile").values_list("name", flat=True))
    assert names == ["R0", "R2", "R3", "R4"]
    assert job.status == ImportStatus.DONE and (job.processed, job.valid) == (4, 4)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_import_runs_on_a_real_worker(celery_worker):
    job = _job(_big_file(n=300, bad_every=10_000))
    imports.import_job_confirm(job_id=job.pk)  # autocommit: the outbox publishes at once
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE:
            break
        time.sleep(0.2)
    assert Customer.objects.count() == 299  # line 2 is a bad row
