from django.utils.functional import SimpleLazyObject

from . import navigation
from .reversing import fixed_url
from .roles import user_role


def desk(request):
    # A request refused before authentication (e.g. an unknown Host) has no user: render plainly.
    role = user_role(getattr(request, "user", None))
    if role is None:
        return {"desk_role": None, "desk_nav": []}
    section = getattr(getattr(request, "resolver_match", None), "kwargs", {}) or {}
    current = getattr(request, "desk_section", None) or section.get("section")
    nav = []
    for item in navigation.items():
        if item.roles and role not in item.roles:
            continue
        url = fixed_url(item.url_name)
        active = item.key == current or (item.key != "my_work" and request.path.startswith(url))
        nav.append({"key": item.key, "label": item.label, "url": url, "active": active})
    from .notifications import unread_count

    # Lazy: the count query runs only when a template shows the badge, once per request.
    unread = SimpleLazyObject(lambda: unread_count(request.user))
    return {"desk_role": role, "desk_nav": nav, "desk_unread": unread}
