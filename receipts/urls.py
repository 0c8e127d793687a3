from django.urls import path

from receipts import views

urlpatterns = [
    path("receipts/verify/<str:code>/", views.verify, name="receipt_verify"),
    path("me/receipts/<int:pk>.pdf", views.my_receipt_pdf, name="my_receipt_pdf"),
]
