from receipts.models import Receipt


def donor_receipts(*, donor_id: int):
    """A donor's receipts, newest first, void ones included (marked)."""
    return Receipt.objects.filter(donor_id=donor_id).select_related("series", "replaces")
