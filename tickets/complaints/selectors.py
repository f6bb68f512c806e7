"""Reads for complaints."""

from django.db.models import F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import ComplaintAction


def surprise_breaches(queryset: QuerySet | None = None) -> QuerySet[ComplaintAction]:
    """Actions that broke their date without the customer being told in advance: open past their
    due date, or done after it. Telling the customer moves the date (complaint_action_told), so an
    action done by its new date is no breach; reported apart from merely overdue ones."""
    qs = queryset if queryset is not None else ComplaintAction.objects.all()
    done_day = TruncDate("done_at", tzinfo=timezone.get_current_timezone())
    open_late = Q(done_at=None, due_date__lt=timezone.localdate())
    done_late = Q(done_at__isnull=False, done_day__gt=F("due_date"))
    return qs.annotate(done_day=done_day).filter(open_late | done_late)
