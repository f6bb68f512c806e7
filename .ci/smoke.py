"""Drives a running desk over HTTP: login page, every demo login, and a task round trip."""

import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BASE = sys.argv[1]
DEMO_PASSWORD = "desk-demo-2026"  # noqa: S105 - the published demo password
USERS = ["admin", "chen", "wangli", "zhaolei", "liuyang", "sunmei"]


def client():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def csrf(jar):
    return next(c.value for c in jar if c.name == "csrftoken")


def wait_for_login_page(timeout=180):
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(f"{BASE}/accounts/login/", timeout=5) as resp:  # noqa: S310
                if resp.status == 200 and b"Log in" in resp.read():
                    print(f"login page served after {time.monotonic() - started:.0f}s")
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(2)
    raise SystemExit(f"login page not served within {timeout}s")


def log_in(username):
    opener, jar = client()
    opener.open(f"{BASE}/accounts/login/", timeout=10)
    data = urllib.parse.urlencode(
        {
            "username": username,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": csrf(jar),
        }
    ).encode()
    with opener.open(f"{BASE}/accounts/login/", data=data, timeout=10) as resp:
        html = resp.read().decode()
        if resp.url.rstrip("/") != BASE or "My work" not in html:
            raise SystemExit(f"{username} could not log in (landed on {resp.url})")
    print(f"logged in: {username}")
    return opener, jar


def task_round_trip(opener, jar, timeout=90):
    request = urllib.request.Request(
        f"{BASE}/api/v1/system/pings/",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json", "X-CSRFToken": csrf(jar), "Referer": BASE},
    )
    with opener.open(request, timeout=10) as resp:
        ping = json.load(resp)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with opener.open(f"{BASE}/api/v1/system/pings/{ping['id']}/", timeout=10) as resp:
            ping = json.load(resp)
        if ping["completed_at"]:
            print(
                f"task sent by the web process ran on worker {ping['worker']} "
                f"after {time.monotonic() - started:.1f}s"
            )
            return
        time.sleep(1)
    raise SystemExit("the worker did not run the task in time")


if __name__ == "__main__":
    wait_for_login_page()
    sessions = {u: log_in(u) for u in USERS}
    task_round_trip(*sessions["admin"])
    assert re.match(r"^http://127\.0\.0\.1:\d+$", BASE)
    print("smoke test passed")
