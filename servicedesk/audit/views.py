"""Staff pages of the service audit: reviews (the list, a new review, a review with the agent's
acknowledgement), check forms and the scorecard. Reads are in selectors, writes in services."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.forms import add_service_error
from servicedesk.core.pagination import window_page
from servicedesk.core.roles import Role, is_manager_or_admin, user_role
from servicedesk.core.selectors import department_list
from servicedesk.core.users import display_name
from servicedesk.core.views import DeskView
from tickets.complaints.selectors import complaint_visible
from tickets.selectors import record_visible

from . import selectors, services
from .defaults import DEFAULT_KEY
from .forms import (
    AcknowledgeForm,
    ReviewFilterForm,
    ReviewForm,
    ScorecardForm,
    item_field_name,
)
from .models import SCORECARD_PARTS, Review, Scorecard

PAGE_SIZE = 25
AVERAGES_DAYS = 90
MANAGERS = (Role.MANAGER, Role.ADMINISTRATOR)


def _int(raw) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 19 else None


class ReviewListView(DeskView):
    """/audit/: every review for managers and administrators (with the per-agent averages of
    the last 90 days); an agent's own reviews for an agent. /audit/mine/: one's own."""

    section = "audit"
    mine = False

    def get(self, request):
        manager = is_manager_or_admin(request.user) and not self.mine
        form = ReviewFilterForm(
            request.GET,
            agents=selectors.reviewable_people() if manager else None,
            departments=[(d.pk, d.name) for d in department_list()] if manager else None,
            check_forms=selectors.form_choices(),
        )
        invalid = not form.is_valid()
        filters = {} if invalid else form.filters()
        if self.mine:
            filters["agent_id"] = request.user.pk
        reviews = selectors.review_list(request.user, **filters)
        # Filters that cannot be read list nothing, and say why.
        page = window_page(
            reviews.none() if invalid else reviews, request.GET.get("page"), PAGE_SIZE
        )
        query = request.GET.copy()
        query.pop("page", None)
        averages = None
        if manager:
            until = timezone.localdate()
            averages = selectors.agent_averages(until - timedelta(days=AVERAGES_DAYS - 1), until)
        return render(
            request,
            "audit/review_list.html",
            {
                "page": page,
                "filter": form,
                "invalid_filter": invalid,
                "narrowed": not invalid and form.narrowed,
                "manager": manager,
                "mine": self.mine or not is_manager_or_admin(request.user),
                "averages": averages,
                "averages_days": AVERAGES_DAYS,
                "is_admin": user_role(request.user) == Role.ADMINISTRATOR,
                "query": query.urlencode(),
            },
        )


class MyReviewsView(ReviewListView):
    section = "my_reviews"
    mine = True


class ReviewCreateView(DeskView):
    """/audit/reviews/new/?record=<id> or ?complaint=<id> (and &form=<id> to pick the form)."""

    section = "audit"
    roles = MANAGERS

    def _subject(self, request, source):
        """The visible record or complaint named (a hidden or unknown one is a 404, as on its
        own page); (record, complaint)."""
        record_id, complaint_id = _int(source.get("record")), _int(source.get("complaint"))
        if record_id and not complaint_id:
            record = (
                record_visible(request.user)
                .select_related("assignee", "customer")
                .filter(pk=record_id)
                .first()
            )
            if record is not None:
                return record, None
        elif complaint_id and not record_id:
            complaint = (
                complaint_visible(request.user)
                .select_related("record__assignee", "record__customer")
                .filter(pk=complaint_id)
                .first()
            )
            if complaint is not None:
                return None, complaint
        raise Http404(_("Name one visible service record or complaint to review."))

    def _check_form(self, source, forms):
        form_id = _int(source.get("form"))
        if form_id:
            chosen = next((f for f in forms if f.pk == form_id), None)
            if chosen is None:
                raise Http404(_("No such active check form."))
            return chosen
        return next((f for f in forms if f.key == DEFAULT_KEY), forms[0] if forms else None)

    def _page(self, request, source, *, form=None, status=200):
        record, complaint = self._subject(request, source)
        forms = list(selectors.form_list(active_only=True))
        check_form = self._check_form(source, forms)
        refusal = None
        if check_form is not None:
            refusal = services.subject_refusal(
                by=request.user, record=record, complaint=complaint, form=check_form
            )
            if form is None and refusal is None:
                form = ReviewForm(items=check_form.items.all())
        handled = record or complaint.record
        existing = (
            Review.objects.filter(form=check_form, record=record, complaint=complaint)
            .values_list("pk", flat=True)
            .first()
            if check_form is not None and refusal is not None
            else None
        )
        return render(
            request,
            "audit/review_form.html",
            {
                "record": record,
                "complaint": complaint,
                "handled": handled,
                "forms": forms,
                "check_form": check_form,
                "max_points": selectors.form_max_points(check_form) if check_form else 0,
                "refusal": refusal[1] if refusal else "",
                "existing": existing,
                "form": form,
            },
            status=status,
        )

    def get(self, request):
        return self._page(request, request.GET)

    def post(self, request):
        source = request.POST
        record, complaint = self._subject(request, source)
        check_form = self._check_form(source, list(selectors.form_list(active_only=True)))
        if check_form is None:
            raise Http404(_("No such active check form."))
        form = ReviewForm(source, items=check_form.items.all())
        if form.is_valid():
            try:
                review = services.review_create(
                    by=request.user,
                    form_id=check_form.pk,
                    record_id=record.pk if record else None,
                    complaint_id=complaint.pk if complaint else None,
                    scores=form.scores(),
                    comment=form.cleaned_data["comment"],
                )
            except services.ScoresInvalid as exc:
                for item_id, message in exc.errors.items():
                    name = item_field_name(item_id)
                    form.add_error(name if name in form.fields else None, message)
            except DomainError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Review saved. The agent has been told."))
                return redirect(review.get_absolute_url())
        return self._page(request, source, form=form, status=400)


class ReviewDetailView(DeskView):
    section = "audit"

    def _page(self, request, pk, *, ack_form=None, status=200):
        try:
            review = selectors.review_get(request.user, pk)
        except Review.DoesNotExist as exc:
            raise Http404(_("No such review.")) from exc
        can_acknowledge = review.agent_id == request.user.pk and review.acknowledged_at is None
        return render(
            request,
            "audit/review_detail.html",
            {
                "review": review,
                "percent": review.percent,
                "can_acknowledge": can_acknowledge,
                "ack_form": ack_form or (AcknowledgeForm() if can_acknowledge else None),
                "manager": is_manager_or_admin(request.user),
            },
            status=status,
        )

    def get(self, request, pk: int):
        return self._page(request, pk)


class ReviewAcknowledgeView(ReviewDetailView):
    def get(self, request, pk: int):
        return redirect(reverse("audit:review", args=[pk]))

    def post(self, request, pk: int):
        if not selectors.review_visible(request.user).filter(pk=pk).exists():
            raise Http404(_("No such review."))
        form = AcknowledgeForm(request.POST)
        if form.is_valid():
            try:
                services.review_acknowledge(
                    by=request.user, review_id=pk, reply=form.cleaned_data["reply"]
                )
            except PermissionDenied:
                form.add_error(None, _("Only the reviewed agent acknowledges a review."))
            except DomainError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Thank you: the review is acknowledged."))
                return redirect(reverse("audit:review", args=[pk]))
        return self._page(request, pk, ack_form=form, status=400)


# --- check forms --------------------------------------------------------------------------------


class CheckFormListView(DeskView):
    section = "audit"

    def get(self, request):
        forms = [
            {"form": f, "items": len(f.items.all()), "max_points": selectors.form_max_points(f)}
            for f in selectors.form_list()
        ]
        return render(
            request,
            "audit/form_list.html",
            {"forms": forms, "is_admin": user_role(request.user) == Role.ADMINISTRATOR},
        )


class CheckFormDetailView(DeskView):
    section = "audit"

    def get(self, request, pk: int):
        check_form = selectors.form_list().filter(pk=pk).first()
        if check_form is None:
            raise Http404(_("No such check form."))
        return render(
            request,
            "audit/form_detail.html",
            {
                "check_form": check_form,
                "max_points": selectors.form_max_points(check_form),
                "is_admin": user_role(request.user) == Role.ADMINISTRATOR,
            },
        )


# --- the scorecard ------------------------------------------------------------------------------

HISTORY_ROWS = 20


class ScorecardView(DeskView):
    """Managers read the weights and their history; administrators change them."""

    section = "audit"
    roles = MANAGERS

    def _page(self, request, *, form=None, status=200):
        scorecard = Scorecard.current()
        is_admin = user_role(request.user) == Role.ADMINISTRATOR
        if form is None and is_admin:
            form = ScorecardForm(initial={**scorecard.weights, "version": scorecard.version})
        history = (
            list(scorecard.history.select_related("updated_by")[:HISTORY_ROWS])
            if scorecard.pk
            else []
        )
        parts = [(label, getattr(scorecard, name)) for name, label in SCORECARD_PARTS]
        rows = [
            {
                "at": h.history_date,
                "by": display_name(h.updated_by),
                "weights": [getattr(h, name) for name, _label in SCORECARD_PARTS],
            }
            for h in history
        ]
        return render(
            request,
            "audit/scorecard.html",
            {
                "scorecard": scorecard,
                "parts": parts,
                "labels": [label for _name, label in SCORECARD_PARTS],
                "history": rows,
                "form": form,
                "is_admin": is_admin,
            },
            status=status,
        )

    def get(self, request):
        return self._page(request)

    def post(self, request):
        if user_role(request.user) != Role.ADMINISTRATOR:
            raise PermissionDenied(_("Only administrators change the scorecard."))
        form = ScorecardForm(request.POST)
        if form.is_valid():
            try:
                services.scorecard_update(
                    by=request.user,
                    version=form.cleaned_data["version"],
                    weights=form.weights(),
                )
            except ConflictError as exc:
                form.add_error(None, exc.message)
            except (DomainError, ValidationError) as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The scorecard's weights are saved."))
                return redirect(reverse("audit:scorecard"))
        return self._page(request, form=form, status=400)
