"""The site's URLs plus one page that fails, to see the 500 page as a person would."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from backoffice.urls import handler500  # noqa: F401
from backoffice.urls import urlpatterns as site_urlpatterns


@login_not_required
def boom(request):
    raise RuntimeError("a bug in a page")


urlpatterns = [path("boom/", boom), *site_urlpatterns]
