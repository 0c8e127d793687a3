from django.urls import path

from payments import views

urlpatterns = [
    path("give/<slug:campaign>/", views.give, name="give"),
    path("give/<slug:campaign>/thanks/", views.give_thanks, name="give_thanks"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("me/recurring/", views.manage_recurring, name="manage_recurring"),
]
