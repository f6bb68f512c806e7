from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from simple_history.signals import pre_create_historical_record

from .middleware import SESSION_TZ_KEY, touch_session
from .models import Profile


@receiver(user_logged_in, dispatch_uid="core.remember_time_zone")
def remember_time_zone(sender, request, user, **kwargs):
    # Kept in the session so showing dates costs no query per request.
    tz = Profile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    if tz:
        request.session[SESSION_TZ_KEY] = tz
    # Signing in saves the session anyway: its idle clock starts now, so the first page after
    # signing in writes nothing.
    touch_session(request.session)


@receiver(pre_create_historical_record, dispatch_uid="core.fit_change_reason")
def fit_change_reason(sender, history_instance, **kwargs):
    """A history row's change reason holds 100 characters: a longer one (a cancel reason, a merge
    naming a long customer name, an import's file name) would make the whole write fail. The full
    text stays where the flow logs it (StatusChange.reason, the merge's note); the history keeps
    its start."""
    reason = history_instance.history_change_reason
    limit = history_instance._meta.get_field("history_change_reason").max_length
    if reason and limit and len(reason) > limit:
        history_instance.history_change_reason = reason[: limit - 1] + "…"
