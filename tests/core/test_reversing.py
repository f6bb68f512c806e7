from django.test import override_settings
from django.urls import reverse, set_script_prefix

from servicedesk.core.reversing import fixed_url


def test_fixed_url_is_reverse():
    for name in ("core:my_work", "core:account", "set_language", "logout", "api-docs"):
        assert fixed_url(name) == reverse(name)


def test_fixed_url_follows_the_script_prefix():
    # A desk mounted under /desk/ must link inside it, even after the root's address was cached.
    root = fixed_url("core:account")
    set_script_prefix("/desk/")
    try:
        assert fixed_url("core:account") == "/desk" + root
    finally:
        set_script_prefix("/")
    assert fixed_url("core:account") == root


def test_fixed_url_forgets_a_swapped_urlconf():
    root = fixed_url("core:account")
    with override_settings(ROOT_URLCONF="bench.urls"):
        assert fixed_url("bench_floor") == "/bench/floor/"
    with override_settings(ROOT_URLCONF="tests.core.urls_mounted"):
        assert fixed_url("core:account") == "/mounted" + root
    assert fixed_url("core:account") == root
