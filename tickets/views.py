"""Staff pages for service records: thin shells over selectors (reads) and services (writes)."""

from functools import partial

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Customer
from customers.selectors import customer_base, customer_search
from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.forms import add_service_error
from servicedesk.core.models import Department
from servicedesk.core.pagination import window_page
from servicedesk.core.roles import Role, user_role
from servicedesk.core.selectors import user_department_ids
from servicedesk.core.views import DeskView

from . import sections as record_sections
from . import selectors, services
from .filters import RecordFilter, filter_bar
from .forms import (
    AssignForm,
    AttachmentForm,
    MessageForm,
    RecordCreateForm,
    RecordEditForm,
    TransitionForm,
)
from .models import HANDLED_STATUSES, RecordAttachment, ServiceCategory, ServiceRecord, Status
from .rows import ROW_FIELDS, record_row, target_state

PAGE_SIZE = 25


def _visible_or_404(user, pk) -> ServiceRecord:
    try:
        return selectors.record_get(user=user, pk=pk)
    except ServiceRecord.DoesNotExist as exc:
        # Someone else's record is "not found", not "forbidden": its existence is not leaked.
        raise Http404(_("No such service record.")) from exc


# --- who may be assigned ---------------------------------------------------------------------
# The service has the last word (tickets.services._check_assignee); the pages only offer what it
# would accept, so nobody picks a name just to be told no.


def _bulk_assignable(user):
    """The list's bulk "assign to" choices: agents take work themselves (no choice), managers hand
    it to members of their departments, administrators to members of any department."""
    role = user_role(user)
    if role == Role.ADMINISTRATOR:
        return selectors.assignable_choices(Department.objects.values("pk"))
    if role == Role.MANAGER:
        return selectors.assignable_choices(user_department_ids(user))
    return []


def _record_assignment(user, record: ServiceRecord) -> dict:
    """The record page's assignment controls. A manager or administrator picks from the active
    members of the record's lead and collaborating departments; an agent may take the record when
    nobody has it and they work in one of its departments, and give back their own."""
    departments = {
        record.lead_department_id,
        *(d.pk for d in record.collaborating_departments.all()),  # prefetched by record_get
    }
    if user_role(user) == Role.AGENT:
        return {
            "assignable": [],
            "can_take": record.assignee_id is None
            and bool(departments & set(user_department_ids(user))),
            # Finished work keeps the name of who did it.
            "can_release": record.assignee_id == user.pk and record.is_active,
        }
    return {
        "assignable": selectors.assignable_choices(departments),
        "can_take": False,
        "can_release": False,
        # A manager scores handled work against a check form (servicedesk.audit); the review
        # page states any other reason it cannot be reviewed.
        "can_review": record.assignee_id is not None and record.status in HANDLED_STATUSES,
    }


class RecordListView(DeskView):
    section = "records"

    def get(self, request):
        filterset = RecordFilter(
            request.GET or None, queryset=selectors.record_list(user=request.user, due=False)
        )
        invalid = filterset.is_bound and not filterset.is_valid()
        # A filter that cannot be read shows its message over no rows: the unfiltered list under
        # it would look like the answer to the question that was asked.
        if invalid:
            qs = filterset.queryset.none()
        else:
            qs = filterset.qs if filterset.is_bound else filterset.queryset
        now = timezone.now()
        page = window_page(
            qs,
            request.GET.get("page"),
            PAGE_SIZE,
            values=ROW_FIELDS,
            row=lambda values: record_row(values, now),
        )
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "tickets/list.html",
            {
                "filter": filterset,
                "filter_fields": filter_bar(filterset.form),
                "invalid_filter": invalid,
                "page": page,
                "page_ids": ",".join(str(r.pk) for r in page.object_list),
                "query": query.urlencode(),
                "takes_only": user_role(request.user) == Role.AGENT,
                # Only the bulk actions over listed rows offer them.
                "assignable": _bulk_assignable(request.user) if page.object_list else [],
                "statuses": Status.choices,
            },
        )

    def post(self, request):
        """Bulk actions on the ticked rows; each row goes through the same service as one."""
        if request.POST.get("all") == "page":
            # "Select all" ticked without JavaScript: every record the page showed.
            raw_ids = request.POST.get("page_records", "").split(",")
        else:
            raw_ids = request.POST.getlist("records")
        raw = list(dict.fromkeys(int(v) for v in raw_ids if v.strip().isdigit() and len(v) < 19))
        action = request.POST.get("action")
        back = request.POST.get("next") or ""
        # The list's own query string, echoed back; a hand-made one longer than any URL would make
        # the redirect itself fail (Django refuses Location headers over 16 KB).
        target = f"{request.path}?{back}" if back and len(back) < 4096 else request.path
        if not raw:
            messages.error(request, _("Tick at least one record first."))
            return redirect(target)
        if action in ("assign", "take"):
            raw_assignee = request.POST.get("assignee", "")
            if action == "take":
                assignee_id = request.user.pk
            else:
                assignee_id = int(raw_assignee) if raw_assignee.isdigit() else None
            run = partial(services.record_bulk_assign, by=request.user, assignee_id=assignee_id)
        elif action == "status" and request.POST.get("to_status") in Status.values:
            run = partial(
                services.record_bulk_transition,
                by=request.user,
                to_status=request.POST["to_status"],
            )
        else:
            messages.error(request, _("Choose an action and its value."))
            return redirect(target)
        visible = set(
            selectors.record_visible(request.user).filter(pk__in=raw).values_list("pk", flat=True)
        )
        # A record the user cannot see is reported like one that does not exist (no leak), in
        # the order it was ticked, among the service's own per-record refusals.
        hidden = [pk for pk in raw if pk not in visible]
        done, errors = run(record_ids=[pk for pk in raw if pk in visible]) if visible else (0, [])
        errors = [
            *errors,
            *(_("%(ref)s: not found.") % {"ref": ServiceRecord(pk=pk).reference} for pk in hidden),
        ]
        _report_bulk(request, done=done, errors=errors)
        return redirect(target)


def _report_bulk(request, *, done: int, errors: list[str]) -> None:
    """One line saying how the run went, then every refusal on its own line, by reference.

    Messages outgrowing the cookie are kept in the session (Django's fallback storage), so a long
    list of refusals arrives whole."""
    total = done + len(errors)
    if not errors:
        messages.success(
            request, ngettext("%(n)d record updated.", "%(n)d records updated.", done) % {"n": done}
        )
        return
    if done:
        messages.warning(
            request,
            ngettext(
                "%(done)d of %(total)d record updated; these could not be changed:",
                "%(done)d of %(total)d records updated; these could not be changed:",
                total,
            )
            % {"done": done, "total": total},
        )
    elif total == 1:
        messages.error(request, _("The record could not be changed:"))
    else:
        messages.error(
            request, _("None of the %(total)d records could be changed:") % {"total": total}
        )
    for error in errors:
        messages.error(request, error)


CUSTOMER_MATCHES = 10


def _customer_lookup(q: str):
    """Active customers by name, e-mail or the last digits of a phone: the archive's own search."""
    q = q.strip()
    if not q:
        return []
    return list(customer_search(customer_base(), q).order_by("name", "pk")[:CUSTOMER_MATCHES])


class RecordCreateView(DeskView):
    section = "records"

    def get(self, request, form=None):
        customer = None
        raw = request.GET.get("customer") or (form.data.get("customer") if form else None)
        if raw and str(raw).isdigit():
            customer = Customer.objects.filter(pk=raw).first()
        if form is None and customer is not None:
            initial = {"customer": customer.pk, "stage": request.GET.get("stage", "after_sale")}
            raw_category = request.GET.get("category", "")
            category = (
                ServiceCategory.objects.filter(pk=raw_category).first()
                if raw_category.isdigit()
                else None
            )
            if category is not None:
                # The category's own defaults, the same ones the create service applies.
                initial.update(category=category.pk, **category.defaults())
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
            add_service_error(form, exc)
            return self.get(request, form=form)
        messages.success(request, _("Record %(ref)s created.") % {"ref": record.reference})
        return redirect(record)


def _primary_contact(record: ServiceRecord, contacts: list):
    """The record's contact, else the customer's first: from the prefetched contacts (with their
    points), the record's own only if it is not among them."""
    if record.contact_id is None:
        return contacts[0] if contacts else None
    return next((c for c in contacts if c.pk == record.contact_id), None) or record.contact


def _detail_page(request, pk, *, message_form=None, attachment_form=None, status=200):
    try:
        record = selectors.record_get(user=request.user, pk=pk, due=False)
    except ServiceRecord.DoesNotExist as exc:
        raise Http404(_("No such service record.")) from exc
    # The targets' states from the record's columns: the rule of selectors.with_due_state.
    now = timezone.now()
    record.response_state = target_state(
        record.first_response_due, record.first_responded_at, record.status, now
    )
    record.resolution_state = target_state(
        record.resolution_due, record.resolved_at, record.status, now
    )
    customer = record.customer
    contacts = list(customer.contacts.all())
    return render(
        request,
        "tickets/detail.html",
        {
            "record": record,
            "customer": customer,
            "primary_contact": _primary_contact(record, contacts),
            "history": selectors.record_history(record),
            "sections": record_sections.render_context(record, request.user),
            # Who a reply is e-mailed to (or that it is only logged), shown by the message form.
            "reply": services.reply_recipient(record),
            "message_form": message_form or MessageForm(),
            "attachment_form": attachment_form or AttachmentForm(),
            # A closed record takes no messages (services.message_add refuses), so the page
            # offers to reopen it instead of a form that could only fail.
            "closed": record.status == Status.CLOSED,
            "next_statuses": [(s, Status(s).label) for s in record.allowed_next()],
            # Resolved or closed → open is a reopen, and the button says so.
            "reopens": record.status in (Status.RESOLVED, Status.CLOSED),
            **_record_assignment(request.user, record),
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
                add_service_error(form, exc)
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
                add_service_error(form, exc)
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
        if not form.is_valid():
            # Not "nobody": a malformed choice would otherwise unassign the record.
            messages.error(
                request, _("Assignee: %(error)s") % {"error": form.errors["assignee"][0]}
            )
            return redirect(record)
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
            add_service_error(form, exc)
            return self.get(request, pk, form=form, status=400)
        messages.success(request, _("Changes saved."))
        return redirect(record)
