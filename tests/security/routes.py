"""Every URL pattern the resolver knows, and one request to one of them as one role."""

import json
import re
from dataclasses import dataclass

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

_ARG = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")
_POSITIONAL = re.compile(r"(?<!\\)\((?!\?)")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the pattern itself for an unnamed one
    pattern: str
    args: tuple[str, ...]
    positional: bool = False  # an unnamed regex group: only reachable by a hand-made URL
    named: bool = True

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith(("api/", "^api/"))


def walk(resolver=None, prefix: str = "", namespace: str = ""):
    """Yield a Route per URL pattern, depth first, with its namespaced name and full pattern."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from walk(entry, pattern, inner)
        elif isinstance(entry, URLPattern):
            # An unnamed pattern is known by its pattern, inside its namespace all the same.
            name = ":".join(filter(None, [namespace, entry.name or pattern]))
            args = tuple(a or b for a, b in _ARG.findall(pattern))
            yield Route(name, pattern, args, bool(_POSITIONAL.search(pattern)), bool(entry.name))


def all_routes() -> dict[str, Route]:
    # The same name can be registered twice (the login view is); the first one resolves.
    routes: dict[str, Route] = {}
    for route in walk():
        routes.setdefault(route.name, route)
    return routes


def url_for(route: Route, values: dict, unnamed: dict) -> str:
    if not route.named:
        # A plain path pattern is its own URL; a regex one needs a hand-made URL (matrix).
        return unnamed.get(route.name) or "/" + route.pattern
    return reverse(route.name, kwargs={arg: values[arg] for arg in route.args})


def client_for(role: str, world) -> Client:
    """A browser-like client: a session for staff, an API key header for the integration."""
    if role == "integration":
        return Client(HTTP_AUTHORIZATION=f"Token {world.token}")
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def send(client: Client, route: Route, url: str, method: str, body: dict | None = None):
    if method == "GET":
        return client.get(url)
    if route.is_api:
        return client.post(url, data=json.dumps(body or {}), content_type="application/json")
    return client.post(url, body or {})
