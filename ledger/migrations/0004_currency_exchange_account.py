"""The account Stripe's currency conversions go through (a gift in euros settled in
dollars): each currency's side of the conversion balances there."""

from django.db import migrations


def add(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    Account.objects.get_or_create(code="1090", defaults={
        "name": "Currency exchange (Stripe conversions)", "type": "asset", "restriction": "",
    })


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_chart_of_accounts")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
