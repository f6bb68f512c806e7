"""Staff pages for service records: thin shells over selectors (reads) and services (writes)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.roles import Role, user_role
from servicedesk.core.selectors import user_department_ids
from servicedesk.core.views import DeskView

from . import selectors, services
from .filters import RecordFilter
from .forms import (
    AssignForm,
    AttachmentForm,
    MessageForm,
    RecordCreateForm,
    RecordEditForm,
    TransitionForm,
)
from .models import RecordAttachment, ServiceCategory, ServiceRecord, Status

PAGE_SIZE = 25


def _visible_or_404(user, pk) -> ServiceRecord:
    try:
        return selectors.record_get(user=user, pk=pk)
    except ServiceRecord.DoesNotExist as exc:
        # Someone else's record is "not found", not "forbidden": its existence is not leaked.
        raise Http404(_("No such service record.")) from exc


def _add_domain_error(form, exc: DomainError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


def _assignable_users(user):
    if user_role(user) == Role.ADMINISTRATOR:
        from servicedesk.core.models import Department

        return selectors.department_assignable_users(Department.objects.values("pk"))
    return selectors.department_assignable_users(user_department_ids(user))


class RecordListView(DeskView):
    section = "records"

    def get(self, request):
        filterset = RecordFilter(
            request.GET or None, queryset=selectors.record_list(user=request.user)
        )
        qs = filterset.qs if filterset.is_bound else filterset.queryset
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "tickets/list.html",
            {
                "filter": filterset,
                "page": page,
                "query": query.urlencode(),
                "assignable": _assignable_users(request.user),
                "statuses": Status.choices,
                "now": timezone.now(),
            },
        )

    def post(self, request):
        """Bulk actions on the ticked rows; each row goes through the same service as one."""
        raw = [int(v) for v in request.POST.getlist("records") if v.isdigit()]
        ids = list(
            selectors.record_visible(request.user).filter(pk__in=raw).values_list("pk", flat=True)
        )
        action = request.POST.get("action")
        back = request.POST.get("next") or ""
        target = f"{request.path}?{back}" if back else request.path
        if not ids:
            messages.error(request, _("Tick at least one record first."))
            return redirect(target)
        if action == "assign":
            raw_assignee = request.POST.get("assignee", "")
            done, errors = services.record_bulk_assign(
                by=request.user,
                record_ids=ids,
                assignee_id=int(raw_assignee) if raw_assignee.isdigit() else None,
            )
        elif action == "status" and request.POST.get("to_status") in Status.values:
            done, errors = services.record_bulk_transition(
                by=request.user, record_ids=ids, to_status=request.POST["to_status"]
            )
        else:
            messages.error(request, _("Choose an action and its value."))
            return redirect(target)
        if done:
            messages.success(request, _("%(n)d record(s) updated.") % {"n": done})
        for error in errors:
            messages.error(request, error)
        return redirect(target)


def _customer_lookup(q: str):
    """Customers by name or by the last digits of a phone (a prefix of the reversed digits)."""
    q = q.strip()
    if not q:
        return []
    digits = "".join(c for c in q if c.isdigit())
    cond = Q(name__icontains=q)
    if len(digits) >= 4:
        cond |= Q(contact_points__digits_reversed__startswith=digits[::-1])
    return list(Customer.objects.filter(cond, is_archived=False).distinct().order_by("name")[:10])


class RecordCreateView(DeskView):
    section = "records"

    def get(self, request, form=None):
        customer = None
        raw = request.GET.get("customer") or (form.data.get("customer") if form else None)
        if raw and str(raw).isdigit():
            customer = Customer.objects.filter(pk=raw).first()
        if form is None and customer is not None:
            initial = {"customer": customer.pk, "stage": request.GET.get("stage", "after_sale")}
            category = ServiceCategory.objects.filter(pk=request.GET.get("category") or 0).first()
            if category is not None:
                initial.update(
                    stage=category.stage,
                    category=category.pk,
                    nature=category.default_nature,
                    place=category.default_place,
                    fee=category.default_fee,
                    fee_amount=category.default_fee_amount,
                    frequency=category.default_frequency,
                    duration=category.default_duration,
                )
            form = RecordCreateForm(initial=initial)
        q = request.GET.get("q", "")
        return render(
            request,
            "tickets/create.html",
            {
                "form": form,
                "customer": customer,
                "q": q,
                "matches": _customer_lookup(q),
                "categories": selectors.category_list(),
            },
        )

    def post(self, request):
        form = RecordCreateForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form)
        data = form.cleaned_data
        try:
            record = services.record_create(
                by=request.user,
                customer_id=data["customer"],
                contact_id=data.get("contact"),
                stage=data["stage"],
                category_id=data["category"].pk,
                subject=data["subject"],
                description=data["description"],
                priority=data["priority"],
                nature=data["nature"] or None,
                place=data["place"] or None,
                fee=data["fee"] or None,
                fee_amount=data["fee_amount"],
                frequency=data["frequency"] or None,
                duration=data["duration"] or None,
                agreed_date=data["agreed_date"],
            )
        except DomainError as exc:
            _add_domain_error(form, exc)
            return self.get(request, form=form)
        messages.success(request, _("Record %(ref)s created.") % {"ref": record.reference})
        return redirect(record)


def _detail_page(request, pk, *, message_form=None, attachment_form=None, status=200):
    record = _visible_or_404(request.user, pk)
    customer = record.customer
    contacts = list(customer.contacts.all())
    return render(
        request,
        "tickets/detail.html",
        {
            "record": record,
            "customer": customer,
            "primary_contact": record.contact or (contacts[0] if contacts else None),
            "history": selectors.record_history(record),
            "message_form": message_form or MessageForm(),
            "attachment_form": attachment_form or AttachmentForm(),
            "next_statuses": [(s, Status(s).label) for s in record.allowed_next()],
            "assignable": _assignable_users(request.user),
        },
        status=status,
    )


class RecordDetailView(DeskView):
    section = "records"

    def get(self, request, pk):
        return _detail_page(request, pk)


class RecordMessageView(DeskView):
    def post(self, request, pk):
        record = _visible_or_404(request.user, pk)
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                services.message_add(
                    by=request.user,
                    record_id=record.pk,
                    kind=form.cleaned_data["kind"],
                    body=form.cleaned_data["body"],
                )
            except DomainError as exc:
                _add_domain_error(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(record)
        return _detail_page(request, pk, message_form=form, status=400)


class RecordAttachmentView(DeskView):
    def post(self, request, pk):
        record = _visible_or_404(request.user, pk)
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.attachment_add(
                    by=request.user, record_id=record.pk, upload=form.cleaned_data["file"]
                )
            except DomainError as exc:
                _add_domain_error(form, exc)
            else:
                messages.success(request, _("File attached."))
                return redirect(record)
        return _detail_page(request, pk, attachment_form=form, status=400)


class AttachmentDownloadView(DeskView):
    def get(self, request, pk, attachment_id):
        record = _visible_or_404(request.user, pk)
        attachment = RecordAttachment.objects.filter(pk=attachment_id, record=record).first()
        if attachment is None:
            raise Http404(_("No such attachment."))
        return attachment_response(attachment)


def attachment_response(attachment: RecordAttachment) -> FileResponse:
    """Always a download, with the sniffed type; the browser is told not to guess or render."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


class RecordTransitionView(DeskView):
    def post(self, request, pk):
        record = _visible_or_404(request.user, pk)
        form = TransitionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a status."))
            return redirect(record)
        try:
            record = services.record_transition(
                by=request.user,
                record_id=record.pk,
                to_status=form.cleaned_data["to_status"],
                version=form.cleaned_data.get("version"),
            )
        except ConflictError as exc:
            messages.error(request, _conflict_text(exc))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("The record is now %(status)s.") % {"status": record.get_status_display()},
            )
        return redirect(record)


class RecordAssignView(DeskView):
    def post(self, request, pk):
        record = _visible_or_404(request.user, pk)
        form = AssignForm(request.POST)
        form.is_valid()
        try:
            services.record_assign(
                by=request.user,
                record_id=record.pk,
                assignee_id=form.cleaned_data.get("assignee"),
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Assignment saved."))
        return redirect(record)


def _conflict_text(exc: ConflictError) -> str:
    fields = ", ".join(sorted(exc.changes)) or _("unknown fields")
    return _("Someone else changed this record while you were working (%(fields)s).") % {
        "fields": fields
    }


class RecordEditView(DeskView):
    section = "records"
    # The page edits what the update service accepts, except the ids (changed elsewhere).
    FIELDS = sorted(f for f in services.EDITABLE if not f.endswith("_id"))

    def get(self, request, pk, form=None, conflict=None, status=200):
        record = _visible_or_404(request.user, pk)
        if form is None:
            form = RecordEditForm(
                initial={"version": record.version, **{f: getattr(record, f) for f in self.FIELDS}}
            )
        return render(
            request,
            "tickets/edit.html",
            {"record": record, "form": form, "conflict": conflict},
            status=status,
        )

    def post(self, request, pk):
        record = _visible_or_404(request.user, pk)
        form = RecordEditForm(request.POST)
        if not form.is_valid():
            return self.get(request, pk, form=form, status=400)
        data = form.cleaned_data
        changes = {f: data[f] for f in self.FIELDS if data[f] != getattr(record, f)}
        try:
            services.record_update(
                by=request.user, record_id=record.pk, version=data["version"], changes=changes
            )
        except ConflictError as exc:
            form.add_error(None, _conflict_text(exc))
            # The form keeps the user's input and now carries the current version, so saving
            # again deliberately applies it over the other person's change.
            form.data = form.data.copy()
            form.data["version"] = exc.current
            return self.get(request, pk, form=form, conflict=exc.changes, status=409)
        except DomainError as exc:
            _add_domain_error(form, exc)
            return self.get(request, pk, form=form, status=400)
        messages.success(request, _("Changes saved."))
        return redirect(record)
