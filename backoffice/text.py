"""Words for people: counts with the right plural in every language (gettext's ngettext)."""

from django.utils.translation import ngettext


def counted(n: int, one: str, many: str) -> str:
    """counted(1, "receipt", "receipts") -> '1 receipt'; 3 -> '3 receipts'."""
    return ngettext("%(n)d " + one, "%(n)d " + many, n) % {"n": n}
