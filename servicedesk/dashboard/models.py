"""Daily sums of the records for the dashboard's breakdowns (servicedesk.dashboard.rollups).

Only what can be added up exactly is summed: records and complaints per day (desk time zone),
stage and audience. The figures that cannot be (distinct customers, time percentiles, target
compliance, which turns on `now`) are read from the records (dashboard.record_pieces, which
caches the rolled days' part under their roll stamps)."""

from django.db import models
from django.utils import timezone


class RecordDay(models.Model):
    """Records created on `day` with this stage and audience (tickets.visibility: the keys of
    their departments and assignee), and how many of them are complaints."""

    day = models.DateField()
    stage = models.CharField(max_length=20)
    audience = models.JSONField()
    records = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="record_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.stage}: {self.records}"


class RecordRolledDay(models.Model):
    """A day whose records are in RecordDay; deleted when one of them changes (reopened)."""

    day = models.DateField(primary_key=True)
    rolled_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.day.isoformat()


class RetentionMark(models.Model):
    """One row whose token changes whenever a record that kept a complainant may stop counting:
    a record deleted or moved to another customer, or a complaint made on it (a complaint's record
    does not retain). complaint_pieces keeps the recovered pairs already found retained under this
    token; any other change can only retain more, and the pairs not yet retained are checked
    live."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"retention mark {self.token}"
