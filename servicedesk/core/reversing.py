"""reverse() of addresses that take no arguments, once per process.

Every page's shell names the same dozen fixed addresses (the sections, the language switch, the
account links); reverse() walks the resolver for each one on every request (~20 µs apiece, about a
tenth of a bare page's time).
"""

from functools import lru_cache

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=256)
def _reverse(name: str, prefix: str, urlconf) -> str:
    return reverse(name, urlconf=urlconf)


def fixed_url(name: str) -> str:
    """reverse(name) for a URL without arguments; the script prefix and a request's own urlconf
    are part of the key, so a desk mounted under a path still gets its own addresses."""
    return _reverse(name, get_script_prefix(), get_urlconf())


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    # Tests that swap ROOT_URLCONF must not see addresses from the previous one.
    if setting == "ROOT_URLCONF":
        _reverse.cache_clear()
