"""Sign-in rate limits hold across server processes (they live in the shared cache, the
database by default), and codes by e-mail are rate-limited per address and per IP."""

import time

import pytest
from django.core import mail
from django.core.cache.backends import locmem
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _as_another_process():
    """What a second server process has of this one's memory: nothing."""
    for memory in (*locmem._caches.values(), *locmem._expire_info.values()):
        memory.clear()


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_a_second_process_keeps_throttling_an_account_the_first_throttled(client):
    UserFactory(email="finance.target@example.org")
    for _ in range(5):
        assert _login(client, "finance.target@example.org", "wrong-guess").status_code == 200
    _as_another_process()
    response = _login(client, "finance.target@example.org", "correct horse battery staple")
    assert response.status_code == 200  # the form again, not a redirect into the site
    assert b"Too many failed login attempts" in response.content


def _request_code(client, email, ip="203.0.113.9"):
    return client.post(reverse("account_request_login_code"), {"email": email}, REMOTE_ADDR=ip)


def test_codes_by_e_mail_are_throttled_per_address_also_across_processes(client):
    user = UserFactory(email="dana@example.net")
    user.set_unusable_password()
    user.save()
    for _ in range(3):
        assert _request_code(client, "dana@example.net").status_code == 302
        client.cookies.clear()
    _as_another_process()
    response = _request_code(client, "dana@example.net")
    assert response.status_code == 200
    assert b"Too many" in response.content
    assert len(mail.outbox) == 3


class _Clock:
    """The rate limits' clock, moved on by the test (their lock waits keep real time)."""

    def __init__(self, start: float):
        self.now = start
        self.monotonic, self.sleep = time.monotonic, time.sleep

    def time(self) -> float:
        return self.now


def test_codes_by_e_mail_are_capped_per_hour_per_address_and_per_ip(client, monkeypatch):
    from allauth.core.internal import ratelimit

    clock = _Clock(1_900_000_000.0)
    monkeypatch.setattr(ratelimit, "time", clock)
    user = UserFactory(email="dana@example.net")
    user.set_unusable_password()
    user.save()
    sent = 0
    for _ in range(5):  # three a minute for five minutes would be fifteen
        for _ in range(3):
            if _request_code(client, "dana@example.net").status_code == 302:
                sent += 1
            client.cookies.clear()
        clock.now += 61
    assert sent == 10
    # One IP asking for codes for many addresses is capped too.
    others = [f"someone{n}@example.net" for n in range(70)]
    for email in others:
        UserFactory(email=email)
    answered = 0
    for email in others:
        clock.now += 4  # under twenty a minute: the hourly cap is what stops it
        if _request_code(client, email, ip="198.51.100.7").status_code == 302:
            answered += 1
        client.cookies.clear()
    assert answered == 60
