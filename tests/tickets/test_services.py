from decimal import Decimal

import pytest
from django.core import mail

from servicedesk.core.exceptions import ConflictError, DomainError, InvalidTransition
from servicedesk.core.models import Notification, TaskOutbox
from servicedesk.core.roles import Role
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory
from tests.tickets.factories import CategoryFactory, PolicyFactory, RecordFactory
from tickets import services
from tickets.models import DepartmentRoutingPolicy, ServiceRecord, Stage, Status

pytestmark = pytest.mark.django_db


def create(agent, customer, category, **kw):
    return services.record_create(
        by=agent,
        customer_id=customer.pk,
        stage=category.stage,
        category_id=category.pk,
        subject="Install wardrobe",
        **kw,
    )


def test_record_create_routes_to_lead_department_and_takes_category_defaults(
    agent, customer, category
):
    tech = DepartmentFactory(code="technical")
    category.collaborating_departments.set([tech])
    PolicyFactory()
    record = create(agent, customer, category)
    assert record.lead_department == category.lead_department
    assert list(record.collaborating_departments.all()) == [tech]
    assert (record.nature, record.place, record.fee) == ("technical", "on_site", "free")
    assert record.first_response_due and record.resolution_due
    assert record.history.count() == 1
    assert record.history.first().history_user == agent


def test_collaborating_department_members_see_the_record(agent, customer, category):
    tech = DepartmentFactory(code="technical")
    category.collaborating_departments.set([tech])
    record = create(agent, customer, category)
    engineer = UserFactory(role=Role.AGENT)
    MembershipFactory(user=engineer, department=tech)
    outsider = UserFactory(role=Role.AGENT)
    MembershipFactory(user=outsider, department=DepartmentFactory(code="finance"))
    from tickets.selectors import record_visible

    assert list(record_visible(engineer)) == [record]
    assert list(record_visible(outsider)) == []


def test_record_create_refuses_category_of_another_stage(agent, customer, category):
    with pytest.raises(DomainError) as exc:
        services.record_create(
            by=agent,
            customer_id=customer.pk,
            stage=Stage.PRE_SALE,
            category_id=category.pk,
            subject="x",
        )
    assert exc.value.field == "category"
    assert not ServiceRecord.objects.exists()


def test_record_create_refuses_paid_without_amount(agent, customer, category):
    with pytest.raises(DomainError) as exc:
        create(agent, customer, category, fee="paid")
    assert exc.value.field == "fee_amount"


def test_paid_category_default_amount_is_used(agent, customer, department):
    paid = CategoryFactory(
        code="paid", lead_department=department, default_fee="paid", default_fee_amount=50
    )
    assert create(agent, customer, paid).fee_amount == Decimal("50.00")


def test_new_record_notifies_the_department_after_commit(
    agent, customer, category, department, django_capture_on_commit_callbacks
):
    colleague = UserFactory(role=Role.AGENT)
    MembershipFactory(user=colleague, department=department)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        create(agent, customer, category)
        # the notice is a subscriber's work: nothing is written before the record commits
        assert not Notification.objects.exists()
    assert callbacks
    assert list(Notification.objects.values_list("recipient", "verb")) == [
        (colleague.pk, "record_new")
    ]


def test_round_robin_assigns_members_in_turn(agent, customer, category, department):
    second = UserFactory(role=Role.AGENT)
    MembershipFactory(user=second, department=department)
    DepartmentRoutingPolicy.objects.create(department=department, mode="round_robin")
    assignees = [create(agent, customer, category).assignee for _ in range(3)]
    assert assignees == [agent, second, agent]


def test_least_open_work_assigns_the_least_busy(
    agent, customer, category, department, django_capture_on_commit_callbacks
):
    idle = UserFactory(role=Role.AGENT)
    MembershipFactory(user=idle, department=department)
    RecordFactory.create_batch(2, assignee=agent, category=category, status="open")
    DepartmentRoutingPolicy.objects.create(department=department, mode="least_open")
    with django_capture_on_commit_callbacks(execute=True):
        record = create(agent, customer, category)
    assert record.assignee == idle
    assert Notification.objects.filter(recipient=idle, verb="record_assigned").exists()


def test_transition_follows_the_table_and_stamps_times(agent, customer, category):
    record = create(agent, customer, category)
    record = services.record_transition(by=agent, record_id=record.pk, to_status="open")
    assert record.first_responded_at is not None
    record = services.record_transition(by=agent, record_id=record.pk, to_status="resolved")
    assert record.resolved_at is not None
    customer.refresh_from_db()
    assert customer.lifecycle == "actual"
    record = services.record_transition(by=agent, record_id=record.pk, to_status="closed")
    assert record.closed_at is not None
    record = services.record_transition(by=agent, record_id=record.pk, to_status="open")
    assert (record.status, record.resolved_at, record.closed_at) == ("open", None, None)


def test_illegal_transition_is_refused_and_nothing_changes(agent, customer, category):
    record = create(agent, customer, category)
    with pytest.raises(InvalidTransition) as exc:
        services.record_transition(by=agent, record_id=record.pk, to_status="closed")
    assert "cannot become closed" in str(exc.value.message)
    record.refresh_from_db()
    assert (record.status, record.version) == ("new", 1)


def test_same_status_is_a_no_op(agent, customer, category):
    record = create(agent, customer, category)
    services.record_transition(by=agent, record_id=record.pk, to_status="new")
    assert record.history.count() == 1


def test_two_updates_from_the_same_version_one_wins_one_conflicts(agent, customer, category):
    record = create(agent, customer, category)
    services.record_update(
        by=agent, record_id=record.pk, version=1, changes={"subject": "Door misaligned"}
    )
    with pytest.raises(ConflictError) as exc:
        services.record_update(
            by=agent, record_id=record.pk, version=1, changes={"description": "mine"}
        )
    assert exc.value.changes["subject"] == {"was": "Install wardrobe", "now": "Door misaligned"}
    record.refresh_from_db()
    assert (record.subject, record.description, record.version) == ("Door misaligned", "", 2)


def test_first_reply_opens_the_record(agent, customer, category):
    record = create(agent, customer, category)
    services.message_add(by=agent, record_id=record.pk, kind="note", body="internal")
    record.refresh_from_db()
    assert record.status == Status.NEW and record.first_responded_at is None
    services.message_add(by=agent, record_id=record.pk, kind="reply", body="We come Monday")
    record.refresh_from_db()
    assert record.status == Status.OPEN and record.first_responded_at is not None


def test_agent_may_only_assign_to_self(agent, manager, customer, category):
    record = create(agent, customer, category)
    with pytest.raises(DomainError):
        services.record_assign(by=agent, record_id=record.pk, assignee_id=manager.pk)
    services.record_assign(by=agent, record_id=record.pk, assignee_id=agent.pk)
    services.record_assign(by=manager, record_id=record.pk, assignee_id=manager.pk)
    record.refresh_from_db()
    assert record.assignee == manager


def test_assignee_must_work_in_the_records_departments(manager, customer, category):
    record = create(manager, customer, category)
    stranger = UserFactory(role=Role.AGENT)
    with pytest.raises(DomainError) as exc:
        services.record_assign(by=manager, record_id=record.pk, assignee_id=stranger.pk)
    assert exc.value.field == "assignee"


def test_bulk_transition_reports_refused_rows(manager, customer, category):
    a = create(manager, customer, category)
    b = create(manager, customer, category)
    services.record_transition(by=manager, record_id=b.pk, to_status="open")
    done, errors = services.record_bulk_transition(
        by=manager, record_ids=[a.pk, b.pk], to_status="pending"
    )
    assert done == 1 and len(errors) == 1 and a.reference in errors[0]


def test_assignment_email_goes_out_through_the_outbox(
    manager, agent, customer, category, django_capture_on_commit_callbacks
):
    record = create(manager, customer, category)
    from servicedesk.core.models import OutboundEmail
    from servicedesk.core.tasks import email_send

    with django_capture_on_commit_callbacks(execute=True):
        services.record_assign(by=manager, record_id=record.pk, assignee_id=agent.pk)
    email = OutboundEmail.objects.get(to=agent.email)
    [row] = [
        r for r in TaskOutbox.objects.filter(task_name="core.email_send") if email.pk in r.args
    ]
    assert email_send(*row.args) == 1
    assert any("Assigned to you" in m.subject for m in mail.outbox)
    assert f"https://desk.example.test{record.get_absolute_url()}" in mail.outbox[-1].body
    assert email_send(*row.args) == 0  # a second run sends nothing
