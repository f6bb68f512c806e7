"""The dashboards' filters, for the pages and /api/v1/kpis/ alike: every bad input is a message on
its field (never a 500), and a filter the viewer's role may not use is refused, not ignored."""

from datetime import timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import ManagementTier
from servicedesk.core.forms import DeskDateField
from servicedesk.core.models import Department
from servicedesk.core.roles import is_manager_or_admin
from servicedesk.core.selectors import user_department_ids
from surveys.results import DEFAULT_PERIOD_DAYS, MAX_PERIOD_DAYS, Period
from tickets.models import ServiceCategory, Stage

from .kpis import Filters


class IdChoiceField(forms.ModelChoiceField):
    """A row by id, with a message that says which kind of row was not found."""

    def __init__(self, queryset, *, missing: str, **kwargs):
        super().__init__(queryset, required=False, **kwargs)
        self.error_messages["invalid_choice"] = missing


class FilterForm(forms.Form):
    """?since=&until=&department=&agent=&stage=&category=&tier= ; all optional, the period the
    last 90 days by default. `viewer` decides which departments and agents may be chosen; `fixed_
    agent` (the agent's own dashboard) pins the agent to the viewer."""

    since = DeskDateField(label=_("From"), required=False)
    until = DeskDateField(label=_("To (inclusive)"), required=False)
    department = IdChoiceField(
        Department.objects.only("name_en", "name_zh").order_by("name_en"),
        label=_("Department"),
        missing=_("No such department."),
    )
    agent = IdChoiceField(
        get_user_model().objects.filter(is_active=True).only("username").order_by("username"),
        label=_("Agent"),
        missing=_("No such person."),
    )
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *Stage.choices]
    )
    category = IdChoiceField(
        ServiceCategory.objects.order_by("stage", "sort_order", "name_en"),
        label=_("Category"),
        missing=_("No such category."),
    )
    tier = forms.ChoiceField(
        label=_("Customer tier"),
        required=False,
        choices=[("", _("All tiers")), *ManagementTier.choices],
    )

    def __init__(self, data=None, *, viewer, fixed_agent: bool = False, **kwargs):
        super().__init__(data, **kwargs)
        self.viewer = viewer
        self.fixed_agent = fixed_agent
        self.fields["department"].empty_label = _("All departments")
        self.fields["agent"].empty_label = _("Everyone")
        self.fields["category"].empty_label = _("All categories")
        if fixed_agent:
            del self.fields["agent"]

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        since, until = data.get("since"), data.get("until")
        if "since" in self.errors or "until" in self.errors:
            return data
        until = until or max(today, since or today)
        since = since or until - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if until < since:
            self.add_error("until", _("The end of the period is before its start."))
        elif (until - since).days >= MAX_PERIOD_DAYS:
            self.add_error(
                "since",
                _("Choose at most %(n)d days; compare longer periods one after another.")
                % {"n": MAX_PERIOD_DAYS},
            )
        else:
            data["period"] = Period(since, until)
        self._check_role(data)
        return data

    def _check_role(self, data) -> None:
        """An agent sees their own results and their departments': another agent, or a department
        they are not in, is refused on its field."""
        if is_manager_or_admin(self.viewer):
            return
        agent, department = data.get("agent"), data.get("department")
        if agent is not None and agent.pk != self.viewer.pk:
            self.add_error("agent", _("Your role shows only your own results."))
        if department is not None and department.pk not in user_department_ids(self.viewer):
            self.add_error("department", _("Your role shows only the departments you belong to."))

    def filters(self) -> Filters:
        """The valid filters (call after is_valid()). An agent who names no department sees their
        own results; the agent's dashboard always does."""
        data = self.cleaned_data
        agent = data.get("agent")
        agent_id = agent.pk if agent else None
        if self.fixed_agent or (
            not is_manager_or_admin(self.viewer) and not data.get("department")
        ):
            agent_id = self.viewer.pk
        return Filters(
            period=data["period"],
            department_id=data["department"].pk if data.get("department") else None,
            agent_id=agent_id,
            stage=data.get("stage") or "",
            category_id=data["category"].pk if data.get("category") else None,
            tier=data.get("tier") or "",
        )


def filter_form(query, *, viewer, fixed_agent: bool = False) -> FilterForm:
    """The form for a request's query: unbound (the defaults shown) when the query names none of
    its fields, so a first visit shows the last 90 days without an error state."""
    if not any(query.get(name) for name in FilterForm.base_fields):
        period = Period.default()
        form = FilterForm(
            {"since": period.since.isoformat(), "until": period.until.isoformat()},
            viewer=viewer,
            fixed_agent=fixed_agent,
        )
    else:
        form = FilterForm(query, viewer=viewer, fixed_agent=fixed_agent)
    return form
