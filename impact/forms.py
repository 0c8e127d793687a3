from django import forms
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory

from donors.models import Donor
from impact.models import Metric, NarrativeSection, Report, Subject
from sponsorships.models import Sponsor


class ObservationUploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV, UTF-8, with the columns subject, metric, period_start, period_end, "
        "value and optionally external_id and note. All rows are saved or none."
    )


class ReportNewForm(forms.Form):
    sponsor = forms.ModelChoiceField(Sponsor.objects.order_by("name"), required=False)
    donor = forms.ModelChoiceField(
        Donor.objects.filter(merged_into=None), required=False, widget=forms.NumberInput,
        help_text="Or a major donor's number (from the donor's page).",
    )  # fmt: skip
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    title = forms.CharField(
        max_length=200, required=False, help_text="Empty: 'Impact report for <funder>, <period>'."
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("sponsor")) == bool(data.get("donor")):
            raise ValidationError("Choose a sponsor or a donor (one of them).")
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The period ends before it starts.")
        return data


class ReportScopeForm(forms.ModelForm):
    metrics = forms.ModelMultipleChoiceField(
        Metric.objects.filter(is_active=True), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    subjects = forms.ModelMultipleChoiceField(
        Subject.objects.filter(is_active=True), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = Report
        fields = ["title", "metrics", "subjects"]


NarrativeFormSet = inlineformset_factory(
    Report, NarrativeSection, fields=["position", "heading", "body"], extra=1,
    widgets={"body": forms.Textarea(attrs={"rows": 6}),
             "position": forms.NumberInput(attrs={"style": "width:4em"})},
)  # fmt: skip
