"""CSV import: upload → preview with per-row errors → confirm → progress."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from servicedesk.core.exceptions import DomainError
from servicedesk.core.views import DeskView

from .. import csvio, imports, selectors
from ..forms import ImportForm
from ..models import ImportStatus

PREVIEW_ROWS = 10


def _job(request, pk):
    try:
        return selectors.import_job_get(job_id=pk, user=request.user)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


class ImportUploadView(DeskView):
    section = "customers"

    def show(self, request, form):
        return render(
            request, "customers/import_upload.html", {"form": form, "columns": csvio.COLUMNS}
        )

    def get(self, request):
        return self.show(request, ImportForm())

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.show(request, form)
        upload = form.cleaned_data["file"]
        if upload.size > csvio.MAX_BYTES:
            form.add_error("file", _("The file is larger than 5 MB. Split it into smaller files."))
            return self.show(request, form)
        try:
            job = imports.import_job_create(
                data=upload.read(),
                filename=upload.name,
                encoding=form.cleaned_data["encoding"],
                by=request.user,
            )
        except csvio.CsvFileError as exc:
            form.add_error("file", str(exc))
            return self.show(request, form)
        return redirect("customers:import_preview", job.pk)


class ImportPreviewView(DeskView):
    section = "customers"

    def get(self, request, pk: int):
        job = _job(request, pk)
        if job.status != ImportStatus.PREVIEW:
            return redirect("customers:import_progress", job.pk)
        return render(
            request,
            "customers/import_preview.html",
            {
                "job": job,
                "sample": job.rows[:PREVIEW_ROWS],
                "errors": job.errors,
                # Rows, not problems (one row can have several): the result reports the same.
                "invalid": imports.import_job_counts(job)["not_imported"],
            },
        )

    def post(self, request, pk: int):
        job = _job(request, pk)
        if request.POST.get("action") == "cancel":
            imports.import_job_cancel(job_id=job.pk)
            messages.info(request, _("The import was cancelled; nothing was saved."))
            return redirect("customers:index")
        try:
            job = imports.import_job_confirm(job_id=job.pk, by=request.user, request=request)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("customers:import_preview", job.pk)
        if job.valid <= imports.INLINE_LIMIT:
            job = imports.import_job_run(job_id=job.pk)
            if job.status == ImportStatus.DONE:
                messages.success(request, _result_text(job))
        return redirect("customers:import_progress", job.pk)


def _result_text(job) -> str:
    counts = imports.import_job_counts(job)
    created = ngettext(
        "%(n)d customer imported.", "%(n)d customers imported.", counts["created"]
    ) % {"n": counts["created"]}
    if not counts["not_imported"]:
        return created
    return f"{created} " + ngettext(
        "%(n)d row was not imported.", "%(n)d rows were not imported.", counts["not_imported"]
    ) % {"n": counts["not_imported"]}


class ImportProgressView(DeskView):
    section = "customers"

    def get(self, request, pk: int):
        job = _job(request, pk)
        return render(
            request,
            "customers/import_progress.html",
            {
                "job": job,
                "status_url": reverse("customers:import_status", args=[job.pk]),
                "counts": imports.import_job_counts(job),
                "finished": job.status
                in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED),
            },
        )


@method_decorator(never_cache, name="dispatch")
class ImportStatusView(DeskView):
    """What the progress page polls; also readable by scripts."""

    def get(self, request, pk: int):
        job = _job(request, pk)
        counts = imports.import_job_counts(job)
        return JsonResponse(
            {
                "status": job.status,
                "status_label": job.get_status_display(),
                "total": job.total,
                "valid": job.valid,
                "processed": job.processed,
                "percent": job.percent,
                "error_count": job.error_count,  # problems; a row can have several
                # Rows, as the preview counted them: created so far, and not imported.
                "created": counts["created"],
                "not_imported": counts["not_imported"],
                "finished": job.status
                in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED),
            }
        )
