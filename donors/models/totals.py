from django.db import models


class GiftMonthlyTotal(models.Model):
    """Posted money per month, currency, fund and campaign: what the staff home and its
    chart read, so that they cost the same with a thousand gifts or ten million.

    Derived data: `donors.totals.refresh_months` rebuilds a month from the gifts, and every
    service that posts, voids or re-designates a gift calls it in the same transaction.
    `manage.py rebuild_totals` rebuilds everything.
    """

    month = models.DateField(help_text="First day of the month.")
    currency = models.CharField(max_length=3)
    fund = models.ForeignKey("donors.Fund", on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(
        "donors.Campaign", null=True, on_delete=models.CASCADE, related_name="+"
    )
    amount = models.BigIntegerField()
    allocation_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["month", "currency"]
        indexes = [models.Index(fields=["month", "currency"], name="monthly_total_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.currency} fund {self.fund_id}: {self.amount}"
