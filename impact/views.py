"""Impact pages: the staff workbench (observations in, reports drafted, previewed, edited and
published) and the funders' side (their published reports only)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from impact.figures import report_figures
from impact.forms import NarrativeFormSet, ObservationUploadForm, ReportNewForm, ReportScopeForm
from impact.models import Integration, Metric, Report, ReportVersion, Subject
from impact.observations import ObservationsRefused, observations_import_csv
from impact.rendering import report_body_html
from impact.selectors import metric_trends
from impact.services import report_create, report_publish, report_recipients

# --- staff ---------------------------------------------------------------------------------


@permission_required("impact.view_report", raise_exception=True)
def overview(request):
    upload = ObservationUploadForm()
    if request.method == "POST":
        if not request.user.has_perm("impact.add_observation"):
            raise PermissionDenied
        upload = ObservationUploadForm(request.POST, request.FILES)
        if upload.is_valid():
            try:
                done = observations_import_csv(data=upload.cleaned_data["file"].read())
            except ObservationsRefused as refused:
                for e in refused.errors[:20]:
                    upload.add_error(None, f"Line {e.row}, {e.field}: {e.message}")
                if len(refused.errors) > 20:
                    upload.add_error(None, f"… and {len(refused.errors) - 20} more.")
            else:
                messages.success(request, f"{done.created} observation(s) added, "
                                 f"{done.updated} updated.")  # fmt: skip
                return redirect("impact_overview")
    metrics = Metric.objects.annotate(
        count=Count("observations"), latest=Max("observations__period_end")
    )
    reports = Report.objects.select_related("sponsor", "donor").annotate(
        published=Count("versions"), last_published=Max("versions__published_at")
    )
    return render(request, "impact/overview.html", {
        "upload": upload, "metrics": metrics, "subjects": Subject.objects.select_related(
            "campaign", "fund"), "integrations": Integration.objects.all(),
        "trends": metric_trends(),
        "drafts": [r for r in reports if not r.published][:100],
        "published": [r for r in reports if r.published][:100],
    })  # fmt: skip


@permission_required("impact.add_report", raise_exception=True)
def report_new(request):
    form = ReportNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = report_create(**form.cleaned_data, by=request.user)
        return redirect("impact_report", report.pk)
    return render(request, "impact/report_new.html", {"form": form})


@permission_required("impact.view_report", raise_exception=True)
def report_page(request, pk: int):
    report = get_object_or_404(Report.objects.select_related("sponsor", "donor"), pk=pk)
    scope = ReportScopeForm(request.POST or None, instance=report)
    narrative = NarrativeFormSet(request.POST or None, instance=report)
    if request.method == "POST":
        if not request.user.has_perm("impact.change_report"):
            raise PermissionDenied
        if scope.is_valid() and narrative.is_valid():
            with transaction.atomic():
                scope.save()
                narrative.save()
            messages.success(request, "Saved. The preview below shows the report as it is now.")
            return redirect("impact_report", report.pk)
    preview = report_body_html(report_figures(report))
    return render(request, "impact/report.html", {
        "report": report, "scope": scope, "narrative": narrative, "preview": preview,
        "versions": report.versions.order_by("-number"), "recipients": report_recipients(report),
    })  # fmt: skip


@permission_required("impact.publish_report", raise_exception=True)
def report_publish_view(request, pk: int):
    report = get_object_or_404(Report, pk=pk)
    if request.method != "POST":
        return redirect("impact_report", pk)
    version = report_publish(report=report, by=request.user)
    messages.success(request, f"Version {version.number} is published: it is in the funder's "
                     "portal, and its PDF is e-mailed to the funder's contacts.")  # fmt: skip
    return redirect("impact_report", pk)


@permission_required("impact.view_report", raise_exception=True)
def version_page(request, pk: int):
    version = get_object_or_404(ReportVersion.objects.select_related("report"), pk=pk)
    return render(request, "impact/version.html", {"version": version, "staff": True})


@permission_required("impact.view_report", raise_exception=True)
def version_pdf(request, pk: int):
    return _pdf(get_object_or_404(ReportVersion.objects.exclude(pdf=""), pk=pk))


def _pdf(version: ReportVersion):
    return FileResponse(version.pdf.open("rb"), content_type="application/pdf",
                        filename=f"{version.title} (v{version.number}).pdf")  # fmt: skip


# --- funders: a sponsor's contacts and a donor see their own published reports only ----------


def _sponsor_versions(request):
    sponsor_ids = list(request.user.sponsor_contacts.values_list("sponsor_id", flat=True))
    if not sponsor_ids:
        raise Http404("No sponsor belongs to this sign-in.")
    return ReportVersion.objects.filter(report__sponsor_id__in=sponsor_ids)


def _donor_versions(request):
    donor = getattr(request.user, "donor", None)
    if donor is None:
        raise Http404("No donor record belongs to this sign-in.")
    return ReportVersion.objects.filter(report__donor=donor)


def _list(request, versions, detail_url: str):
    return render(request, "impact/portal_reports.html", {
        "versions": versions.order_by("-period_end", "report_id", "-number"),
        "detail_url": detail_url,
    })  # fmt: skip


def portal_reports(request):
    return _list(request, _sponsor_versions(request), "sponsor_report")


def portal_report(request, pk: int):
    version = get_object_or_404(_sponsor_versions(request), pk=pk)
    return render(request, "impact/version.html", {"version": version,
                                                   "pdf_url": "sponsor_report_pdf"})  # fmt: skip


def portal_report_pdf(request, pk: int):
    return _pdf(get_object_or_404(_sponsor_versions(request).exclude(pdf=""), pk=pk))


def my_reports(request):
    return _list(request, _donor_versions(request), "my_report")


def my_report(request, pk: int):
    version = get_object_or_404(_donor_versions(request), pk=pk)
    return render(request, "impact/version.html", {"version": version,
                                                   "pdf_url": "my_report_pdf"})  # fmt: skip


def my_report_pdf(request, pk: int):
    return _pdf(get_object_or_404(_donor_versions(request).exclude(pdf=""), pk=pk))
