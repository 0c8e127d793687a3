"""Year-end statements end to end: numbering, rendering, storing, queuing e-mail.

Issues N statements (one per donor, three gifts each) through the year-end run on SQLite,
with the task backend running each statement's delivery (draw the PDF/A-3b, store it with
its hash, e-mail it to an in-memory outbox) as it is queued. Then renders the same
statements one by one with a plain `HTML(...).write_pdf()` loop, same fonts and subsetter.

Usage: python bench/statements.py [N] [WORKERS]
  (the goal: 30 statements/s and 4 x the plain loop)

With WORKERS (say 2), the deliveries are queued in the database task backend and drawn by
that many `db_worker` processes, as in production, instead of in this process.
"""

import datetime as dt
import os
import sys
import time
from pathlib import Path

from _setup import django_on_fresh_sqlite

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
WORKERS = int(sys.argv[2]) if len(sys.argv) > 2 else 0
os.environ.setdefault("EMAIL_URL", "memorymail://")


def populate(n: int) -> None:
    from django.db import transaction
    from tqdm import tqdm

    from donors.models import Donor, Fund, Gift
    from donors.services import gift_record
    from receipts.models import Organisation

    Organisation.objects.update_or_create(pk=1, defaults={
        "legal_name": "Human Freedom Alliance", "address": "200 Bay Street\nToronto ON",
        "jurisdiction": "CA", "registration_number": "123456789RR0001",
        "place_of_issue": "Toronto", "signatory_name": "Dana Ruiz",
        "auto_receipt_threshold": 10**12})  # fmt: skip
    fund = Fund.objects.create(code="GEN", name="General", gl_account="4000")
    with transaction.atomic():
        for i in tqdm(range(n), desc="Donors and gifts", unit="donor"):
            donor = Donor.objects.create(first_name="Fan", last_name=f"N{i}",
                                         email=f"fan{i}@example.net", address_line1=f"{i} King St",
                                         city="Toronto", region="ON", postcode="M5H 1A1",
                                         country="CA")  # fmt: skip
            for month in (3, 6, 9):
                amount = 1_000 + i % 500 + month
                gift_record(gift=Gift(donor=donor, amount=amount, currency="CAD",
                                      received_on=dt.date(2025, month, 1), method="card"),
                            split=[(fund, amount)], by=None)  # fmt: skip


def start_workers(n: int) -> list:
    """n `db_worker` processes, already waiting for tasks when the run starts, as in
    production (they draw while the run is still numbering)."""
    import subprocess

    from _setup import ROOT

    command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--interval",
               "0.05"]  # fmt: skip
    return [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL) for _ in range(n)]


def wait_until_drawn(workers: list, n: int) -> float:
    """Wait, stop the workers, and return the CPU seconds they used in all."""
    from receipts.models import Receipt

    while Receipt.objects.exclude(pdf_sha256="").count() < n:
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a worker stopped")
        time.sleep(0.05)
    cpu = sum(cpu_seconds(w.pid) for w in workers)
    for worker in workers:
        worker.terminate()
        worker.wait()
    return cpu


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far (Linux), so that the workers' start-up is not
    counted in the run's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drawing_costs(receipts: list) -> tuple[float, float]:
    """Milliseconds a statement spends being laid out, then written, in batches as the
    workers draw them (the same sample as the plain loop)."""
    from receipts.rendering import receipts_laid_out, receipts_pdfs
    from receipts.statements import CHUNK

    batches = [receipts[i : i + CHUNK] for i in range(0, len(receipts), CHUNK)]
    started = time.perf_counter()
    for batch in batches:
        receipts_laid_out(batch)
    laid_out = time.perf_counter() - started
    started = time.perf_counter()
    for batch in batches:
        receipts_pdfs(batch)
    drawn = time.perf_counter() - started
    return 1000 * laid_out / len(receipts), 1000 * (drawn - laid_out) / len(receipts)


def main() -> None:
    os.environ.setdefault("TASK_BACKEND", "db" if WORKERS else "immediate")
    django_on_fresh_sqlite("statements")
    import weasyprint
    from django.db.models import Prefetch

    from receipts.models import Receipt, ReceiptLine
    from receipts.rendering import STATIC, receipt_html
    from receipts.statements import statement_run_create, statement_run_execute

    populate(N)
    workers = start_workers(WORKERS) if WORKERS else []
    time.sleep(2 if WORKERS else 0)  # let them start (Django set-up) before the clock does
    import resource

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    workers_cpu_at_start = sum(cpu_seconds(w.pid) for w in workers)
    workers_cpu = 0.0
    started = time.perf_counter()
    run = statement_run_execute(run=statement_run_create(year=2025, jurisdiction="CA", by=None))
    if WORKERS:
        workers_cpu = wait_until_drawn(workers, N) - workers_cpu_at_start
    issued_for = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    issuing_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    rendered = Receipt.objects.exclude(pdf_sha256="").count()
    assert run.issued == N and rendered == N, (run.issued, rendered)

    lines = Prefetch("lines", queryset=ReceiptLine.objects.select_related("gift"))
    loaded = Receipt.objects.select_related("series", "replaces").prefetch_related(lines)
    sample = list(loaded.order_by("id")[: min(N, 200)])
    htmls = [receipt_html(r) for r in sample]
    started = time.perf_counter()
    for html in htmls:
        weasyprint.HTML(string=html, base_url=STATIC.as_uri() + "/").write_pdf()
    plain = len(htmls) / (time.perf_counter() - started)
    ours = N / issued_for
    laying_out, writing = _drawing_costs(sample)
    where = f"{WORKERS} worker processes" if WORKERS else "in process"
    from django.db import connection

    database = connection.vendor
    print(f"{N} statements, {database}, WeasyPrint {weasyprint.__version__}, drawn {where}")
    print(f"statements: {ours:.1f} statements/s")
    print(f"one-by-one: {plain:.1f} statements/s")
    print(f"ratio: {ours / plain:.2f} x")
    cores = os.cpu_count() or 1
    print(
        f"where a statement's time goes, in ms of one core: {laying_out:.1f} templates, QR "
        f"code and WeasyPrint's layout; {writing:.1f} writing the PDF/A-3b (one a batch, "
        f"cut per statement); {cores * 1000 / ours - laying_out - writing:.1f} the rest "
        f"(issuing, storing, e-mailing, tasks, idle), taking all {cores} cores as busy"
    )
    # What this design could reach at best: both cores doing nothing but drawing (no
    # numbering, storing, e-mail or task, no idle moment) against the same plain loop.
    ceiling = cores * 1000 / (laying_out + writing) / plain
    print(f"ceiling: {ceiling:.2f} x (drawing alone, every core busy, nothing else)")
    busy = (issuing_cpu + workers_cpu) / (issued_for * cores)
    print(
        f"CPU a statement: {1000 * issuing_cpu / N:.1f} ms issuing (this process), "
        f"{1000 * workers_cpu / N:.1f} ms drawing and sending (workers); cores busy "
        f"{100 * busy:.0f} % of the run"
    )
    main_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {main_mb:.0f} MB this process, {workers_mb:.0f} MB the largest worker")


if __name__ == "__main__":
    main()
