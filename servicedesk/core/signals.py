from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import SESSION_TZ_KEY
from .models import Profile


@receiver(user_logged_in, dispatch_uid="core.remember_time_zone")
def remember_time_zone(sender, request, user, **kwargs):
    # Kept in the session so showing dates costs no query per request.
    tz = Profile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    if tz:
        request.session[SESSION_TZ_KEY] = tz
