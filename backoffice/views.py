from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from backoffice.charts import Bar, bar_chart_svg, compact_money
from backoffice.money import format_money
from donors.models import Campaign
from donors.selectors import staff_home


def home(request):
    """Staff see the back office; a sponsor's contacts their portal; donors their own page."""
    if not request.user.is_staff:
        if request.user.sponsor_contacts.exists():
            return redirect("sponsor_portal")
        return redirect("my_gifts")
    data = staff_home(today=timezone.localdate())
    charts = [
        (
            currency,
            bar_chart_svg(
                [
                    Bar(
                        month.strftime("%b %y"),
                        amount,
                        f"{month:%B %Y}: {format_money(amount, currency)}",
                    )
                    for month, amount in series
                ],
                caption=f"Posted gifts per month in {currency}, last {len(series)} months",
                tick_label=compact_money(currency),
            ),
        )
        for currency, series in data.monthly.items()
    ]
    # Public donation pages, one per top-level campaign (the page accepts any active one).
    pages = Campaign.objects.filter(is_active=True, parent__isnull=True).order_by("name")
    context = {"data": data, "charts": charts, "donation_pages": pages}
    return render(request, "backoffice/home.html", context)


def no_self_service_addresses(request):
    raise Http404("Sign-in addresses are changed by the organisation's staff.")


@login_not_required
def health(request):
    """For load balancers and uptime checks: the process answers."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
def organisation_logo(request):
    """The organisation's logo, for page headers and e-mails (public: it is on its receipts)."""
    from django.http import FileResponse

    from receipts.models import Organisation

    org = Organisation.objects.filter(pk=1).first()
    if org is None or not org.logo:
        raise Http404("No logo.")
    response = FileResponse(org.logo.open("rb"))
    response["Cache-Control"] = "public, max-age=300"
    return response


def server_error(request):
    """The 500 page: the organisation's name if the database answers, and a reference that
    the log carries beside the error, so a person can report it and staff can find it."""
    import logging
    import secrets
    import sys

    from django.template import loader

    reference = secrets.token_hex(4).upper()
    logging.getLogger("backoffice.errors").error(
        "Server error %s on %s %s", reference, request.method, request.path,
        exc_info=sys.exc_info(),
    )  # fmt: skip
    context = {"reference": reference}
    try:
        from backoffice.branding import current_brand

        brand = current_brand()
        context |= {"name": brand.name, "colour": brand.colour}
    except Exception:  # noqa: BLE001 - the database itself may be what failed
        pass
    html = loader.get_template("500.html").render(context)
    return HttpResponse(html, status=500)
