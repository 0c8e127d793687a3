import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from accounts.mfa import totp_code_now
from tests.conftest import login_with_second_factor
from tests.factories import DonorFactory, UserFactory

STAFF_PAGES = ["/", "/admin/", "/admin/donors/gift/", "/admin/donors/donor/", "/gifts/import/"]
pytestmark = pytest.mark.django_db


def test_groups_exist_with_permissions_matching_their_names():
    perms = {
        g.name: set(g.permissions.values_list("codename", flat=True))
        for g in Group.objects.prefetch_related("permissions")
    }
    assert {"finance", "fundraising", "read-only"} <= set(perms)
    assert {"add_gift", "change_gift", "close_giftbatch", "add_giftimport"} <= perms["finance"]
    assert "merge_donor" not in perms["finance"]
    assert {"add_donor", "merge_donor", "add_campaign"} <= perms["fundraising"]
    assert "add_gift" not in perms["fundraising"]
    assert all(p.startswith("view_") for p in perms["read-only"])
    assert "view_gift" in perms["read-only"]
    assert not any(p.startswith("delete_gift") for g in perms.values() for p in g)


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_without_a_second_factor_cannot_open_staff_pages(client, path):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_whose_session_skipped_the_second_factor_must_pass_it(client, path):
    staff = UserFactory(is_staff=True, is_superuser=True)
    TOTP.activate(staff, "JBSWY3DPEHPK3PXP")
    client.force_login(staff)  # e.g. signed in with an e-mailed code
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_reauthenticate"))


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_with_a_second_factor_in_this_session_get_in(admin_client_mfa, path):
    assert admin_client_mfa.get(path).status_code == 200


def test_the_real_sign_in_asks_for_password_then_totp(client):
    staff = UserFactory(email="farah@example.org", is_staff=True, is_superuser=True)
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    TOTP.activate(staff, secret)
    response = client.post(
        reverse("account_login"),
        {"login": "farah@example.org", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302  # not signed in yet
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code_now(secret)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/").status_code == 200


def test_the_admin_login_page_is_allauths(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_nobody_can_sign_themselves_up(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": "x" * 20, "password2": "x" * 20},
    )
    from accounts.models import User

    assert not User.objects.filter(email="new@example.org").exists()
    assert response.status_code in (200, 302)


def test_pages_require_sign_in_by_default(client):
    for path in ["/", "/me/", "/gifts/import/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    assert client.get("/health/").status_code == 200


def test_a_donor_signs_in_with_an_emailed_code_and_no_password(client):
    user = UserFactory(email="dana@example.net", password=None)
    user.set_unusable_password()
    user.save()
    DonorFactory(email="dana@example.net", user=user, first_name="Dana")
    response = client.post(reverse("account_request_login_code"), {"email": "dana@example.net"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    code = body.split("browser window.")[1].strip().splitlines()[0].strip()
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("my_gifts")
    assert b"Thank you, Dana" in response.content


def test_a_staff_page_is_forbidden_to_a_staff_member_without_the_permission(client):
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name="fundraising"))
    login_with_second_factor(client, staff)
    assert client.get("/gifts/import/").status_code == 403


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS": "1",
        "SECRET_KEY": "prod-" + "k7#Qv!2xLp9@Zr4&Wm8^Ty6*Hn3%Bd5$" * 2,
        "ALLOWED_HOSTS": "office.example.org",
        "DJANGO_SETTINGS_MODULE": "backoffice.settings",
        "S3_BUCKET": "hfa-office-files",  # stored files on object storage
    }

    def manage(*args):
        root = Path(__file__).resolve().parents[2]
        command = [sys.executable, "manage.py", *args]
        return subprocess.run(command, env=env, cwd=root, text=True, capture_output=True)

    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    code = "from django.core.files.storage import default_storage as s; print(s.bucket_name)"
    assert manage("shell", "--no-imports", "-c", code).stdout.strip() == "hfa-office-files"
