from django.urls import path

from impact import views

urlpatterns = [
    path("impact/", views.overview, name="impact_overview"),
    path("impact/reports/new/", views.report_new, name="impact_report_new"),
    path("impact/reports/<int:pk>/", views.report_page, name="impact_report"),
    path(
        "impact/reports/<int:pk>/publish/", views.report_publish_view, name="impact_report_publish"
    ),  # fmt: skip
    path("impact/versions/<int:pk>/", views.version_page, name="impact_version"),
    path("impact/versions/<int:pk>.pdf", views.version_pdf, name="impact_version_pdf"),
    path("sponsor/reports/", views.portal_reports, name="sponsor_reports"),
    path("sponsor/reports/<int:pk>/", views.portal_report, name="sponsor_report"),
    path("sponsor/reports/<int:pk>.pdf", views.portal_report_pdf, name="sponsor_report_pdf"),
    path("me/reports/", views.my_reports, name="my_reports"),
    path("me/reports/<int:pk>/", views.my_report, name="my_report"),
    path("me/reports/<int:pk>.pdf", views.my_report_pdf, name="my_report_pdf"),
]
