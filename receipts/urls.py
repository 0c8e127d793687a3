from django.urls import path

from receipts import views

urlpatterns = [
    path("receipts/verify/<str:code>/", views.verify, name="receipt_verify"),
    path("me/receipts/<int:pk>.pdf", views.my_receipt_pdf, name="my_receipt_pdf"),
    path("me/receipts/<int:year>.zip", views.my_receipts_zip, name="my_receipts_zip"),
    path("me/gifts/<int:year>.pdf", views.my_year_summary_pdf, name="my_year_summary_pdf"),
    path("receipts/<int:pk>.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("receipts/waiting/", views.waiting_for_receipt, name="waiting_for_receipt"),
    path("receipts/preview/", views.receipt_preview, name="receipt_preview"),
    path("receipts/statements/", views.statement_runs, name="statement_runs"),
    path("receipts/statements/<int:pk>/", views.statement_run, name="statement_run"),
    path(
        "receipts/statements/<int:pk>/to-post-<int:part>.pdf",
        views.statement_run_to_post,
        name="statement_run_to_post",
    ),
    path(
        "receipts/statements/<int:pk>/notes.csv",
        views.statement_run_notes_csv,
        name="statement_run_notes_csv",
    ),
    path(
        "receipts/statements/<int:pk>/control/",
        views.statement_run_control,
        name="statement_run_control",
    ),
]
