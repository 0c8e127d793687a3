"""Request checks shared by every page."""

from django.http import HttpResponseBadRequest


class RefuseNulInParameters:
    """A query or form parameter with a NUL character is a 400 naming it: no text column
    can hold one (PostgreSQL refuses it with an error, which was a 500 wherever a page
    filtered on the value). Files and raw bodies (the Stripe webhook) are not looked at."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for where, data in (("query", request.GET), ("form", request.POST)):
            for name, values in data.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    return HttpResponseBadRequest(
                        f"The {where} parameter {name.replace(chr(0), '?')!r} holds a NUL "
                        "character, which is not text.",
                        content_type="text/plain",
                    )
        return self.get_response(request)
