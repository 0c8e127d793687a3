from django.urls import path

from sponsorships import views

urlpatterns = [
    path("sponsor/", views.portal_home, name="sponsor_portal"),
    path("sponsor/agreements/<int:pk>/", views.portal_agreement, name="sponsor_agreement"),
    path("sponsor/payments/", views.portal_payments, name="sponsor_payments"),
    path("sponsor/letters/<int:pk>.pdf", views.portal_letter_pdf, name="sponsor_letter_pdf"),
    path(
        "sponsor/instalments/<int:pk>/invoice.pdf",
        views.portal_invoice_pdf,
        name="sponsor_invoice_pdf",
    ),
    path(
        "sponsorships/instalments/<int:pk>/invoice.pdf",
        views.staff_invoice_pdf,
        name="staff_invoice_pdf",
    ),
    path("sponsorships/", views.overview, name="sponsorships_overview"),
    path("sponsorships/agreements/<int:pk>/", views.agreement_page, name="agreement_page"),
]
