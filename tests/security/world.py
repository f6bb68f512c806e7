"""The people and objects the access matrix walks, built once per module.

Two departments: "home" (the acting agent's, manager's and integration's) and "away". Every
scoped kind gets one object per owner, so a role's "own" object is its own, "dept" belongs to a
colleague in the home department and "foreign" to a stranger in the away department. Foreign rows
carry FOREIGN in every text a list may show (subject, customer, title), so a list
that leaks one is caught by a plain substring test; the colleague's carry HOME, so a test can show
that the same list does render such rows when they are visible. People's names carry no marker:
the filters' staff pickers list the whole desk, which is a directory, not rows.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from customers.models import ImportJob
from servicedesk.audit.models import Review
from servicedesk.core import services as core_services
from servicedesk.core.models import WorkerPing
from servicedesk.core.roles import Role
from surveys.services import hash_token, token_for
from tests.audit.factories import CheckFormFactory
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    DepartmentFactory,
    InteractionFactory,
    MembershipFactory,
    ProductOwnedFactory,
    UserFactory,
)
from tests.feedback.factories import CaseFactory, MeetingFactory, SuggestionFactory
from tests.followups.factories import RuleFactory, VisitFactory
from tests.surveys.factories import answer, invite, rating_template
from tests.tickets.factories import CategoryFactory, RecordFactory
from tickets.complaints.models import Complaint, ComplaintAction
from tickets.complaints.rootcause.models import (
    CauseBone,
    ComplaintCause,
    CorrectiveAction,
    FishboneWorkshop,
)
from tickets.models import RecordAttachment

FOREIGN = "zzFOREIGNzz"
HOME = "zzHOMEzz"
MARKS = {"stranger": FOREIGN, "colleague": HOME}
ROLES = ("anonymous", "agent", "manager", "administrator", "integration")
SCOPES = ("own", "dept", "foreign")
# Whose object each scope is, per acting role (anonymous has none of its own: a colleague's).
OWNER = {
    "anonymous": {"own": "colleague", "dept": "colleague", "foreign": "stranger"},
    "agent": {"own": "agent", "dept": "colleague", "foreign": "stranger"},
    "manager": {"own": "manager", "dept": "colleague", "foreign": "stranger"},
    "administrator": {"own": "administrator", "dept": "colleague", "foreign": "stranger"},
    "integration": {"own": "integration", "dept": "colleague", "foreign": "stranger"},
}


@dataclass
class World:
    users: dict = field(default_factory=dict)
    token: str = ""  # the integration account's API key
    shared: dict = field(default_factory=dict)  # kind -> the one object every role sees
    owned: dict = field(default_factory=dict)  # (kind, owner) -> object


def _owned_objects(world: World, owner: str, user, department, category, template, form):
    today = timezone.localdate()
    label = f"{MARKS.get(owner, 'Subject')} of {owner}"
    customer = CustomerFactory(name=f"{label} customer")
    record = RecordFactory(category=category, customer=customer, assignee=user, subject=label)
    attachment = RecordAttachment(
        record=record, original_name="note.txt", content_type="text/plain", size=2
    )
    attachment.file.save("note.txt", ContentFile(b"hi"), save=False)
    attachment.save()
    complaint = Complaint.objects.create(
        record=record, channel="phone", severity="general", step="act"
    )
    action = ComplaintAction.objects.create(
        complaint=complaint, description=label, owner=user, due_date=today
    )
    cause = ComplaintCause.objects.create(
        complaint=complaint,
        bone=CauseBone.objects.get_or_create(
            code="sec-bone", defaults={"name_en": "Bone", "name_zh": "骨"}
        )[0],
        whys=["why"],
        summary=label,
        filed_by=user,
        filed_at=timezone.now(),
    )
    cause_action = CorrectiveAction.objects.create(
        cause=cause, description=label, owner=user, due_date=today
    )
    workshop = FishboneWorkshop.objects.create(
        problem=label, department=department, held_on=today, facilitator=user, created_by=user
    )
    workshop_action = CorrectiveAction.objects.create(
        workshop=workshop, description=label, owner=user, due_date=today
    )
    visit = VisitFactory(department=department, assignee=user, customer=customer)
    response = answer(
        template, customer, at=timezone.now(), values={}, department=department, agent=user
    )
    review = Review.objects.create(
        form=form,
        record=record,
        agent=user,
        department=department,
        reviewer=world.users["manager"],
        points=1,
        max_points=3,
        comment=label,
    )
    token, _key = core_services.api_token_create(user=user, name=label)
    objects = {
        "record": record,
        "attachment": attachment,
        "complaint": complaint,
        "complaint_action": action,
        "cause_action": cause_action,
        "workshop": workshop,
        "workshop_action": workshop_action,
        "visit": visit,
        "survey_response": response,
        "survey_invitation": response.invitation,
        "review": review,
        "token": token,
        "import_job": ImportJob.objects.create(created_by=user, filename=f"{label}.csv"),
        "case": CaseFactory(author=user, title=label),
        "suggestion": SuggestionFactory(author=user, title=label),
    }
    for kind, obj in objects.items():
        world.owned[kind, owner] = obj


def build_world() -> World:
    world = World()
    home = DepartmentFactory(code="sec-home")
    away = DepartmentFactory(code="sec-away")
    people = {
        "agent": (Role.AGENT, home, False),
        "manager": (Role.MANAGER, home, True),
        "administrator": (Role.ADMINISTRATOR, None, False),
        "integration": (Role.AGENT, home, False),
        "colleague": (Role.AGENT, home, False),
        "stranger": (Role.AGENT, away, False),
    }
    for name, (role, department, is_manager) in people.items():
        user = UserFactory(username=f"sec-{name}", first_name=name, last_name="Staff", role=role)
        if department is not None:
            MembershipFactory(user=user, department=department, is_manager=is_manager)
        world.users[name] = user
    _token, world.token = core_services.api_token_create(
        user=world.users["integration"], name="integration"
    )
    categories = {
        home: CategoryFactory(code="sec-home", lead_department=home),
        away: CategoryFactory(code="sec-away", lead_department=away),
    }
    template = rating_template(key="sec-template")
    form = CheckFormFactory(key="sec-form")
    for owner, user in world.users.items():
        department = away if owner == "stranger" else home
        _owned_objects(world, owner, user, department, categories[department], template, form)

    # Unclaimed visits in each department's queue, already late: the callback lists' other rows.
    yesterday = timezone.now() - timedelta(days=1)
    for owner, department in (("colleague", home), ("stranger", away)):
        VisitFactory(
            department=department,
            customer=CustomerFactory(name=f"{MARKS[owner]} queue customer"),
            due_at=yesterday,
        )

    customer = CustomerFactory(name="Shared customer")
    link = invite(template, customer, at=timezone.now())
    link.token_hash = hash_token(token_for(link))
    link.expires_at = timezone.now() + timedelta(days=7)
    link.save()
    world.shared = {
        "customer": customer,
        "contact": ContactFactory(customer=customer),
        "interaction": InteractionFactory(customer=customer),
        "product_owned": ProductOwnedFactory(customer=customer),
        "department": home,
        "category": categories[home],
        "callback_rule": RuleFactory(code="sec-rule", department=home),
        "survey_template": template,
        "check_form": form,
        "meeting": MeetingFactory(attendees=[world.users["colleague"]]),
        "worker_ping": WorkerPing.objects.create(created_by=world.users["administrator"]),
        "survey_link": token_for(link),
    }
    return world
