from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from accounts.mfa import has_second_factor, needs_second_factor, session_used_second_factor

# The sign-in, second-factor set-up and sign-out pages must stay reachable.
_OPEN_PREFIXES = ("/accounts/", "/static/")


class StaffSecondFactorMiddleware:
    """No staff page (the admin included) opens until the user has a second factor and
    this session has passed it. allauth asks for it at sign-in; this closes the gaps:
    a staff account without one yet, and sign-ins that skipped it (a login code)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if needs_second_factor(user) and not request.path.startswith(_OPEN_PREFIXES):
            if not has_second_factor(user):
                messages.warning(
                    request,
                    "Staff accounts need a second factor. Set up an authenticator app "
                    "(or a passkey) to continue.",
                )
                return redirect(reverse("mfa_activate_totp"))
            if not session_used_second_factor(request):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return self.get_response(request)
