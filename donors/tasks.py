"""Background work for donors: only calls services. Enqueued on commit."""

from django_tasks import task

from donors.importing import gift_import_check, gift_import_commit
from donors.models import GiftImport


@task()
def check_gift_import(import_id: int) -> None:
    run = GiftImport.objects.get(pk=import_id)
    if run.status == GiftImport.Status.CHECKING:  # a retried task checks nothing twice
        gift_import_check(run=run)


@task()
def commit_gift_import(import_id: int) -> None:
    run = GiftImport.objects.get(pk=import_id)
    if run.status == GiftImport.Status.QUEUED:  # a retried task imports nothing twice
        gift_import_commit(run=run)
