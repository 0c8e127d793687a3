"""The API the measurement system sends observations to (django-ninja: the request schema
below is both the validation and the OpenAPI description at /api/impact/v1/openapi.json).

Every error answers in one shape, naming the field: {"detail": [{"loc": [...], "msg": ...}]}
(422 for bad items, 400 for a body that is not JSON, 401 for a missing, wrong or revoked
token). A request is all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import ConfigDict, Field, StrictFloat, StrictInt, StringConstraints, field_validator

from impact.models import Integration, Metric, Subject
from impact.observations import MAX_ROWS, ObservationIn, ObservationsRefused, observations_record


class IntegrationToken(HttpBearer):
    """`Authorization: Bearer <token>`; the token is looked up by its SHA-256."""

    def authenticate(self, request, token: str) -> Integration | None:
        integration = Integration.objects.filter(token_sha256=Integration.digest(token)).first()
        if integration is None:
            return None
        if integration.revoked_at is not None:
            raise AuthenticationError(message=f"This token was revoked on "
                                      f"{integration.revoked_at:%Y-%m-%d}.")  # fmt: skip
        Integration.objects.filter(pk=integration.pk).update(last_used_at=timezone.now())
        return integration


api = NinjaAPI(
    title="Impact measurements API",
    version="1",
    description=__doc__,
    urls_namespace="impact_api",
    docs_url=None,  # the docs page loads scripts from a CDN; the description is the contract
    auth=IntegrationToken(),
)


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    message = getattr(exc, "message", "")
    if message in ("", "Unauthorized"):
        message = "A valid integration token is required: 'Authorization: Bearer <token>'."
    return api.create_response(
        request, {"detail": [{"loc": ["header", "Authorization"], "msg": message}]}, status=401
    )


@api.exception_handler(ObservationsRefused)
def _refused(request, exc: ObservationsRefused):
    detail = [{"loc": ["body", "observations", e.row, e.field], "msg": e.message,
               "type": "value_error"} for e in exc.errors]  # fmt: skip
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    # Ninja says "Cannot parse request body" (400) for a body that is not JSON.
    if exc.status_code == 400:
        loc, msg = ["body"], "The body is not valid JSON."
    else:
        loc, msg = [], str(exc)
    return api.create_response(request, {"detail": [{"loc": loc, "msg": msg}]},
                               status=exc.status_code)  # fmt: skip


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    """Pydantic's errors, said plainly: the location without the parameter's own name, and
    one message for a value that is neither an integer nor a decimal."""
    detail, seen = [], set()
    for error in exc.errors:
        loc = [part for part in error.get("loc", ()) if part != "payload"]
        msg, kind = error.get("msg", "is not valid"), error.get("type", "value_error")
        if len(loc) >= 2 and loc[-2] == "value" and loc[-1] in ("int", "float"):
            loc, msg, kind = loc[:-1], "must be a number (an integer or a decimal)", "number_type"
        if tuple(loc) not in seen:
            seen.add(tuple(loc))
            detail.append({"loc": loc, "msg": msg, "type": kind})
    return api.create_response(request, {"detail": detail}, status=422)


Key = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class ObservationSchema(Schema):
    model_config = ConfigDict(extra="forbid")

    subject: Key = Field(description="The subject's key, e.g. `mat` or `hfma-entry-aria`.")
    metric: Key = Field(description="The metric's key, e.g. `teens_reached`.")
    period_start: dt.date = Field(description="First day measured (YYYY-MM-DD).")
    period_end: dt.date = Field(description="Last day measured; not before period_start.")
    value: StrictInt | StrictFloat = Field(description="A number, at most 4 decimal places.")
    external_id: Annotated[str, StringConstraints(max_length=100)] = Field(
        "", description="Your id for this observation: sent again, it updates it."
    )
    note: Annotated[str, StringConstraints(max_length=500)] = ""

    @field_validator("period_start", "period_end", mode="before")
    @classmethod
    def _date_as_text(cls, value):
        if not isinstance(value, str):  # not a number of seconds, nor anything else
            raise ValueError("must be a date written YYYY-MM-DD")
        return value


class ObservationsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    observations: list[ObservationSchema] = Field(min_length=1, max_length=MAX_ROWS)


class ObservationOut(Schema):
    id: int
    external_id: str
    created: bool


class RecordedOut(Schema):
    created: int
    updated: int
    observations: list[ObservationOut]


class ErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str = "value_error"


class ErrorOut(Schema):
    detail: list[ErrorItem] | str


class MetricOut(Schema):
    key: str
    name: str
    unit: str
    combine: str
    method: str


class SubjectOut(Schema):
    key: str
    name: str
    kind: str


def _decimal(value: int | float) -> Decimal:
    # Through repr so that 0.1 stays 0.1 rather than its binary neighbour.
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


@api.post(
    "/observations",
    response={200: RecordedOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut},
    summary="Record observations (all or none)",
)
def post_observations(request, payload: ObservationsIn):
    """Creates each observation, or updates the one this integration sent before with the
    same external_id. Answers 422 naming each bad item and field; then nothing is saved."""
    integration: Integration = request.auth
    items = [
        ObservationIn(subject=o.subject, metric=o.metric, period_start=o.period_start,
                      period_end=o.period_end, value=_decimal(o.value),
                      external_id=o.external_id, note=o.note)
        for o in payload.observations
    ]  # fmt: skip
    recorded = observations_record(items=items, source=integration.source)
    return {
        "created": recorded.created, "updated": recorded.updated,
        "observations": [{"id": o.pk, "external_id": o.external_id, "created": created}
                         for o, created in recorded.observations],
    }  # fmt: skip


@api.get("/metrics", response={200: list[MetricOut], 401: ErrorOut}, summary="Metrics")
def list_metrics(request):
    return list(Metric.objects.filter(is_active=True))


@api.get("/subjects", response={200: list[SubjectOut], 401: ErrorOut}, summary="Subjects")
def list_subjects(request):
    return list(Subject.objects.filter(is_active=True))


def urlpatterns():
    """The API's URLs, open to the token check rather than to the sign-in page."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False  # what login_not_required sets
    return patterns, app_name, namespace
