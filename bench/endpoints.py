"""The endpoints the benchmark loads, with ids and search terms picked from the loaded data.

Imported by bench/session.py and bench/count_queries.py (and generate.py for the Django set-up);
it sets Django up with servicedesk.settings.bench unless DJANGO_SETTINGS_MODULE says otherwise.
"""

import math
import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings.bench")

import django  # noqa: E402

django.setup()

from urllib.parse import quote  # noqa: E402

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

BENCH_USER = "chen"  # a manager: sees the department queues, the widest staff view
WRITE_PREFIX = "BENCH-WRITE"  # subject of records made by the API create benchmark
TOKEN_NAME = "bench-load"  # noqa: S105 - API tokens made for the API create benchmark
DEEP_PAGE = 200  # or the last page, when the bench user sees fewer records
SUBMIT_SUBJECT = "bench-submit:"  # subject prefix of the links the storing submit answers
# Links made for the storing submit: bench/run.py asks for enough for its runs (a few for
# count_queries.py); unused ones are deleted too.
SUBMIT_LINKS = int(os.environ.get("BENCH_SURVEY_LINKS", "100"))
SUBMIT_WARM = 4  # links for the harness's warm requests and count_queries.py

# name -> what the table calls it
LABELS = {
    "floor": "floor: one indexed query `/bench/floor/<id>/`",
    "my_work": "My work `/`",
    "record_list": "record list, first page `/records/`",
    "record_list_deep": "record list, deep page `/records/?page=N`",
    "record_list_filtered": "record list, open + high `/records/?status=open&priority=high`",
    "record_detail": "record page `/records/<id>/`",
    "customer_list": "customer list `/customers/`",
    "customer_search_phone": "customer search, last 4 phone digits `/customers/?q=`",
    "customer_search_name": "customer search, surname `/customers/?q=`",
    "customer_360": "customer 360° `/customers/<id>/`",
    "api_customers": "API customers `GET /api/v1/customers/`",
    "api_records": "API records `GET /api/v1/service-records/`",
    "api_record_create": "API create `POST /api/v1/service-records/`",
    "callbacks_today": "callbacks today `/callbacks/`",
    "callbacks_week": "callbacks this week `/callbacks/?range=week`",
    "callbacks_agent_today": "callbacks today, as an agent `/callbacks/`",
    "callbacks_agent_week": "callbacks this week, as an agent `/callbacks/?range=week`",
    "callbacks_calendar": "callback calendar, this month `/callbacks/calendar/`",
    "callbacks_manager": "callbacks, manager's view `/callbacks/manager/`",
    "api_callbacks": "API callbacks `GET /api/v1/callbacks/`",
    "callback_detail": "callback visit page `/callbacks/<id>/`",
    "complaint_list": "complaint list, first page `/complaints/`",
    "complaint_list_step": "complaint list, step 5 `/complaints/?step=act`",
    "complaint_list_agent": "complaint list, as a one-department agent `/complaints/`",
    "complaint_detail": "complaint page, six steps and actions `/complaints/<id>/`",
    "api_complaints": "API complaints `GET /api/v1/complaints/`",
    "dashboard": "manager dashboard, last 90 days `/dashboard/?since=&until=`",
    "dashboard_one": "manager dashboard, one client at a time (-c1) `/dashboard/?since=&until=`",
    "api_kpis": "API KPIs, last 90 days `GET /api/v1/kpis/?since=&until=`",
    "survey_answer_page": "survey answer page, public `/s/<token>/`",
    "survey_submit_limited": "survey submit, past the per-link limit (429) `POST /s/<token>/`",
    "survey_submit": "survey submit, storing an answer `POST /s/<token>/`, a fresh link each",
    "survey_results": "survey results, after-service `/surveys/results/<id>/`",
    "survey_responses": "survey responses, first page `/surveys/`",
    "api_survey_responses": "API survey responses `GET /api/v1/survey-responses/`",
}
CALLBACK_DEPARTMENT = "customer-service"  # the shipped rules' queue (followups.defaults)
FALLBACK_AGENT = "wangli"  # the demo agent, when no generated agent has callbacks
COMPLAINT_AGENT = "sunmei"  # the demo agent of finance alone: few records lead there

FACTS: dict = {}  # what endpoints() found in the data, for the results

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"


def bench_user():
    return get_user_model().objects.get(username=BENCH_USER)


def _common_surname(table: str) -> str:
    """The most frequent first character among customer names that start with a CJK one."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT left(name, 1) AS c, count(*) FROM {table} "  # noqa: S608 - model table
            "WHERE name ~ '^[\u4e00-\u9fff]' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        )
        row = cursor.fetchone()
    return row[0] if row else SURNAMES[0]


def login_cookie(user) -> str:
    """A session cookie of `user` (a database session, as bench/session.py makes the bench
    user's): endpoints measured as someone else carry it in their own Cookie header."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def callback_agent():
    """The agent whose callback lists are measured: of the agents in the callback department,
    the one with the most scheduled visits due in the next week (a busy list, not an empty one)."""
    from datetime import timedelta

    from django.db.models import Count
    from django.utils import timezone

    from followups.models import CallbackVisit
    from servicedesk.core.roles import Role, user_role

    User = get_user_model()
    busiest = (
        CallbackVisit.objects.filter(
            status="scheduled",
            due_at__lt=timezone.now() + timedelta(days=7),
            assignee__department_memberships__department__code=CALLBACK_DEPARTMENT,
        )
        .values("assignee")
        .annotate(n=Count("id"))
        .order_by("-n", "assignee")[:20]
    )
    for row in busiest:
        user = User.objects.get(pk=row["assignee"])
        if user.is_active and user_role(user) == Role.AGENT:
            return user, row["n"]
    return User.objects.filter(username=FALLBACK_AGENT).first(), 0


def callback_visit(user):
    """A visit page with the most to show: a visible, still scheduled visit that follows a record,
    with the most attempts logged (its attempts, history and forms all render)."""
    from followups import selectors

    return (
        selectors.visit_visible(user)
        .filter(status="scheduled", source_record__isnull=False)
        .order_by("-attempts", "due_at")
        .first()
    )


def complaint_page(user):
    """A complaint page with the most to show, in the middle of the ids rather than the newest:
    a visible complaint closed satisfied (all six steps taken, step 5's actions done) that went
    round a loop (more than six step entries), else any closed one."""
    from django.db.models import Count

    from tickets.complaints.selectors import complaint_visible

    visible = complaint_visible(user).filter(step="closed", outcome="satisfied")
    first, last = visible.order_by("pk").first(), visible.order_by("-pk").first()
    if first is None:
        return None
    middle = visible.filter(pk__gte=(first.pk + last.pk) // 2).order_by("pk")
    looped = middle.annotate(n=Count("entries")).filter(n__gt=6)
    return (
        looped.values_list("pk", flat=True).first() or middle.values_list("pk", flat=True).first()
    )


def complaint_agent():
    """The agent of the one-department list: the demo agent of finance alone, whose records are
    a small share of all (billing corrections), so a page of theirs lies deep in the ids."""
    User = get_user_model()
    return User.objects.filter(username=COMPLAINT_AGENT, is_active=True).first()


def survey_links() -> tuple[str, str] | None:
    """Two fresh links to the after-service survey (tokens are only known when made: the database
    keeps their hashes): one for the answer page, one whose per-link submit limit is used up.

    This submit is measured past its per-link limit (settings.SURVEY_SUBMITS_PER_LINK a link an
    hour): the 429 page is what a flood of one link costs the desk. The storing submit has links
    of its own (submit_links())."""
    from datetime import timedelta

    from django.utils import timezone

    from customers.models import Customer
    from servicedesk.core.ratelimit import allow
    from surveys import public, services
    from surveys.models import Channel, SurveyInvitation, SurveyTemplate

    template = SurveyTemplate.objects.filter(key="after-service", is_active=True).first()
    if template is None:
        return None
    recent = SurveyInvitation.objects.filter(created_at__gt=timezone.now() - timedelta(days=31))
    # Customers in the middle of the ids, not asked lately (the policy's frequency limit).
    middle = Customer.objects.filter(is_archived=False).order_by("-pk").values_list("pk", flat=True)
    links = []
    for customer_id in middle[1000:1200]:
        if recent.filter(customer_id=customer_id).exists():
            continue
        try:
            invitation = services.survey_invite(
                template=template, customer_id=customer_id, channel=Channel.LINK, by=bench_user()
            )
        except services.NotInvited:
            continue
        links.append(invitation)
        if len(links) == 2:
            break
    if len(links) < 2:
        return None
    limit, window = public.per_token()
    for _ in range(limit + 1):
        allow(f"survey:token:{links[1].pk}", limit=limit, window=window)
    FACTS["survey_invitations_made"] = [i.pk for i in links]
    return services.token_for(links[0]), services.token_for(links[1])


def submit_links() -> dict | None:
    """Fresh unanswered links to the after-service survey for the storing submit, one per
    request: tokens are derived when made and only their hashes are stored, so they are made
    here, written to a file that bench/survey_submit.lua walks, and deleted by cleanup().
    Returns {"warm": [paths], "file": path, "form": answers} or None without the template.

    Written in bulk: survey_invite's frequency limit would allow one link per customer a month,
    and what is measured is the answer, not the invitation. The answers are high (no complaint
    opened: the loop is the worker's, after commit) and name no agent."""
    import secrets
    import tempfile
    from datetime import timedelta

    from django.utils import timezone

    from customers.models import Customer
    from servicedesk.core.models import hash_token
    from surveys import services
    from surveys.models import Channel, Kind, SurveyInvitation, SurveyTemplate

    template = SurveyTemplate.objects.filter(key="after-service", is_active=True).first()
    customers = list(
        Customer.objects.filter(is_archived=False)
        .order_by("-pk")
        .values_list("pk", flat=True)[2000:2500]
    )
    if template is None or not customers:
        return None
    now = timezone.now()
    run = secrets.token_hex(3)  # session.py and count_queries.py each make their own
    links = []
    for n in range(SUBMIT_LINKS + SUBMIT_WARM):
        invitation = SurveyInvitation(
            template=template,
            customer_id=customers[n % len(customers)],
            subject=f"{SUBMIT_SUBJECT}{run}:{n}",
            channel=Channel.LINK,
            token_salt=secrets.token_hex(16),
            created_at=now,
            expires_at=now + timedelta(days=1),
            created_by=bench_user(),
        )
        invitation.token_hash = hash_token(services.token_for(invitation))
        links.append(invitation)
    SurveyInvitation.objects.bulk_create(links, batch_size=2000)
    paths = [f"/s/{services.token_for(i)}/" for i in links]
    fd, name = tempfile.mkstemp(prefix="desk-bench-survey-links-", suffix=".txt")
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(paths[SUBMIT_WARM:]) + "\n")
    form = {}
    for q in template.questions.all():
        if q.kind == Kind.RATING:
            form[f"q{q.pk}"] = "5"
        elif q.kind == Kind.NPS:
            form[f"q{q.pk}"] = "10"
        elif q.kind == Kind.CHOICE and q.choices:
            form[f"q{q.pk}"] = q.choice_pairs()[0][0]
        elif q.kind == Kind.TEXT:
            form[f"q{q.pk}"] = "Quick and friendly, thank you."
    FACTS["survey_submit_links"] = len(links)
    return {"warm": paths[:SUBMIT_WARM], "file": name, "form": form}


def api_token() -> str:
    """A fresh API token of the bench user (the key is only known at creation)."""
    from servicedesk.core.services import api_token_create

    _token, key = api_token_create(user=bench_user(), name=TOKEN_NAME)
    return key


def endpoints(token: str = "") -> list[dict]:
    from customers.models import Customer
    from servicedesk.core.models import Department
    from tickets.models import ServiceCategory
    from tickets.selectors import record_visible

    user = bench_user()
    visible = record_visible(user)
    # A record the bench user may open (others would measure the 404 page), in the middle of
    # the table rather than the newest one, which would sit in every cache.
    first, last = visible.order_by("pk").first(), visible.order_by("-pk").first()
    record = visible.filter(pk__gte=(first.pk + last.pk) // 2).order_by("pk").first()
    customer = Customer.objects.get(pk=record.customer_id)
    phone = (
        customer.contact_points.filter(kind="phone").values_list("value", flat=True).first()
        or Customer.objects.filter(contact_points__kind="phone")
        .values_list("contact_points__value", flat=True)
        .first()
        or "0000"
    )
    digits = "".join(c for c in phone if c.isdigit())[-4:]
    # page 200 of the list, or its last page if the bench user sees fewer records than that
    from tickets import views as record_views

    per_page = getattr(record_views, "PAGE_SIZE", 25)
    FACTS["records_visible_to_bench_user"] = visible.count()
    deep = min(DEEP_PAGE, max(1, math.ceil(FACTS["records_visible_to_bench_user"] / per_page)))
    FACTS["deep_page"] = deep
    surname = FACTS["surname"] = _common_surname(Customer._meta.db_table)
    FACTS["phone_digits"] = digits
    department = Department.objects.order_by("pk").first()
    category = (
        ServiceCategory.objects.filter(is_active=True, lead_department__isnull=False)
        .order_by("pk")
        .first()
    )
    create_customer = Customer.objects.filter(is_archived=False).order_by("pk").first()
    auth = {"Authorization": f"Token {token}"} if token else {}
    agent, agent_week = callback_agent()
    FACTS["callback_agent"] = agent.username if agent else None
    FACTS["callback_agent_week"] = agent_week
    as_agent = {"Cookie": login_cookie(agent)} if agent else {}
    visit = callback_visit(user)
    from tickets.complaints.selectors import complaint_visible

    FACTS["complaints_visible_to_bench_user"] = complaint_visible(user).count()
    complaint = FACTS["complaint_page"] = complaint_page(user)
    one_dept = complaint_agent()
    FACTS["complaint_agent"] = one_dept.username if one_dept else None
    FACTS["complaints_visible_to_agent"] = complaint_visible(one_dept).count() if one_dept else None
    as_one_dept = {"Cookie": login_cookie(one_dept)} if one_dept else {}
    until = timezone.localdate()
    period = FACTS["dashboard_period"] = f"since={until - timedelta(days=89)}&until={until}"
    rows = [
        {"name": "floor", "path": f"/bench/floor/{department.pk}/"},
        {"name": "my_work", "path": "/"},
        {"name": "record_list", "path": "/records/"},
        {"name": "record_list_deep", "path": f"/records/?page={deep}"},
        {"name": "record_list_filtered", "path": "/records/?status=open&priority=high"},
        {"name": "record_detail", "path": f"/records/{record.pk}/"},
        {"name": "customer_list", "path": "/customers/"},
        {"name": "customer_search_phone", "path": f"/customers/?q={digits}"},
        {"name": "customer_search_name", "path": f"/customers/?q={quote(surname)}"},
        {"name": "customer_360", "path": f"/customers/{customer.pk}/"},
        {"name": "api_customers", "path": "/api/v1/customers/"},
        {"name": "api_records", "path": "/api/v1/service-records/"},
        {
            "name": "api_record_create",
            "method": "POST",
            "path": "/api/v1/service-records/",
            "headers": auth,
            "body": {
                "customer": create_customer.pk,
                "stage": category.stage,
                "category": category.pk,
                "subject": f"{WRITE_PREFIX} load record",
                "description": "Created by the write benchmark (bench/run.py).",
                "priority": "normal",
            },
        },
        # Callback visits (followups): the lists as the bench user (a manager of two departments)
        # and as an agent, the calendar, the manager's rates, the API list by due time.
        {"name": "callbacks_today", "path": "/callbacks/"},
        {"name": "callbacks_week", "path": "/callbacks/?range=week"},
        {"name": "callbacks_agent_today", "path": "/callbacks/", "headers": as_agent},
        {"name": "callbacks_agent_week", "path": "/callbacks/?range=week", "headers": as_agent},
        {"name": "callbacks_calendar", "path": "/callbacks/calendar/"},
        {"name": "callbacks_manager", "path": "/callbacks/manager/"},
        {"name": "api_callbacks", "path": "/api/v1/callbacks/"},
        {"name": "callback_detail", "path": f"/callbacks/{visit.pk}/"},
        # Complaints (tickets.complaints): the list, by step, as a one-department agent; a
        # complaint's page; the API list (its cursor pages, each complaint with its steps).
        {"name": "complaint_list", "path": "/complaints/"},
        {"name": "complaint_list_step", "path": "/complaints/?step=act"},
        {"name": "complaint_list_agent", "path": "/complaints/", "headers": as_one_dept},
        {"name": "complaint_detail", "path": f"/complaints/{complaint}/"},
        {"name": "api_complaints", "path": "/api/v1/complaints/"},
        # The manager's dashboard and its API over the last 90 days (issue 12), as the bench user.
        {"name": "dashboard", "path": f"/dashboard/?{period}"},
        # The same, one manager at a time: the wait of one user, not of eight at once.
        {"name": "dashboard_one", "path": f"/dashboard/?{period}", "conns": 1},
        {"name": "api_kpis", "path": f"/api/v1/kpis/?{period}"},
    ]
    rows += survey_rows()
    if not agent:
        rows = [r for r in rows if not r["name"].startswith("callbacks_agent")]
    if not one_dept:
        rows = [r for r in rows if r["name"] != "complaint_list_agent"]
    if not complaint:
        rows = [r for r in rows if r["name"] != "complaint_detail"]
    for row in rows:
        row["label"] = LABELS[row["name"]]
    return rows


def survey_rows() -> list[dict]:
    """Surveys: the public answer page and its submit (no login: a CSRF cookie and header of
    their own in place of the session), the after-service results, the responses list and the
    API list."""
    from django.conf import settings
    from django.utils.crypto import get_random_string

    from surveys.models import SurveyResponse, SurveyTemplate

    rows = []
    template = SurveyTemplate.objects.filter(key="after-service").first()
    FACTS["survey_responses"] = SurveyResponse.objects.count()
    links = survey_links()
    if links:
        csrf = get_random_string(32)
        public = {"Cookie": f"{settings.CSRF_COOKIE_NAME}={csrf}", "X-CSRFToken": csrf}
        rows += [
            {"name": "survey_answer_page", "path": f"/s/{links[0]}/", "headers": public},
            {
                "name": "survey_submit_limited",
                "method": "POST",
                "path": f"/s/{links[1]}/",
                "headers": public,
                "body": {"note": "refused before the answers are read"},
            },
        ]
        submit = submit_links()
        if submit:
            rows.append(
                {
                    "name": "survey_submit",
                    "method": "POST",
                    "path": submit["warm"][0],
                    "warm_paths": submit["warm"],
                    "headers": public,
                    "form": submit["form"],
                    "script": "survey_submit.lua",
                    "links_file": submit["file"],
                }
            )
    if template is not None:
        rows.append({"name": "survey_results", "path": f"/surveys/results/{template.pk}/"})
    rows += [
        {"name": "survey_responses", "path": "/surveys/"},
        {"name": "api_survey_responses", "path": "/api/v1/survey-responses/"},
    ]
    return rows


def cleanup(tokens: bool = True) -> dict:
    """Delete what the write benchmark made: its records (with their history) and, unless told
    otherwise, the bench user's benchmark tokens."""
    from servicedesk.core.models import ApiToken
    from tickets.models import ServiceRecord

    records = ServiceRecord.objects.filter(subject__startswith=WRITE_PREFIX)
    ids = list(records.values_list("pk", flat=True))
    history = getattr(ServiceRecord, "history", None)
    deleted_history = history.filter(id__in=ids).delete()[0] if history is not None and ids else 0
    deleted = records.delete()[0] if ids else 0
    from surveys.models import Channel, SurveyInvitation

    removed = links = 0
    if tokens:
        # The run's end (not count_queries.py, which runs while bench/session.py's links are
        # still to be measured): the unanswered links survey_links() made.
        links = SurveyInvitation.objects.filter(
            created_by__username=BENCH_USER, channel=Channel.LINK, response__isnull=True
        ).delete()[0]
        answered = submit_cleanup()
        removed = ApiToken.objects.filter(name=TOKEN_NAME, user__username=BENCH_USER).delete()[0]
    return {
        "records": len(ids),
        "deleted_rows": deleted + deleted_history,
        "tokens": removed,
        "survey_links": links,
        **({"survey_answers": answered} if tokens else {}),
    }


def submit_cleanup() -> dict:
    """Delete what the storing submit made: its links (answered or not), their responses and
    answers, the survey_answered events they emitted (with their deliveries) and the links files.
    The days they touched are today's, so no daily sum counted them."""
    import glob
    import tempfile

    from servicedesk.core.models import DomainEvent
    from surveys.models import Answer, SurveyInvitation, SurveyResponse

    invitations = SurveyInvitation.objects.filter(
        created_by__username=BENCH_USER, subject__startswith=SUBMIT_SUBJECT
    )
    ids = list(invitations.values_list("pk", flat=True))
    responses = SurveyResponse.objects.filter(invitation_id__in=ids)
    response_ids = list(responses.values_list("pk", flat=True))
    events = DomainEvent.objects.filter(
        name="survey_answered", payload__invitation_id__in=ids
    ).delete()[0]
    answers = Answer.objects.filter(response_id__in=response_ids).delete()[0]
    responses = responses.delete()[0]
    links = invitations.delete()[0]
    for name in glob.glob(os.path.join(tempfile.gettempdir(), "desk-bench-survey-links-*")):
        os.remove(name)
    return {"links": links, "responses": responses, "answers": answers, "events": events}


def drop_token(key: str) -> None:
    from servicedesk.core.models import ApiToken, hash_token

    ApiToken.objects.filter(key_hash=hash_token(key)).delete()
