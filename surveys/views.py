"""Staff pages for survey responses: the list, a response's page, and answers entered by staff
on a phone callback. Reads are in surveys.rows, writes in surveys.services."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Customer
from followups.selectors import visit_visible
from servicedesk.core.exceptions import DomainError
from servicedesk.core.jinja_env import id_url
from servicedesk.core.pagination import window_page
from servicedesk.core.roles import Role, user_role
from servicedesk.core.views import DeskView
from tickets.selectors import record_visible

from . import rows, services
from .forms import ResponseFilterForm, TemplateChoiceForm, answer_fields
from .models import Purpose, SurveyPolicy, SurveyResponse, SurveyTemplate
from .selectors import response_visible

PAGE_SIZE = 25
OPT_INS = (
    ("meeting", gettext_lazy("Customer meeting (客户交流会)")),
    ("supervisor", gettext_lazy("Customer supervisor (客户监督员)")),
    ("contact", gettext_lazy("A manager to contact them")),
)


def page_urls() -> dict:
    """The addresses a row links to, each reversed once a page (jinja_env.id_url)."""
    return {
        "response": id_url("surveys:response"),
        "customer": id_url("customers:detail"),
        "record": id_url("tickets:detail"),
        "visit": id_url("followups:detail"),
        "complaint": id_url("tickets:complaint_detail"),
    }


class ResponseListView(DeskView):
    section = "surveys"

    def get(self, request):
        names = rows.template_names()
        form = ResponseFilterForm(request.GET, templates=names)
        invalid = not form.is_valid()
        responses = response_visible(request.user).order_by("-submitted_at", "-id")
        # Filters that cannot be read list nothing, and say why, rather than quietly ignoring
        # one and showing a list that looks narrowed but is not.
        responses = responses.none() if invalid else form.narrow(responses)
        urls = page_urls()
        page = window_page(
            responses,
            request.GET.get("page"),
            PAGE_SIZE,
            values=rows.ROW_FIELDS,
            row=lambda values: rows.response_row(values, urls, names),
        )
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            "surveys/index.html",
            {
                "page": page,
                "filter": form,
                "invalid_filter": invalid,
                "narrowed": not invalid and form.narrowed,
                "has_templates": bool(names),
                "is_admin": user_role(request.user) == Role.ADMINISTRATOR,
                # The results pages are the managers' and administrators' (results_views.py).
                "sees_results": user_role(request.user) in (Role.MANAGER, Role.ADMINISTRATOR),
                "query": query.urlencode(),
            },
        )


class ResponseDetailView(DeskView):
    section = "surveys"

    def get(self, request, pk: int):
        try:
            values = rows.response_page_values(request.user, pk)
        except SurveyResponse.DoesNotExist as exc:
            raise Http404(_("No such survey response.")) from exc
        policy = SurveyPolicy.current()
        response = rows.response_page(values, page_urls())
        groups = rows.by_aim(rows.answer_values(pk), policy.low_rating, policy.low_nps)
        return render(
            request,
            "surveys/response_detail.html",
            {"response": response, "groups": groups},
        )


# --- answers read out on a phone call -------------------------------------------------------------


def _int(raw) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


class StaffEntryView(DeskView):
    """/surveys/enter/?customer=<id>&visit=<id> (or &record=<id>): the agent picks the survey,
    reads its questions out on the call and types the answers. Stored as entered by staff (the
    invitation's channel is "phone"), so the results report them apart."""

    section = "surveys"

    def _subject(self, request, source):
        """The customer, and the visit or record the call follows: each one the user may see
        (an unknown or hidden one is a 404, as on its own page)."""
        customer_id = _int(source.get("customer"))
        customer = (
            Customer.objects.filter(pk=customer_id, is_archived=False).first()
            if customer_id
            else None
        )
        if customer is None:
            return None, None, None
        visit = record = None
        if source.get("visit") not in (None, ""):
            pk = _int(source.get("visit"))
            visit = (
                visit_visible(request.user)
                .filter(pk=pk, customer_id=customer.pk)
                .select_related("source_record")
                .first()
                if pk
                else None
            )
            if visit is None:
                raise Http404(_("No such callback for this customer."))
        elif source.get("record") not in (None, ""):
            pk = _int(source.get("record"))
            record = (
                record_visible(request.user).filter(pk=pk, customer_id=customer.pk).first()
                if pk
                else None
            )
            if record is None:
                raise Http404(_("No such service record for this customer."))
        return customer, visit, record

    def _page(self, request, source, *, errors=None, service_error="", status=200):
        customer, visit, record = self._subject(request, source)
        if customer is None:
            if source.get("customer") not in (None, ""):
                raise Http404(_("No such customer."))
            return render(request, "surveys/enter.html", {"customer": None}, status=status)
        active = SurveyTemplate.objects.filter(is_active=True).order_by("key")
        templates = list(active.only("pk", "key", "purpose", "name_en", "name_zh"))
        names = {t.pk: t.name for t in templates}
        raw = source.get("template")
        if raw in (None, "") and templates:
            # The survey that fits what the call follows, as the triggers would choose it.
            purpose = Purpose.AFTER_CALLBACK if visit else Purpose.AFTER_SERVICE
            raw = next((t.pk for t in templates if t.purpose == purpose), None)
        choice = TemplateChoiceForm(
            {"template": raw} if raw not in (None, "") else None, templates=names
        )
        template = None
        if choice.is_bound:
            if choice.is_valid():
                template = next(t for t in templates if t.pk == choice.cleaned_data["template"])
            else:
                status = 400
        data = source if errors is not None or service_error else None
        return render(
            request,
            "surveys/enter.html",
            {
                "customer": customer,
                "visit": visit,
                "record": record,
                "choice": choice,
                "template": template,
                "questions": answer_fields(template, data, errors) if template else [],
                "opt_ins": [
                    (name, str(text), bool(data and data.get(name))) for name, text in OPT_INS
                ],
                "has_errors": bool(errors) or bool(service_error),
                "service_error": service_error,
            },
            status=status,
        )

    def get(self, request):
        return self._page(request, request.GET)

    def post(self, request):
        source = request.POST
        customer, visit, record = self._subject(request, source)
        if customer is None:
            raise Http404(_("No such customer."))
        template_id = _int(source.get("template"))
        template = (
            SurveyTemplate.objects.filter(pk=template_id, is_active=True).first()
            if template_id
            else None
        )
        if template is None:
            return self._page(
                request, source, service_error=_("Choose an active survey."), status=400
            )
        try:
            response = services.survey_enter_by_staff(
                template=template,
                customer_id=customer.pk,
                visit=visit,
                record=record,
                data=source,
                opt_ins=frozenset(name for name, _text in OPT_INS if source.get(name)),
                by=request.user,
            )
        except services.AnswersInvalid as exc:
            return self._page(request, source, errors=exc.errors, status=400)
        except DomainError as exc:
            return self._page(request, source, service_error=str(exc.message), status=400)
        messages.success(request, _("The answers were saved as entered by you on a call."))
        return redirect(reverse("surveys:response", args=[response.pk]))
