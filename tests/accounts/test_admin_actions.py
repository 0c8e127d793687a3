"""Every admin action of every admin is offered only to the staff whose role allows it, and
the service behind it refuses the others too (a page that forgot its check still cannot act)."""

import fnmatch

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login_with_second_factor
from tests.factories import UserFactory, posted_gift

pytestmark = pytest.mark.django_db

ROLES = ["finance", "fundraising", "read-only"]

# What each action needs. An action missing here fails the walk: say what it needs first.
NEEDS = {
    ("donors.gift", "void_gifts"): "donors.change_gift",
    ("donors.donor", "merge_donors"): "donors.merge_donor",
    ("donors.possibleduplicate", "merge"): "donors.merge_donor",
    ("donors.possibleduplicate", "dismiss"): "donors.change_possibleduplicate",
    ("sponsorships.sponsorcontact", "invite"): "sponsorships.change_sponsorcontact",
    ("sponsorships.agreement", "schedule_*"): "sponsorships.change_agreement",
    ("sponsorships.instalment", "invoice_through_stripe"): "sponsorships.change_instalment",
    ("sponsorships.instalment", "send_reminder"): "sponsorships.change_instalment",
    ("impact.integration", "revoke"): "impact.change_integration",
    ("impact.integration", "rotate"): "impact.change_integration",
    ("payments.stripeevent", "retry"): "payments.change_stripeevent",
    ("receipts.receipt", "replace"): "receipts.change_receipt",
    ("receipts.receipt", "send_again"): "receipts.change_receipt",
}


def _needs(label: str, action: str) -> str:
    if action == "delete_selected":
        return label.replace(".", ".delete_")
    for (model, pattern), permission in NEEDS.items():
        if model == label and fnmatch.fnmatch(action, pattern):
            return permission
    raise AssertionError(f"{label}: action {action!r} has no expected permission in NEEDS")


def _staff(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.mark.parametrize("role", ROLES)
def test_every_action_of_every_admin_is_offered_exactly_to_the_roles_allowed(role):
    user = _staff(role)
    request = RequestFactory().get("/admin/")
    request.user = user
    walked = 0
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if not model_admin.has_view_or_change_permission(request):
            continue
        offered = set(model_admin.get_actions(request))
        for action in {name for _, name, _ in model_admin._get_base_actions()}:
            allowed = user.has_perm(_needs(label, action))
            assert (action in offered) == allowed, f"{role}: {label} {action}"
            walked += 1
    assert walked > 20


def test_read_only_staff_posting_an_action_change_nothing(
    client, django_capture_on_commit_callbacks
):
    from impact.models import Integration
    from impact.services import integration_create

    gift = posted_gift(amount=5_000)
    integration, _ = integration_create(name="Dashboard", key="dash", by=None)
    login_with_second_factor(client, _staff("read-only"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:donors_gift_changelist"), {
            "action": "void_gifts", "_selected_action": [gift.pk], "reason": "test",
        })  # fmt: skip
        response = client.post(reverse("admin:impact_integration_changelist"), {
            "action": "rotate", "_selected_action": [integration.pk],
        }, follow=True)  # fmt: skip
    gift.refresh_from_db()
    assert gift.status == "posted"
    assert Integration.objects.get().token_sha256 == integration.token_sha256
    assert b"shown only now" not in response.content


@pytest.mark.parametrize(
    ("role", "call"),
    [
        ("read-only", "void_gift"), ("fundraising", "void_gift"),
        ("finance", "merge"), ("read-only", "dismiss"),
        ("finance", "invite"), ("read-only", "rotate"), ("read-only", "revoke"),
        ("read-only", "schedule"), ("fundraising", "remind"), ("fundraising", "invoice"),
        ("read-only", "retry"), ("fundraising", "replace_receipt"),
    ],
)  # fmt: skip
def test_the_services_refuse_staff_whose_role_does_not_allow_it(role, call):
    from donors.models import PossibleDuplicate
    from donors.services import donor_merge, duplicate_dismiss, gift_void
    from impact.services import integration_create, integration_revoke, integration_rotate
    from payments.models import StripeEvent
    from payments.services import event_retry
    from receipts.services import receipt_issue, receipt_replace
    from sponsorships.invoicing import instalment_invoice_stripe
    from sponsorships.models import SponsorContact
    from sponsorships.notices import contact_invite, instalment_send_reminder
    from sponsorships.services import agreement_schedule
    from tests.factories import DonorFactory, SponsorFactory, agreement

    by = _staff(role)
    calls = {
        "void_gift": lambda: gift_void(gift=posted_gift(), reason="x", by=by),
        "merge": lambda: donor_merge(keep=DonorFactory(), merge=DonorFactory(), by=by),
        "dismiss": lambda: duplicate_dismiss(
            duplicate=PossibleDuplicate.objects.create(donor=DonorFactory(), other=DonorFactory()),
            by=by,
        ),
        "invite": lambda: contact_invite(
            contact=SponsorContact.objects.create(
                sponsor=SponsorFactory(), name="Kim", email="kim@sponsor.example"
            ),
            by=by,
        ),
        "rotate": lambda: integration_rotate(
            integration=integration_create(name="A", key="a", by=None)[0], by=by
        ),
        "revoke": lambda: integration_revoke(
            integration=integration_create(name="B", key="b", by=None)[0], by=by
        ),
        "schedule": lambda: agreement_schedule(agreement=agreement(), frequency="yearly", by=by),
        "remind": lambda: instalment_send_reminder(
            instalment=agreement().instalments.first(), by=by
        ),
        "invoice": lambda: instalment_invoice_stripe(
            instalment=agreement().instalments.first(), by=by
        ),
        "retry": lambda: event_retry(
            event=StripeEvent.objects.create(
                stripe_id="evt_1", type="x", status="failed", created=timezone.now(), body="{}"
            ),
            by=by,
        ),
        "replace_receipt": lambda: receipt_replace(
            receipt=receipt_issue(
                gifts=[posted_gift(amount=30_000)], kind="gift", jurisdiction="US", by=None
            ),
            reason="x",
            by=by,
        ),  # fmt: skip
    }
    with pytest.raises(PermissionDenied, match="may not"):
        calls[call]()
