from django.urls import path

from ledger import views

urlpatterns = [
    path("ledger/", views.ledger_home, name="ledger_home"),
    path("ledger/accounts/<str:code>/", views.account_page, name="ledger_account"),
    path("ledger/entries/<int:pk>/", views.entry_page, name="ledger_entry"),
    path("ledger/trial-balance/", views.trial_balance_page, name="trial_balance"),
    path("ledger/export/<str:kind>.csv", views.export, name="ledger_export"),
]
