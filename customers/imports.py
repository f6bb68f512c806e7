"""Services of the CSV import: check an upload, confirm it, write the valid rows.

Decision (documented for the issue): valid rows are committed in batches of BATCH_SIZE, each batch
in one transaction together with the job's `processed` counter. A re-run (Celery redelivers after a
worker dies, or the task is sent twice) resumes after the last committed batch, so no row is
written twice; rows with errors are never written at all. Big files show progress because every
batch commit is visible to the progress page.

Counting: the preview and the result speak of rows. `valid` is the rows that will be created and
`processed` those created so far; `error_count` counts problems, and one row can have several, so
it is never a number of rows (import_job_counts is). A row skipped while writing (its phone was
filed meanwhile) leaves `valid` and is reported among the rows not imported.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from servicedesk.core.exceptions import DomainError
from servicedesk.core.outbox import enqueue
from servicedesk.securitylog import services as securitylog
from servicedesk.securitylog.models import EventKind

from . import csvio
from .contactpoints import digits_reversed
from .models import (
    Contact,
    ContactPoint,
    ContactPointKind,
    ConversionCause,
    Customer,
    ImportJob,
    ImportStatus,
    Lifecycle,
    Tag,
)

BATCH_SIZE = 500  # ~6 queries per batch; small enough that a batch commits in well under a second
INLINE_LIMIT = 200  # up to this many valid rows are written during the request itself


def import_job_create(*, data: bytes, filename: str = "", encoding: str = "utf-8", by=None):
    """Read and check the whole file; nothing but the job row is written.

    Raises csvio.CsvFileError when the file as a whole is unusable (encoding, header, size).
    """
    text = csvio.decode(data, encoding)
    _header, rows = csvio.read_rows(text)
    if not rows:
        raise csvio.CsvFileError(_("The file has a header but no rows."))
    valid, errors = csvio.check_rows(rows)
    return ImportJob.objects.create(
        created_by=by if getattr(by, "is_authenticated", False) else None,
        filename=(filename or "")[:200],
        total=len(rows),
        valid=len(valid),
        rows=valid,
        errors=errors[: csvio.MAX_LISTED_ERRORS],
        error_count=len(errors),
    )


@transaction.atomic
def import_job_confirm(*, job_id: int, by=None, request=None) -> ImportJob:
    """The user accepts the preview: write now if small, else queue the task."""
    job = ImportJob.objects.select_for_update().get(pk=job_id)
    if job.status != ImportStatus.PREVIEW:
        return job  # a double click or a second tab: the first confirmation counts
    if job.valid == 0:
        raise DomainError(_("There are no valid rows to import."), code="empty")
    job.status = ImportStatus.QUEUED
    job.save(update_fields=["status", "updated_at"])
    # The import is logged when it is confirmed (the rows are then written, inline or by the
    # task), in this transaction: a confirmation that does not commit is not logged.
    securitylog.record(
        EventKind.IMPORT,
        request=request,
        user=by if getattr(by, "is_authenticated", False) else None,
        job=job.pk,
        rows=job.valid,
    )
    if job.valid > INLINE_LIMIT:
        enqueue("customers.import_run", job.pk)
    return job


@transaction.atomic
def import_job_cancel(*, job_id: int) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job_id)
    if job.status in (ImportStatus.PREVIEW, ImportStatus.QUEUED):
        job.status = ImportStatus.CANCELLED
        job.rows = []
        job.save(update_fields=["status", "rows", "updated_at"])
    return job


def import_job_counts(job: ImportJob) -> dict[str, int]:
    """The rows of the file: how many are (to be) created and how many are not imported. The
    preview announces these, and the result reports the same numbers."""
    return {
        "total": job.total,
        "to_create": job.valid,
        "created": job.processed,
        "not_imported": job.total - job.valid,
    }


def import_job_run(*, job_id: int) -> ImportJob:
    """Write the job's valid rows batch by batch; safe to call again at any point."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now()
    )
    job = ImportJob.objects.get(pk=job_id)
    if not claimed and job.status != ImportStatus.RUNNING:
        return job  # done, cancelled or never confirmed: nothing to do
    while _run_batch(job_id):
        pass
    return ImportJob.objects.get(pk=job_id)


def _run_batch(job_id: int) -> bool:
    """Commit the next batch with the progress counter; False when there is nothing left."""
    with transaction.atomic():
        # The row lock serialises two runs of the same job: the second sees the advanced counter.
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ImportStatus.RUNNING:
            return False
        # `rows` keeps every row checked at preview; those skipped while writing left `valid`, so
        # the next row to write is after the created ones and the skipped ones.
        start = job.processed + (len(job.rows) - job.valid)
        batch = job.rows[start : start + BATCH_SIZE]
        skipped = _write_rows(batch, job) if batch else []
        job.processed += len(batch) - len(skipped)
        if skipped:
            job.valid -= len(skipped)
            job.errors = (job.errors + skipped)[: csvio.MAX_LISTED_ERRORS]
            job.error_count += len(skipped)
        if not batch or job.processed >= job.valid:
            job.status = ImportStatus.DONE
            job.finished_at = timezone.now()
            job.rows = []  # the data now lives in the archive
        job.save()
        return job.status == ImportStatus.RUNNING


def _write_rows(rows: list[dict], job: ImportJob) -> list[dict]:
    """Bulk-insert customers, contacts, phones, e-mails and tags; returns rows skipped."""
    # A phone or e-mail may have been filed by someone else since the preview: skip that row.
    taken = set()
    for kind, column in ((ContactPointKind.PHONE, "phones"), (ContactPointKind.EMAIL, "emails")):
        values = [v for row in rows for v in row[column]]
        taken.update(
            ContactPoint.objects.filter(
                kind=kind, value__in=values, customer__is_archived=False
            ).values_list("kind", "value")
        )
    skipped, keep = [], []
    for row in rows:
        clash = [v for k, v in csvio._points(row) if (k, v) in taken]
        if clash:
            skipped.append(
                {
                    "row": row["line"],
                    "column": "phones",
                    "message": _("Skipped: %(value)s was filed by someone else meanwhile.")
                    % {"value": clash[0]},
                }
            )
        else:
            keep.append(row)
    now = timezone.now()
    customers = []
    for row in keep:
        fields = {k: row[k] for k in ("name", *csvio.CHOICE_COLUMNS) if row.get(k)}
        customer = Customer(
            region=row["region"],
            preferences=row["preferences"],
            notes=row["notes"],
            owner_id=row["owner_id"],
            **fields,
        )
        if customer.lifecycle == Lifecycle.ACTUAL:
            customer.converted_at, customer.conversion_cause = now, ConversionCause.MANUAL
        customer._change_reason = _("imported from %(file)s") % {"file": job.filename}
        customers.append(customer)
    user = job.created_by
    # bulk_create_with_history writes the history rows too; the database returns the new ids.
    customers = bulk_create_with_history(customers, Customer, default_user=user)
    contacts = []
    for row, customer in zip(keep, customers, strict=True):
        if row["phones"] or row["emails"] or row["contact_name"]:
            contacts.append(
                (
                    row,
                    Contact(
                        customer=customer,
                        name=row["contact_name"] or customer.name,
                        is_primary=True,
                    ),
                )
            )
    created = bulk_create_with_history(
        [c for _r, c in contacts], Contact, default_user=user, default_change_reason=""
    )
    points = []
    for (row, _c), contact in zip(contacts, created, strict=True):
        for kind, values in (
            (ContactPointKind.PHONE, row["phones"]),
            (ContactPointKind.EMAIL, row["emails"]),
        ):
            for i, value in enumerate(values):
                points.append(
                    ContactPoint(
                        contact=contact,
                        customer_id=contact.customer_id,
                        kind=kind,
                        value=value,
                        digits_reversed=digits_reversed(value) if kind == "phone" else "",
                        is_primary=i == 0,
                    )
                )
    ContactPoint.objects.bulk_create(points)
    names = {t for row in keep for t in row["tags"]}
    if names:
        Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
        tags = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
        through = Customer.tags.through
        through.objects.bulk_create(
            [
                through(customer_id=c.pk, tag_id=tags[name])
                for row, c in zip(keep, customers, strict=True)
                for name in row["tags"]
            ]
        )
    return skipped
