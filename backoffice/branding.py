"""The organisation's name, logo and colour, for every page and e-mail (from its record,
receipts.Organisation, which finance edits in the admin)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import SimpleLazyObject


@dataclass(frozen=True)
class Brand:
    name: str
    colour: str
    logo_url: str


def current_brand() -> Brand:
    from receipts.models import Organisation

    org = Organisation.objects.filter(pk=1).first() or Organisation()
    logo = reverse("organisation_logo") if org.logo else ""
    return Brand(name=org.name, colour=org.brand_colour, logo_url=logo)


def brand(request) -> dict:
    """Context processor: `brand`, read once per page and only if the page uses it, and the
    staff menu for staff."""
    from backoffice.menu import staff_menu

    user = getattr(request, "user", None)
    menu = SimpleLazyObject(lambda: staff_menu(user) if user and user.is_staff else [])
    return {"brand": SimpleLazyObject(current_brand), "staff_menu": menu,
            "totals_glossary": TOTALS_GLOSSARY}  # fmt: skip


# Each total shown in more than one place has one name and one definition, said the same
# way wherever it appears (the home page, Sponsorships, reports).
TOTALS_GLOSSARY = {
    "gifts_posted": "Gifts posted: posted gifts as designated to each fund or campaign, by the "
    "day they were received, before refunds; sponsor payments are not gifts.",
    "received": "gifts to the fund less what was refunded, plus sponsor payments applied to "
    "agreements restricted to it, by the day the money came.",
}


def sender() -> str:
    """The From of every e-mail: DEFAULT_FROM_EMAIL as set, or, when it is a bare address,
    that address under the organisation's name ("Humans Against Trafficking <office@…>")."""
    from email.utils import formataddr, parseaddr

    from django.conf import settings

    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return settings.DEFAULT_FROM_EMAIL if name else formataddr((current_brand().name, address))


@dataclass(frozen=True)
class Site:
    """What allauth's e-mails call the site: the organisation, at SITE_URL."""

    name: str
    domain: str


def current_site() -> Site:
    from urllib.parse import urlsplit

    from django.conf import settings

    return Site(name=current_brand().name, domain=urlsplit(settings.SITE_URL).netloc)
