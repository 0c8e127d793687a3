"""Junk in any parameter of any of our own pages is a 400 or a 404, never a 500: every
parameter a view reads (found in its source) gets each junk value, by GET and by POST."""

import inspect
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from receipts.services import receipt_issue
from receipts.statements import statement_run_create
from tests.conftest import login_with_second_factor
from tests.factories import CampaignFactory, UserFactory, agreement, posted_gift

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
JUNK = ["abc", "1e9", "99999999999999999999999", "-1", "ZZ", "٣", "x\x00y"]
# Not ours to parse, or with their own checks and tests: the admin, allauth, the API (fuzzed
# from its OpenAPI description) and the Stripe webhook (signed).
SKIPPED = ("admin/", "accounts/", "api/", "stripe/webhook/")
PARAMETER = re.compile(r"request\.(?:GET|POST)(?:\.get|\.getlist)?\(?\[?\s*\"(\w+)\"")
REFERENCE = re.compile(
    r"(?:record_from|record_id|choice)\([^)]*?request\.(?:GET|POST),\s*\"(\w+)\""
)


def _pages():
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern), p.callback

    return [(route, view) for route, view in walk(get_resolver().url_patterns)
            if not route.startswith(SKIPPED)]  # fmt: skip


def _parameters(view) -> set[str]:
    """The parameters a view's module reads."""
    source = Path(inspect.getsourcefile(inspect.unwrap(view))).read_text()
    return set(PARAMETER.findall(source)) | set(REFERENCE.findall(source))


def test_every_parameter_of_every_page_answers_junk_without_a_500(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    login_with_second_factor(client, superuser)
    client.raise_request_exception = False
    gift = posted_gift(amount=30_000)
    receipt = receipt_issue(gifts=[gift], kind="gift", jurisdiction="US", by=None, deliver=False)
    run = statement_run_create(year=2025, jurisdiction="US", by=None)
    deal = agreement()
    values = {"pk": str(deal.pk), "part": "1", "campaign": CampaignFactory().code,
              "code": receipt.verification_code}  # fmt: skip
    pages = _pages()
    everywhere = {"status", "from", "to", "do", "reason", "part", "page"}
    names = everywhere.union(*(_parameters(view) for _, view in pages))
    assert {"gift", "jurisdiction", "split", "unmatch", "line", "kind", "item", "explain"} <= names
    failures = []
    for route, view in pages:
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), route)
        if "statements/<" in route:
            path = path.replace(f"/statements/{deal.pk}", f"/statements/{run.pk}")
        # Every parameter at once, then each of the view's own alone (a view that reads
        # one parameter first would not reach the others).
        tries = [dict.fromkeys(names, junk) for junk in JUNK]
        tries += [{name: junk} for name in _parameters(view) for junk in JUNK[:3]]
        for data in tries:
            for method in (client.get, client.post):
                status = method(path, data).status_code
                if status >= 500:
                    failures.append(f"{method.__name__.upper()} {path} {data}: {status}")
    assert failures == []
