"""Administrators' pages for a customer's personal information: the export (a JSON download)
and the erasure (a confirmation page). Thin shells over customers.privacy."""

import json

from django import forms
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.core.forms import add_service_error
from servicedesk.core.roles import Role
from servicedesk.core.views import DeskView

from .. import privacy
from ..models import Customer


class CustomerPersonalDataExportView(DeskView):
    """Everything held about the customer, as one JSON file."""

    section = "customers"
    roles = (Role.ADMINISTRATOR,)

    def get(self, request, pk: int):
        customer = get_object_or_404(Customer, pk=pk)
        data = privacy.customer_export(customer_id=customer.pk, by=request.user, request=request)
        body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        # The id, not the name, in the file name: it travels in logs and download folders.
        name = f"customer-{customer.pk}-{stamp}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


class EraseForm(forms.Form):
    confirm = forms.CharField(
        label=gettext_lazy("Type the customer's name to confirm"), max_length=200
    )


class CustomerEraseView(DeskView):
    section = "customers"
    roles = (Role.ADMINISTRATOR,)

    def show(self, request, customer, form):
        return render(request, "customers/privacy/erase.html", {"customer": customer, "form": form})

    def get(self, request, pk: int):
        return self.show(request, get_object_or_404(Customer, pk=pk), EraseForm())

    def post(self, request, pk: int):
        customer = get_object_or_404(Customer, pk=pk)
        form = EraseForm(request.POST)
        if not form.is_valid():
            return self.show(request, customer, form)
        try:
            privacy.customer_erase(
                customer_id=customer.pk,
                confirm=form.cleaned_data["confirm"],
                by=request.user,
                request=request,
            )
        except privacy.ErasureRefused as exc:
            add_service_error(form, exc)
            return self.show(request, customer, form)
        messages.success(
            request, _("Customer #%(pk)s was erased. This cannot be undone.") % {"pk": customer.pk}
        )
        return redirect("customers:detail", customer.pk)
