from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from backoffice import views
from donors import views as donor_views
from impact import api as impact_api

# The admin signs in through allauth, so its second-factor rules apply there too.
admin.site.login = secure_admin_login(admin.site.login)
# The header names the organisation and carries the staff menu (admin/base_site.html), so
# the admin's own title and side bar are not needed.
admin.site.index_title = "Records"
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("logo/", views.organisation_logo, name="organisation_logo"),
    path("admin/", admin.site.urls),
    # Nobody adds or changes their own sign-in address: an address an account added to itself
    # could make it look like somebody else's (a sponsor contact's). Staff change addresses.
    path("accounts/email/", views.no_self_service_addresses, name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("gifts/import/", donor_views.gift_import_new, name="gift_import_new"),
    path("gifts/import/<int:pk>/", donor_views.gift_import_detail, name="gift_import_detail"),
    path(
        "gifts/import/<int:pk>/restart/",
        donor_views.gift_import_restart_view,
        name="gift_import_restart",
    ),
    path(
        "gifts/import/<int:pk>/commit/",
        donor_views.gift_import_commit_view,
        name="gift_import_commit",
    ),
    path("me/", donor_views.my_gifts, name="my_gifts"),
    path("me/address/", donor_views.my_address, name="my_address"),
    path("", include("payments.urls")),
    path("", include("receipts.urls")),
    path("", include("sponsorships.urls")),
    path("", include("reconciliation.urls")),
    path("", include("ledger.urls")),
    path("", include("impact.urls")),
    path("api/impact/v1/", impact_api.urlpatterns()),
]

handler500 = "backoffice.views.server_error"
