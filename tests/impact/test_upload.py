"""Observations uploaded as CSV by staff: all rows or none, errors naming the line and the
column, and the same file uploaded twice adds nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from impact.models import Observation

pytestmark = pytest.mark.django_db

GOOD = """subject,metric,period_start,period_end,value,external_id,note
mat,teens_reached,2026-07-01,2026-07-31,"40,000",,launch month
mat,teens_reached,2026-08-01,2026-08-31,50000,aug,
mat,model_followers,2026-08-01,2026-08-31,3100000.5,,
"""


def _upload(client, text: str, name: str = "obs.csv"):
    return client.post(reverse("impact_overview"),
                       {"file": SimpleUploadedFile(name, text.encode())})  # fmt: skip


def test_a_good_file_is_saved_and_uploading_it_again_changes_nothing(programme, fundraising_client):
    assert _upload(fundraising_client, GOOD).status_code == 302
    assert Observation.objects.count() == 3
    assert set(Observation.objects.values_list("source", flat=True)) == {"csv"}
    assert str(Observation.objects.get(external_id="", metric__key="teens_reached").value) \
        == "40000.0000"  # fmt: skip
    assert _upload(fundraising_client, GOOD.replace("50000", "51000")).status_code == 302
    assert Observation.objects.count() == 3
    assert Observation.objects.get(external_id="aug").value == 51000


def test_bad_rows_are_named_by_line_and_column_and_nothing_is_saved(programme, fundraising_client):
    bad = GOOD + (
        "mat,teens_reached,2026-09-01,2026-08-31,5,,\n"
        "mat,teens_reach,2026-09-01,2026-09-30,5,,\n"
        "nobody,teens_reached,2026-09-01,2026-09-30,lots,,\n"
        "mat,teens_reached,01/09/2026,2026-09-30,5,,\n"
    )
    response = _upload(fundraising_client, bad)
    page = response.content.decode()
    assert response.status_code == 200
    for said in ["Line 7, value: &#x27;lots&#x27; is not a number",
                 "Line 8, period_start: &#x27;01/09/2026&#x27; is not a date"]:  # fmt: skip
        assert said in page, said
    # The rows that parse are checked against the subjects and metrics in the same answer.
    assert "Line 5, period_end: the period ends before it starts" in page
    assert "Line 6, metric: no metric has the key &#x27;teens_reach&#x27;" in page
    assert not Observation.objects.exists()


def test_a_file_without_the_needed_columns_is_refused(programme, fundraising_client):
    page = _upload(fundraising_client, "subject,value\nmat,3\n").content.decode()
    assert "missing column(s): metric, period_start, period_end" in page


def test_read_only_staff_cannot_upload(programme, finance_client):
    assert _upload(finance_client, GOOD).status_code == 403
    assert not Observation.objects.exists()


def test_a_file_of_a_million_columns_is_refused_clearly_and_nothing_is_saved(
    programme, fundraising_client
):
    header = "subject,metric,period_start,period_end,value" + ",x" * 1_000_000
    row = "mat,teens_reached,2026-07-01,2026-07-31,5" + ",1" * 1_000_000
    response = _upload(fundraising_client, f"{header}\n{row}\n")
    page = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "Line 1, header: 1,000,005 columns, unknown: &#x27;x&#x27;" in page
    assert "and 999,995 more" in page
    assert not Observation.objects.exists()


def test_a_row_with_more_values_than_the_header_is_named(programme, fundraising_client):
    page = _upload(fundraising_client, GOOD + "mat,teens_reached,2026-09-01,2026-09-30,5,,,x,y\n")
    text = " ".join(page.content.decode().split())
    assert "Line 5, file: 9 values; the header has 7 columns" in text
    assert not Observation.objects.exists()
