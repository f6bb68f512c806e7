from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from . import navigation
from .roles import user_role


def desk(request):
    # A request refused before authentication (e.g. an unknown Host) has no user: render plainly.
    role = user_role(getattr(request, "user", None))
    if role is None:
        return {"desk_role": None, "desk_nav": []}
    section = getattr(getattr(request, "resolver_match", None), "kwargs", {}) or {}
    current = getattr(request, "desk_section", None) or section.get("section")
    nav = [
        {
            "key": item.key,
            "label": item.label,
            "url": reverse(item.url_name),
            "active": item.key == current
            or request.path.startswith(reverse(item.url_name))
            and item.key != "my_work",
        }
        for item in navigation.items()
        if not item.roles or role in item.roles
    ]
    from .notifications import unread_count

    # Lazy: the count query runs only when a template shows the badge, once per request.
    unread = SimpleLazyObject(lambda: unread_count(request.user))
    return {"desk_role": role, "desk_nav": nav, "desk_unread": unread}
