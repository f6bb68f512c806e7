"""Writing the security log, and the sign-in lock-out that reads it.

The lock-out counts failed sign-ins in the log itself, so every process shares it through the
database, with or without Redis, and a restart forgets nothing. On PostgreSQL an account's sign-in
attempts run one at a time (an advisory lock held until the failure is written), so parallel
guesses cannot slip past the limit between the count and the write."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from servicedesk.core import ratelimit

from .models import EventKind, SecurityEvent


def client_address(request) -> str | None:
    """ratelimit.client_address, or None (the log's column is nullable, not blank)."""
    return ratelimit.client_address(request) or None


def record(kind: str, *, request=None, user=None, username: str = "", **detail) -> SecurityEvent:
    if user is not None and not username:
        username = user.get_username()
    return SecurityEvent.objects.create(
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=(username or "")[:150],
        address=client_address(request),
        detail=detail,
    )


@dataclass(frozen=True)
class Lock:
    """Why sign-in is refused and until when (None when it is not)."""

    reason: str  # "account" or "address"
    until: datetime


def _window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)


def lock_for(username: str, address: str | None, *, now: datetime | None = None) -> Lock | None:
    """The lock on this account or address, if its recent failures reached the limit. An
    account's count starts again after its last successful sign-in."""
    now = now or timezone.now()
    since = now - _window()
    key = (username or "").casefold()
    recent = SecurityEvent.objects.filter(username_key=key, at__gte=since).filter(
        kind__in=[EventKind.SIGN_IN_FAILED, EventKind.SIGN_IN]
    )
    last_ok = recent.filter(kind=EventKind.SIGN_IN).order_by("-at").values_list("at", flat=True)
    failed = recent.filter(kind=EventKind.SIGN_IN_FAILED)
    if last_ok := last_ok.first():
        failed = failed.filter(at__gt=last_ok)
    limit = settings.LOGIN_FAILURE_LIMIT_ACCOUNT
    times = list(failed.order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) >= limit:
        return Lock("account", times[-1] + _window())
    if address:
        limit = settings.LOGIN_FAILURE_LIMIT_ADDRESS
        times = list(
            SecurityEvent.objects.filter(
                kind=EventKind.SIGN_IN_FAILED, address=address, at__gte=since
            )
            .order_by("-at")
            .values_list("at", flat=True)[:limit]
        )
        if len(times) >= limit:
            return Lock("address", times[-1] + _window())
    return None


def serialise_attempts(username: str) -> None:
    """Inside a transaction: wait for any other sign-in attempt on this account to finish."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                ["signin:" + (username or "").casefold()],
            )


def guarded_sign_in(request, username: str, check_password):
    """Run `check_password()` (returns a user or None) unless the account or address is locked,
    logging the outcome. Returns (user or None, Lock or None)."""
    address = client_address(request)
    with transaction.atomic():
        serialise_attempts(username)
        lock = lock_for(username, address)
        if lock is not None:
            record(EventKind.LOCKED_OUT, request=request, username=username, reason=lock.reason)
            return None, lock
        user = check_password()
        if user is None:
            record(EventKind.SIGN_IN_FAILED, request=request, username=username)
        return user, None
