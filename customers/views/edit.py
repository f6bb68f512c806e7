"""Creating and changing customers and what hangs off them; every write goes through services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.forms import add_service_error
from servicedesk.core.roles import Role
from servicedesk.core.views import DeskView

from .. import services
from ..forms import (
    CUSTOMER_FIELDS,
    ContactForm,
    CustomerCreateForm,
    CustomerEditForm,
    InteractionForm,
    MergeForm,
    ProductOwnedForm,
)
from ..models import Customer


def _active_customer(pk: int) -> Customer:
    return get_object_or_404(Customer.objects.select_related("owner", "organisation"), pk=pk)


class CustomerCreateView(DeskView):
    section = "customers"

    def get(self, request):
        return self.show(request, CustomerCreateForm())

    def show(self, request, form, duplicates=()):
        return render(
            request,
            "customers/form.html",
            {"form": form, "duplicates": duplicates, "creating": True},
        )

    def post(self, request):
        form = CustomerCreateForm(request.POST)
        if not form.is_valid():
            return self.show(request, form)
        kwargs = form.service_kwargs()
        try:
            customer = services.customer_create(
                **kwargs["fields"],
                tags=kwargs["tags"],
                contact_name=form.cleaned_data["contact_name"],
                phones=form.cleaned_data["phones"],
                emails=form.cleaned_data["emails"],
                allow_duplicate=form.cleaned_data["create_anyway"],
                by=request.user,
            )
        except services.DuplicateCustomerError as exc:
            form.add_error(
                "create_anyway",
                _("Tick this box to create a new customer although the match below exists."),
            )
            return self.show(request, form, duplicates=exc.matches)
        except (ValidationError, DomainError) as exc:
            add_service_error(form, exc)
            return self.show(request, form)
        messages.success(request, _("Customer “%(name)s” created.") % {"name": customer.name})
        return redirect("customers:detail", customer.pk)


class CustomerEditView(DeskView):
    section = "customers"

    def initial(self, customer):
        data = {f: getattr(customer, f) for f in CUSTOMER_FIELDS}
        data["organisation"] = customer.organisation_id
        data["owner"] = customer.owner_id
        data["tags"] = ", ".join(t.name for t in customer.tags.all())
        data["version"] = customer.version
        return data

    def show(self, request, customer, form, changes=None):
        return render(
            request,
            "customers/form.html",
            {"form": form, "customer": customer, "changes": changes, "creating": False},
        )

    def get(self, request, pk: int):
        customer = _active_customer(pk)
        return self.show(request, customer, CustomerEditForm(initial=self.initial(customer)))

    def post(self, request, pk: int):
        customer = _active_customer(pk)
        form = CustomerEditForm(request.POST)
        if not form.is_valid():
            return self.show(request, customer, form)
        kwargs = form.service_kwargs()
        try:
            services.customer_update(
                customer_id=customer.pk,
                version=form.cleaned_data["version"],
                changes=kwargs["fields"],
                tags=kwargs["tags"],
                by=request.user,
            )
        except ConflictError as exc:
            # Show what the other person changed; the new version lets the user save over it.
            data = request.POST.copy()
            data["version"] = exc.current
            form = CustomerEditForm(data)
            form.is_valid()
            add_service_error(form, exc)
            fields = {f.name: f.verbose_name for f in Customer._meta.fields}
            changes = [
                {"field": fields.get(k.removesuffix("_id"), k), "was": v["was"], "now": v["now"]}
                for k, v in exc.changes.items()
            ]
            return self.show(request, customer, form, changes=changes)
        except (ValidationError, DomainError) as exc:
            add_service_error(form, exc)
            return self.show(request, customer, form)
        messages.success(request, _("Changes saved."))
        return redirect("customers:detail", customer.pk)


class CustomerArchiveView(DeskView):
    section = "customers"

    def get(self, request, pk: int):
        return render(request, "customers/archive.html", {"customer": _active_customer(pk)})

    def post(self, request, pk: int):
        customer = services.customer_archive(customer_id=_active_customer(pk).pk, by=request.user)
        messages.success(request, _("“%(name)s” was archived.") % {"name": customer.name})
        return redirect("customers:index")


class CustomerMergeView(DeskView):
    """Managers merge a duplicate into the customer on this page (the survivor)."""

    section = "customers"
    roles = (Role.MANAGER, Role.ADMINISTRATOR)

    def form(self, customer, data=None):
        # Likely duplicates first: customers sharing a phone or e-mail, else the same name.
        candidates = Customer.objects.filter(is_archived=False).order_by("name", "pk")
        return MergeForm(data, survivor=customer, candidates=candidates)

    def show(self, request, customer, form):
        points = customer.contact_points.values_list("value", flat=True)
        suggestions = services.customer_find_duplicates(
            phones=[p for p in points if p.startswith("+")],
            emails=[p for p in points if "@" in p],
            exclude_id=customer.pk,
        )
        return render(
            request,
            "customers/merge.html",
            {"customer": customer, "form": form, "suggestions": suggestions},
        )

    def get(self, request, pk: int):
        customer = _active_customer(pk)
        form = self.form(customer)
        if request.GET.get("duplicate"):
            form.initial["duplicate"] = request.GET["duplicate"]
        return self.show(request, customer, form)

    def post(self, request, pk: int):
        customer = _active_customer(pk)
        form = self.form(customer, request.POST)
        if not form.is_valid():
            return self.show(request, customer, form)
        try:
            services.customer_merge(
                survivor_id=customer.pk,
                duplicate_id=form.cleaned_data["duplicate"].pk,
                by=request.user,
                request=request,
            )
        except DomainError as exc:
            add_service_error(form, exc)
            return self.show(request, customer, form)
        messages.success(request, _("The customers were merged."))
        return redirect("customers:detail", customer.pk)


class _ChildCreateView(DeskView):
    """A small form on its own page that adds one thing to a customer."""

    section = "customers"
    template = ""

    def make_form(self, customer, data=None):
        raise NotImplementedError

    def save(self, request, customer, form):
        raise NotImplementedError

    def show(self, request, customer, form):
        return render(request, self.template, {"customer": customer, "form": form})

    def get(self, request, pk: int):
        customer = _active_customer(pk)
        return self.show(request, customer, self.make_form(customer))

    def post(self, request, pk: int):
        customer = _active_customer(pk)
        form = self.make_form(customer, request.POST)
        if form.is_valid():
            try:
                self.save(request, customer, form)
            except (ValidationError, DomainError) as exc:
                add_service_error(form, exc)
            else:
                return redirect("customers:detail", customer.pk)
        return self.show(request, customer, form)


class InteractionCreateView(_ChildCreateView):
    template = "customers/interaction_form.html"

    def make_form(self, customer, data=None):
        initial = {"kind": self.request.GET.get("kind", "call")}
        return InteractionForm(data, customer=customer, initial=initial)

    def save(self, request, customer, form):
        services.interaction_log(customer=customer, staff=request.user, **form.cleaned_data)
        messages.success(request, _("Interaction logged."))


class ProductOwnedCreateView(_ChildCreateView):
    template = "customers/product_form.html"

    def make_form(self, customer, data=None):
        return ProductOwnedForm(data)

    def save(self, request, customer, form):
        services.product_owned_add(customer=customer, **form.cleaned_data)
        messages.success(request, _("Product registered."))


class ContactCreateView(_ChildCreateView):
    template = "customers/contact_form.html"

    def make_form(self, customer, data=None):
        return ContactForm(data)

    def save(self, request, customer, form):
        services.contact_add(customer=customer, **form.cleaned_data)
        messages.success(request, _("Contact added."))
