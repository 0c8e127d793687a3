"""The chart of accounts a new organisation starts from (see the README's table). Funds'
income accounts that are not in it are added when first posted to."""

from django.db import migrations

CHART = [
    # code, name, type, restriction, is_bank
    ("1000", "Bank", "asset", "", True),
    ("1020", "Undeposited funds", "asset", "", False),
    ("1050", "Stripe clearing", "asset", "", False),
    ("1500", "Gifts in kind and securities", "asset", "", False),
    ("2300", "Sponsor payments not yet applied", "liability", "", False),
    ("3000", "Net assets without donor restrictions", "net_assets", "without", False),
    ("3100", "Net assets with donor restrictions", "net_assets", "with", False),
    ("3900", "Released from restriction (with donor restrictions)", "net_assets", "with", False),
    ("3910", "Released from restriction (without donor restrictions)", "net_assets", "without",
     False),
    ("4000", "Donations", "income", "without", False),
    ("4200", "Restricted donations", "income", "with", False),
    ("4500", "Sponsorship income", "income", "without", False),
    ("5100", "Prizes and grants paid", "expense", "", False),
    ("6100", "Stripe fees", "expense", "", False),
    ("6150", "Bank charges", "expense", "", False),
    ("6200", "Exchange differences", "expense", "", False),
]  # fmt: skip


def seed(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for code, name, type_, restriction, is_bank in CHART:
        Account.objects.get_or_create(
            code=code,
            defaults={"name": name, "type": type_, "restriction": restriction, "is_bank": is_bank},
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_the_database_keeps_the_books")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
