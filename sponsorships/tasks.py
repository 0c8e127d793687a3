"""Background work for sponsorships: only calls services. Enqueued on commit."""

from django_tasks import task


@task()
def deliver_letter(letter_id: int) -> None:
    """Draw and e-mail an acknowledgement letter; running it twice sends nothing twice."""
    from sponsorships.letters import letter_deliver
    from sponsorships.models import AcknowledgementLetter

    letter_deliver(letter=AcknowledgementLetter.objects.get(pk=letter_id))
