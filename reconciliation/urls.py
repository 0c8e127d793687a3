from django.urls import path

from reconciliation import views

urlpatterns = [
    path("reconciliation/", views.workbench, name="reconciliation"),
    path("reconciliation/payouts/<int:pk>/", views.payout_page, name="payout_page"),
    path("reconciliation/bank/", views.bank_lines, name="bank_lines"),
    path("reconciliation/close/", views.periods, name="periods"),
    path("reconciliation/close/<int:year>-<int:month>/", views.period_page, name="period_page"),
    path("reconciliation/journal.csv", views.journal_download, name="journal_download"),
]
