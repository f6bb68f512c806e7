from celery import shared_task

from . import imports


@shared_task(name="customers.import_run")
def import_run(job_id: int) -> None:
    # Thin: the service claims the job and resumes after the last committed batch on a re-run.
    imports.import_job_run(job_id=job_id)
