"""The complaint page's writes: open a complaint (from a customer or a record), take the next
step, revise the last one, mark an action done or move its date, reopen. Each is a thin shell over
tickets.complaints.services; a refusal re-shows the page with the form and its errors."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.forms import DeskDateField, add_service_error, service_errors
from servicedesk.core.roles import is_manager_or_admin
from servicedesk.core.views import DeskView

from ..models import ServiceCategory
from ..selectors import record_visible
from . import services
from .forms import ComplaintOpenForm, StepForms
from .models import Step
from .views import complaint_or_404, detail_page, step_choices


def _version(request) -> int:
    """The version the page was drawn from. Missing or unreadable is 0, which no row has: a
    write without it is refused as a conflict, never applied blind."""
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else 0


def _conflict() -> str:
    return _(
        "Someone else moved this complaint on while you were working. What they did is shown "
        "below; check it, then take the next step."
    )


class ComplaintStepView(DeskView):
    """Take the complaint's next step with what its form recorded."""

    def post(self, request, pk):
        complaint = complaint_or_404(request.user, pk)
        step = request.POST.get("step", "")
        if step not in Step.values or step == Step.CLOSED:
            raise Http404(_("No such step."))
        if step != complaint.step:
            # Out of order, or a page left open while someone else went on: say what is next.
            messages.error(request, str(services.out_of_order(complaint).message))
            return detail_page(request, complaint.pk, status=409)
        forms_ = StepForms(
            step,
            request.POST,
            choices=step_choices(request.user, complaint.record.customer_id, {step}),
            manager=is_manager_or_admin(request.user),
        )
        if forms_.is_valid():
            payload = forms_.payload()
            try:
                services.complaint_take_step(
                    by=request.user,
                    complaint_id=complaint.pk,
                    version=_version(request),
                    step=step,
                    data=payload,
                )
            except ConflictError:
                messages.error(request, _conflict())
                return redirect("tickets:complaint_detail", pk=complaint.pk)
            except (DomainError, ValidationError) as exc:
                forms_.add_errors(service_errors(exc))
            else:
                messages.success(request, _("Step “%(step)s” saved.") % {"step": Step(step).label})
                return redirect("tickets:complaint_detail", pk=complaint.pk)
        return detail_page(request, complaint.pk, forms=forms_, status=400)


class ComplaintReviseView(DeskView):
    """Correct the last step taken (until the next is taken); its history keeps each version."""

    def post(self, request, pk):
        complaint = complaint_or_404(request.user, pk)
        step = request.POST.get("step", "")
        if step not in services.REVISABLE:
            raise Http404(_("No such step."))
        choices = step_choices(request.user, complaint.record.customer_id, {step})
        revise = StepForms(step, request.POST, choices=choices)
        if revise.is_valid():
            try:
                services.complaint_revise_step(
                    by=request.user,
                    complaint_id=complaint.pk,
                    step=step,
                    version=_version(request),
                    data=revise.payload(),
                )
            except ConflictError:
                messages.error(request, _conflict())
                return redirect("tickets:complaint_detail", pk=complaint.pk)
            except (DomainError, ValidationError) as exc:
                revise.add_errors(service_errors(exc))
            else:
                messages.success(request, _("Revised; the earlier version is kept."))
                return redirect("tickets:complaint_detail", pk=complaint.pk)
        return detail_page(request, complaint.pk, revise=revise, status=400)


class NewDateForm(forms.Form):
    new_due_date = DeskDateField(label=gettext_lazy("New date, told to the customer"))


class ComplaintActionView(DeskView):
    """Step 5: an action done, or a new date the customer was told of in advance."""

    def post(self, request, pk, action_id):
        complaint = complaint_or_404(request.user, pk)
        if not complaint.actions.filter(pk=action_id).exists():
            raise Http404(_("No such action."))
        try:
            if request.POST.get("do") == "told":
                form = NewDateForm(request.POST)
                if not form.is_valid():
                    raise DomainError(form.errors["new_due_date"][0], field="new_due_date")
                services.complaint_action_told(
                    by=request.user,
                    action_id=action_id,
                    new_due_date=form.cleaned_data["new_due_date"],
                )
                messages.success(request, _("New date saved; the customer was told."))
            else:
                services.complaint_action_done(by=request.user, action_id=action_id)
                messages.success(request, _("Action done."))
        except DomainError as exc:
            messages.error(request, str(exc.message))
        return redirect("tickets:complaint_detail", pk=complaint.pk)


class ComplaintReopenView(DeskView):
    def post(self, request, pk):
        complaint = complaint_or_404(request.user, pk)
        try:
            services.complaint_reopen(
                by=request.user, complaint_id=complaint.pk, reason=request.POST.get("reason", "")
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("Reopened: back to the options."))
        return redirect("tickets:complaint_detail", pk=complaint.pk)


class ComplaintOpenView(DeskView):
    """A new complaint, from a customer's page (?customer=) or a record's ("convert to complaint",
    ?record=): the record complained about stays open and is linked."""

    section = "complaints"

    def _origin(self, request):
        source = request.POST if request.method == "POST" else request.GET
        raw_record, raw_customer = source.get("record", ""), source.get("customer", "")
        if raw_record.isdigit() and len(raw_record) < 19:
            about = record_visible(request.user).select_related("customer", "category")
            about = about.filter(pk=raw_record).first()
            if about is None:
                raise Http404(_("No such service record."))
            return about.customer, about
        if raw_customer.isdigit() and len(raw_customer) < 19:
            customer = Customer.objects.filter(pk=raw_customer, is_archived=False).first()
            if customer is not None:
                return customer, None
        raise Http404(_("Open a complaint from a customer's page or a record's page."))

    def get(self, request, form=None, status=200):
        customer, about = self._origin(request)
        if form is None:
            initial = {"channel": "phone", "severity": "general"}
            if about is not None:
                initial |= {
                    "subject": _("Complaint about %(ref)s: %(subject)s")
                    % {"ref": about.reference, "subject": about.subject},
                    "category": _default_category(about),
                    "responsible_department": about.lead_department_id,
                }
            form = ComplaintOpenForm(initial=initial)
        context = {"form": form, "customer": customer, "about": about}
        return render(request, "tickets/complaints/open.html", context, status=status)

    def post(self, request):
        customer, about = self._origin(request)
        form = ComplaintOpenForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint = services.complaint_open(
                    by=request.user,
                    customer_id=customer.pk,
                    stage=data["category"].stage,
                    category_id=data["category"].pk,
                    subject=data["subject"],
                    description=data["description"],
                    channel=data["channel"],
                    severity=data["severity"],
                    wants_manager=data["wants_manager"],
                    about_record_id=about.pk if about else None,
                    responsible_department_id=(
                        data["responsible_department"].pk
                        if data["responsible_department"]
                        else None
                    ),
                )
            except (DomainError, ValidationError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Complaint %(ref)s opened: show respect first.")
                    % {"ref": complaint.record.reference},
                )
                return redirect("tickets:complaint_detail", pk=complaint.pk)
        return self.get(request, form=form, status=400)


def _default_category(about):
    """The complaint-handling category when it serves the record's stage, else the record's own:
    a pre-sale complaint stays a pre-sale record."""
    handling = ServiceCategory.objects.filter(
        code="complaint-handling", stage=about.stage, is_active=True
    ).first()
    return (handling or about.category).pk
