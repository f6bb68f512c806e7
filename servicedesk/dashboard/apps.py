from django.apps import AppConfig
from django.db.models.signals import post_delete, post_init, post_save, pre_save
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "servicedesk.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from servicedesk.core import navigation, periodic
        from servicedesk.core.roles import Role

        navigation.register(
            navigation.NavItem(
                "dashboard",
                _("Dashboard"),
                "dashboard:index",
                (Role.MANAGER, Role.ADMINISTRATOR),
                order=60,
            )
        )
        periodic.register(
            periodic.PeriodicTask(
                "dashboard-roll-record-days",
                "dashboard.roll_record_days",
                3600.0,
                "closed days' record sums",
            )
        )
        # A record, a complaint or a complaint's action saved or deleted (also by a cascade)
        # reopens its record's day if it was summed: the breakdowns and the cached pieces
        # (record_pieces, complaint_pieces) stay exact until the next roll. A complaint's step
        # change saves the complaint; its log rows come with it.
        post_init.connect(_record_loaded, sender="tickets.ServiceRecord", dispatch_uid="dash.ri")
        post_save.connect(_record_changed, sender="tickets.ServiceRecord", dispatch_uid="dash.r")
        post_delete.connect(_record_deleted, sender="tickets.ServiceRecord", dispatch_uid="dash.rd")
        post_save.connect(_complaint_changed, sender="tickets.Complaint", dispatch_uid="dash.c")
        post_delete.connect(_complaint_changed, sender="tickets.Complaint", dispatch_uid="dash.cd")
        for signal, uid in ((post_save, "dash.a"), (post_delete, "dash.ad")):
            signal.connect(_action_changed, sender="tickets.ComplaintAction", dispatch_uid=uid)
        # A visit saved, moved, deleted or inserted in bulk reopens the day it is (and was) due:
        # the callbacks' cached counts (visit_pieces).
        from followups.signals import visits_inserted

        pre_save.connect(_visit_moving, sender="followups.CallbackVisit", dispatch_uid="dash.vp")
        post_save.connect(_visit_changed, sender="followups.CallbackVisit", dispatch_uid="dash.v")
        post_delete.connect(
            _visit_changed, sender="followups.CallbackVisit", dispatch_uid="dash.vd"
        )
        visits_inserted.connect(_visits_inserted, dispatch_uid="dash.vi")
        # A merge moves the duplicate's records to the survivor in bulk, without saving them: the
        # customers served of their days change all the same (dashboard.record_pieces).
        from customers import services as customer_services

        customer_services.register_merge_hook("dashboard", _records_before_merge)


def _record_loaded(sender, instance, **kwargs) -> None:
    # The customer it was read with (None when deferred), for _record_changed.
    instance._dashboard_customer = instance.__dict__.get("customer_id")


def _record_changed(sender, instance, created=False, **kwargs) -> None:
    from . import rollups

    rollups.reopen(instance.created_at)
    customer = instance.__dict__.get("customer_id")
    if not created and customer != getattr(instance, "_dashboard_customer", customer):
        rollups.retention_moved()  # moved to another customer: it may have retained the first
    instance._dashboard_customer = customer


def _record_deleted(sender, instance, **kwargs) -> None:
    from . import rollups

    rollups.reopen(instance.created_at)
    rollups.retention_moved()  # it may have been the later record that retained a complainant


def _complaint_changed(sender, instance, created=False, **kwargs) -> None:
    from . import rollups

    rollups.reopen(instance.record_created_at)  # its record's, copied on the complaint
    if created:
        rollups.retention_moved()  # its record, a complaint's now, retains no one


def _action_changed(sender, instance, **kwargs) -> None:
    from tickets.complaints.models import Complaint

    from . import rollups

    complaint = instance._state.fields_cache.get("complaint")  # usually loaded: no query then
    if complaint is None:
        complaint = Complaint.objects.only("record_created_at").filter(pk=instance.complaint_id)
        complaint = complaint.first()
    if complaint is not None:  # None: deleted with its complaint, which reopened the day
        rollups.reopen(complaint.record_created_at)


def _visit_moving(sender, instance, update_fields=None, **kwargs) -> None:
    """Keep the due time the row holds before a save that may move it."""
    if instance.pk is None or (update_fields is not None and "due_at" not in update_fields):
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("due_at", flat=True).first()
    instance._dashboard_due_before = stored


def _visit_changed(sender, instance, **kwargs) -> None:
    from . import rollups

    rollups.reopen(instance.due_at)
    before = getattr(instance, "_dashboard_due_before", None)
    if before is not None and rollups.desk_day(before) != rollups.desk_day(instance.due_at):
        rollups.reopen(before)


def _visits_inserted(sender, visits, **kwargs) -> None:
    from . import rollups

    for day_moment in {rollups.desk_day(v.due_at): v.due_at for v in visits}.values():
        rollups.reopen(day_moment)


def _records_before_merge(*, survivor_id: int, duplicate_id: int, by) -> None:
    from tickets.models import ServiceRecord

    from . import rollups

    moments = ServiceRecord.objects.filter(customer_id=duplicate_id).values_list(
        "created_at", flat=True
    )
    one_per_day = {rollups.desk_day(at): at for at in moments}
    for moment in one_per_day.values():
        rollups.reopen(moment)
    rollups.retention_moved()  # records changed customer: what they retained may have changed
