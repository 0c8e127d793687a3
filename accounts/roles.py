"""Staff roles as Django groups. The permissions follow the names:

- finance: records money (gifts and their splits, batches, imports, recurring plans), funds
  and their general-ledger accounts; reads donors and campaigns.
- fundraising: donors (including merging duplicates), campaigns, sponsors and agreements,
  impact metrics, observations and reports (publishing them too); reads money records.
- read-only: reads everything, changes nothing.

Nobody but a superuser may delete a gift: a gift is voided, never removed.
"""

from django.apps import apps as global_apps

FINANCE = "finance"
FUNDRAISING = "fundraising"
READ_ONLY = "read-only"
STAFF_GROUPS = (FINANCE, FUNDRAISING, READ_ONLY)

# model label -> actions, per group. Anything not listed is "view" for every staff group.
ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    FINANCE: {
        "donors.gift": ("add", "change", "view"),
        "donors.giftallocation": ("add", "change", "view"),
        "donors.giftbatch": ("add", "change", "view", "close"),
        "donors.giftimport": ("add", "view"),
        "donors.recurringplan": ("add", "change", "view"),
        "donors.fund": ("add", "change", "view"),
        "donors.donor": ("change", "view"),
        "payments.stripeevent": ("change", "view"),  # change = retry a failed event
        "payments.refundrequest": ("add", "view"),
        "receipts.receipt": ("add", "change", "view"),  # add = issue; change = void, replace
        "receipts.receiptseries": ("add", "change", "view"),
        "receipts.organisation": ("add", "change", "view"),
        "receipts.statementrun": ("add", "view"),
        "sponsorships.sponsorpayment": ("add", "view"),
        "sponsorships.instalment": ("change", "view"),  # write-offs, invoices
        "sponsorships.disbursement": ("add", "view"),
        "reconciliation.period": ("add", "change", "view", "reopen"),
        "reconciliation.bankaccount": ("add", "change", "view"),
        "reconciliation.bankline": ("change", "view"),  # change = match and unmatch
        "reconciliation.bankrule": ("add", "change", "delete", "view"),
        "ledger.account": ("add", "change", "view"),  # the chart; entries only by posting
    },
    FUNDRAISING: {
        "donors.donor": ("add", "change", "view", "merge"),
        "donors.possibleduplicate": ("change", "view"),
        "donors.campaign": ("add", "change", "view"),
        "donors.recurringplan": ("change", "view"),
        "sponsorships.sponsor": ("add", "change", "view"),
        "sponsorships.sponsorcontact": ("add", "change", "view"),
        "sponsorships.tier": ("add", "change", "view"),
        "sponsorships.agreement": ("add", "change", "view"),
        "sponsorships.benefit": ("add", "change", "view"),
        "impact.metric": ("add", "change", "view"),
        "impact.subject": ("add", "change", "view"),
        "impact.observation": ("add", "change", "view"),
        "impact.integration": ("add", "change", "view"),  # change = revoke, new token
        "impact.report": ("add", "change", "view", "publish"),
        "impact.narrativesection": ("add", "change", "delete", "view"),
        "receipts.thankyoutext": ("add", "change", "delete", "view"),
    },
    READ_ONLY: {},
}
VIEWABLE_APPS = ("donors", "payments", "receipts", "sponsorships", "reconciliation", "impact",
                 "ledger")  # fmt: skip


def ensure_staff_groups(sender=None, apps=global_apps, **kwargs) -> None:
    """Create or update the staff groups; idempotent, runs after every migrate."""
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:
        return
    by_key = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=VIEWABLE_APPS
        )
    }
    if not by_key:
        return  # the apps' permissions are not created yet; a later signal will do it
    for name in STAFF_GROUPS:
        wanted = {p for (app, code), p in by_key.items() if code.startswith("view_")}
        for label, actions in ROLE_PERMISSIONS[name].items():
            app_label, model = label.split(".")
            for action in actions:
                perm = by_key.get((app_label, f"{action}_{model}"))
                if perm is not None:
                    wanted.add(perm)
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(wanted)
