import datetime as dt
import os

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from django.contrib.auth.models import Group

from tests.factories import UserFactory

# The processes the tests start (task workers, commands) are not under pytest, and a worker
# without DEBUG refuses to start with the development key: they get a key of the suite's.
os.environ.setdefault("SECRET_KEY", "tests-only-" + "k" * 50)


@pytest.fixture(autouse=True)
def _fast_and_immediate(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


# An organisation whose legal details are complete, as every real one's are before it issues
# a receipt (receipts refuse to issue without them). The tests of that refusal blank them.
REGISTERED_DETAILS = {
    "legal_name": "Humans Against Trafficking", "address": "1 Music Row\nNashville TN 37203",
    "registration_number": "888888888RR0001", "ein": "12-3456789",
    "place_of_issue": "Toronto, Ontario", "signatory_name": "Farah Finance",
    "signatory_title": "Finance director",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _registered_organisation(request):
    uses = set(request.fixturenames)
    if not ({"db", "transactional_db"} & uses or request.node.get_closest_marker("django_db")):
        return
    for name in ("transactional_db", "db"):  # the test's own kind of access, set up first
        if name in uses:
            request.getfixturevalue(name)
            break
    from receipts.models import Organisation

    Organisation.objects.update_or_create(pk=1, defaults=REGISTERED_DETAILS)


def login_with_second_factor(client, user) -> None:
    """What a completed allauth sign-in with password and TOTP leaves in the session.
    (tests/accounts/test_mfa.py walks the real flow once; other tests start here.)"""
    from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
    from allauth.mfa.models import Authenticator

    if not Authenticator.objects.filter(user=user, type="totp").exists():
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
    session = client.session
    now = dt.datetime.now().timestamp()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now, "email": user.email},
        {"method": "mfa", "at": now, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def _staff(group: str | None, superuser: bool = False):
    user = UserFactory(is_staff=True, is_superuser=superuser)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def finance_user(db):
    return _staff("finance")


@pytest.fixture
def fundraising_user(db):
    return _staff("fundraising")


@pytest.fixture
def finance_client(client, finance_user):
    login_with_second_factor(client, finance_user)
    return client


@pytest.fixture
def fundraising_client(client, fundraising_user):
    login_with_second_factor(client, fundraising_user)
    return client


@pytest.fixture
def admin_client_mfa(client, db):
    login_with_second_factor(client, _staff(None, superuser=True))
    return client
