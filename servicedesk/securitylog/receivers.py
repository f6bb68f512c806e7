"""Security events that Django signals carry: sign-in and sign-out, role (group) and department
membership changes, however they are made (the desk's services or the admin)."""

from django.contrib.auth import get_user_model, user_logged_in, user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from simple_history.models import HistoricalRecords

from servicedesk.core.models import DepartmentMembership

from .models import EventKind
from .services import record


def _current_request():
    # The request simple-history's middleware keeps for the duration of a request: the admin
    # or staff member making the change, and their address.
    return getattr(HistoricalRecords.context, "request", None)


def _actor(request):
    user = getattr(request, "user", None)
    return user.get_username() if user is not None and user.is_authenticated else ""


@receiver(user_logged_in)
def signed_in(sender, request, user, **kwargs):
    record(EventKind.SIGN_IN, request=request, user=user)


@receiver(user_logged_out)
def signed_out(sender, request, user, **kwargs):
    if user is not None:
        record(EventKind.SIGN_OUT, request=request, user=user)


@receiver(m2m_changed, sender=get_user_model().groups.through)
def groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    # post_add's pk_set holds only the groups really added; an empty one changed nothing.
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    if action != "post_clear" and not pk_set:
        return
    from django.contrib.auth.models import Group

    names = sorted(Group.objects.filter(pk__in=pk_set or ()).values_list("name", flat=True))
    request = _current_request()
    record(
        EventKind.ROLE_CHANGED,
        request=request,
        user=instance,
        change=action.removeprefix("post_"),
        groups=names,
        by=_actor(request),
    )


def _membership(instance, change: str) -> None:
    request = _current_request()
    detail = {
        "change": change,
        "department": instance.department_id,
        "is_manager": instance.is_manager,
        "by": _actor(request),
    }
    if change != "remove":
        record(EventKind.DEPARTMENT_CHANGED, request=request, user=instance.user, **detail)
        return
    # A removal may be part of deleting the account itself: written once the deletion is
    # committed, naming the account only if it still exists.
    user_id, username = instance.user_id, instance.user.get_username()

    def write():
        user = get_user_model().objects.filter(pk=user_id).first()
        record(
            EventKind.DEPARTMENT_CHANGED, request=request, user=user, username=username, **detail
        )

    transaction.on_commit(write)


@receiver(post_save, sender=DepartmentMembership)
def membership_saved(sender, instance, created, **kwargs):
    _membership(instance, "add" if created else "change")


@receiver(post_delete, sender=DepartmentMembership)
def membership_deleted(sender, instance, **kwargs):
    _membership(instance, "remove")
