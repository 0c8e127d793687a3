"""Error pages a person can read, in the organisation's colours, and a menu that offers only
what the person's role may open."""

import logging

import pytest
from django.test import Client

from receipts.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def branded(db):
    Organisation.objects.filter(pk=1).update(display_name="HAT", brand_colour="#114477")


def test_a_page_not_for_the_role_says_so_in_the_sites_own_page(branded, fundraising_client):
    answer = fundraising_client.get("/gifts/import/")
    page = answer.content.decode()
    assert answer.status_code == 403
    assert "This page is not for your role" in page and "HAT" in page and "#114477" in page
    assert "Import a file" not in page  # the menu does not offer it either


def test_finance_sees_import_and_read_only_staff_see_neither_import_nor_issue(
    finance_client, client
):
    from django.contrib.auth.models import Group

    from tests.conftest import login_with_second_factor
    from tests.factories import UserFactory

    assert "Import a file" in finance_client.get("/").content.decode()
    reader = UserFactory(is_staff=True)
    reader.groups.add(Group.objects.get(name="read-only"))
    login_with_second_factor(client, reader)
    page = client.get("/").content.decode()
    assert "Import a file" not in page and "Gifts" in page and "Waiting for a receipt" in page
    runs = client.get("/receipts/statements/")  # they read the runs, and start none
    assert runs.status_code == 200 and "Finance starts the runs" in runs.content.decode()
    assert client.post("/receipts/statements/", {"year": 2025}).status_code == 403


def test_an_unknown_page_is_a_readable_404(branded, finance_client):
    answer = finance_client.get("/no/such/page/")
    assert answer.status_code == 404
    assert "Nothing here" in answer.content.decode() and "HAT" in answer.content.decode()


def test_a_server_error_gives_a_reference_that_the_log_holds(branded, settings, caplog):
    settings.ROOT_URLCONF = "tests.staff.boom_urls"
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        answer = client.get("/boom/")
    page = answer.content.decode()
    assert answer.status_code == 500 and "Something went wrong on our side" in page
    assert "HAT" in page and "a bug in a page" not in page  # no trace for the visitor
    reference = page.split("<code>")[1].split("</code>")[0]
    assert f"Server error {reference} on GET /boom/" in caplog.text
    assert "a bug in a page" in caplog.text  # the details are in the log
