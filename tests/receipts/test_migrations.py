"""Runs recorded before notes had their own table keep what they said."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import DonorFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _back_to_the_latest_migrations():
    """The tests after this one need every migration applied again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("receipts"))


def _migrate_receipts(name: str):
    executor = MigrationExecutor(connection)
    executor.migrate([("receipts", name)])
    return executor.loader.project_state([("receipts", name)]).apps


def test_a_runs_skipped_list_becomes_its_notes():
    donor = DonorFactory(first_name="Ana", last_name="Lee")
    apps = _migrate_receipts("0007_organisation_bank_details")
    no_email = "no e-mail address: issued, to be posted"
    refused = "Gone has no address: a Canadian receipt must show it"
    run = apps.get_model("receipts", "StatementRun").objects.create(
        year=2025, jurisdiction="CA", skipped=[
            {"donor": donor.pk, "name": "Ana Lee", "reason": no_email},
            {"donor": donor.pk + 99, "name": "Gone", "reason": refused},  # since deleted
        ],
    )  # fmt: skip
    apps = _migrate_receipts("0008_statement_run_notes")
    notes = apps.get_model("receipts", "StatementRunNote").objects.filter(run_id=run.pk)
    assert list(notes.order_by("pk").values_list("donor_id", "donor_name", "reason", "detail")) == [
        (donor.pk, "Ana Lee", "no_email", ""),
        (None, "Gone", "refused", refused),
    ]
