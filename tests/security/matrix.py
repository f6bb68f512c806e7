"""The access matrix as data: every route's object kind, method and expected answer per role.

A route is a row of ROUTES: (kind, method, rule). The kind says which object fills the URL (and
whether it has own / same-department / foreign variants); the rule, a row of RULES, says what each
role gets. An expectation is OK (allowed: a 200 to a GET, anything but a 5xx to an empty POST,
which the form or serializer may refuse), LOGIN (a redirect to the sign-in page) or an exact
status. A scoped rule gives a role three expectations: own, same department, foreign.

Roles: anonymous; agent and manager (both members of the "home" department, the manager its
manager); administrator (no department: sees every row); integration, a personal API token of an
agent-role account sent as `Authorization: Token …` with no session, as bench/ and outside
systems call the API. The token acts with its owner's role on the API and opens no page.

A new route with no row here fails test_every_route_has_an_entry.
"""

from .world import FOREIGN, HOME

OK = "ok"
LOGIN = "login"
ADMIN_LOGIN = "admin-login"

# --- object kinds ---------------------------------------------------------------------------------
# How a kind's object fills a URL. Scoped kinds are built per owner (tests/security/world.py);
# shared kinds once. None: a route without an object.
SCOPED_KINDS = {
    "record": lambda o: {"pk": o.pk},
    "attachment": lambda o: {"pk": o.record_id, "attachment_id": o.pk},
    "complaint": lambda o: {"pk": o.pk},
    "complaint_action": lambda o: {"pk": o.complaint_id, "action_id": o.pk},
    "cause_action": lambda o: {"pk": o.cause.complaint_id, "action_id": o.pk},
    "workshop": lambda o: {"pk": o.pk},
    "workshop_action": lambda o: {"pk": o.workshop_id, "action_id": o.pk},
    "visit": lambda o: {"pk": o.pk},
    "survey_response": lambda o: {"pk": o.pk},
    "survey_invitation": lambda o: {"pk": o.pk},
    "review": lambda o: {"pk": o.pk},
    "token": lambda o: {"pk": o.pk},
    "import_job": lambda o: {"pk": o.pk},
    "case": lambda o: {"pk": o.pk},
    "suggestion": lambda o: {"pk": o.pk},
}
SHARED_KINDS = {
    "customer": lambda o: {"pk": o.pk},
    "contact": lambda o: {"pk": o.pk},
    "interaction": lambda o: {"pk": o.pk},
    "product_owned": lambda o: {"pk": o.pk},
    "department": lambda o: {"pk": o.pk},
    "category": lambda o: {"pk": o.pk},
    "callback_rule": lambda o: {"pk": o.pk},
    "survey_template": lambda o: {"pk": o.pk, "template_id": o.pk},
    "check_form": lambda o: {"pk": o.pk},
    "meeting": lambda o: {"pk": o.pk},
    "worker_ping": lambda o: {"pk": o.pk},
    "survey_link": lambda token: {"token": token},
}
# Values for arguments that name no object.
FIXED_ARGS = {"table": "figures", "uidb64": "MQ", "token": "set-password", "path": "x.txt"}

# Unnamed patterns cannot be reversed: a URL each of them answers.
UNNAMED_URLS = {"^api/": "/api/v0/nothing/", r"^media/(?P<path>.*)$": "/media/x.txt"}

# --- rules ----------------------------------------------------------------------------------------
RULES: dict[str, dict] = {}


def _rule(name, *, anonymous, integration, agent, manager, administrator):
    RULES[name] = {
        "anonymous": anonymous,
        "integration": integration,
        "agent": agent,
        "manager": manager,
        "administrator": administrator,
    }


SEEN = (OK, OK, 404)  # an audience object: own and the department's, never another's
MINE = (OK, 404, 404)  # one's own only
# Pages: a session is the only way in, so an API key gets the sign-in page like anyone else.
page = {"anonymous": LOGIN, "integration": LOGIN}
_rule("public", anonymous=OK, integration=OK, agent=OK, manager=OK, administrator=OK)
_rule("nothing", anonymous=404, integration=404, agent=404, manager=404, administrator=404)
_rule("redirect", anonymous=302, integration=302, agent=302, manager=302, administrator=302)
_rule("sign_in", anonymous=OK, integration=OK, agent=302, manager=302, administrator=302)
_rule("staff", **page, agent=OK, manager=OK, administrator=OK)
# A GET that needs a query naming its subject (?record=…) finds nothing without it.
_rule("staff_404", **page, agent=404, manager=404, administrator=404)
_rule("audience", **page, agent=SEEN, manager=SEEN, administrator=OK)
_rule("agent_audience_managers_all", **page, agent=SEEN, manager=OK, administrator=OK)
_rule("agent_own_managers_all", **page, agent=MINE, manager=OK, administrator=OK)
_rule("own_only", **page, agent=MINE, manager=MINE, administrator=MINE)
_rule("managers", **page, agent=403, manager=OK, administrator=OK)
_rule("managers_404", **page, agent=403, manager=404, administrator=404)
_rule("managers_audience", **page, agent=403, manager=SEEN, administrator=OK)
_rule("administrators", **page, agent=403, manager=403, administrator=OK)
# The admin site: its own sign-in page for everyone but administrators (is_staff).
_rule("admin_site", anonymous=ADMIN_LOGIN, integration=ADMIN_LOGIN, agent=ADMIN_LOGIN,
      manager=ADMIN_LOGIN, administrator=OK)  # fmt: skip
# The API: no credentials is a 401; the integration's key acts with its owner's role (an agent).
api = {"anonymous": 401}
_rule("api_staff", **api, integration=OK, agent=OK, manager=OK, administrator=OK)
_rule("api_audience", **api, integration=SEEN, agent=SEEN, manager=SEEN, administrator=OK)
_rule("api_agent_audience_managers_all", **api, integration=SEEN, agent=SEEN, manager=OK,
      administrator=OK)  # fmt: skip
_rule("api_agent_own_managers_all", **api, integration=MINE, agent=MINE, manager=OK,
      administrator=OK)  # fmt: skip
# Only the reviewed agent acknowledges: a manager who may read a colleague's review is refused.
_rule("api_acknowledge", **api, integration=MINE, agent=MINE, manager=(OK, 403, 403),
      administrator=(OK, 403, 403))  # fmt: skip
_rule("api_administrators", **api, integration=403, agent=403, manager=403, administrator=OK)

# --- routes ---------------------------------------------------------------------------------------
# name: (kind, method, rule)
ROUTES: dict[str, tuple] = {
    "healthz": (None, "GET", "public"),
    "favicon": (None, "GET", "public"),
    "set_language": (None, "POST", "redirect"),
    "login": (None, "GET", "sign_in"),
    "logout": (None, "POST", "redirect"),
    "password_change": (None, "GET", "staff"),
    "password_change_done": (None, "GET", "staff"),
    "password_reset": (None, "GET", "public"),
    "password_reset_done": (None, "GET", "public"),
    "password_reset_confirm": (None, "GET", "public"),
    "password_reset_complete": (None, "GET", "public"),
    "api-schema": (None, "GET", "public"),
    "api-docs": (None, "GET", "public"),
    "v1:me": (None, "GET", "api_staff"),
    "v1:department-list": (None, "GET", "api_staff"),
    "v1:department-detail": ("department", "GET", "api_staff"),
    "v1:worker-ping-list": (None, "POST", "api_administrators"),
    "v1:worker-ping-detail": ("worker_ping", "GET", "api_administrators"),
    "v1:customer-list": (None, "GET", "api_staff"),
    "v1:customer-detail": ("customer", "GET", "api_staff"),
    "v1:contact-list": (None, "GET", "api_staff"),
    "v1:contact-detail": ("contact", "GET", "api_staff"),
    "v1:interaction-list": (None, "GET", "api_staff"),
    "v1:interaction-detail": ("interaction", "GET", "api_staff"),
    "v1:product-owned-list": (None, "GET", "api_staff"),
    "v1:product-owned-detail": ("product_owned", "GET", "api_staff"),
    "v1:service-record-list": (None, "GET", "api_staff"),
    "v1:service-record-detail": ("record", "GET", "api_audience"),
    "v1:service-record-attachment-download": ("attachment", "GET", "api_audience"),
    "v1:service-record-attachments": ("record", "GET", "api_audience"),
    "v1:service-record-history": ("record", "GET", "api_audience"),
    "v1:service-record-messages": ("record", "GET", "api_audience"),
    "v1:service-record-transition": ("record", "POST", "api_audience"),
    "v1:category-list": (None, "GET", "api_staff"),
    "v1:category-detail": ("category", "GET", "api_staff"),
    "v1:complaint-list": (None, "GET", "api_staff"),
    "v1:complaint-detail": ("complaint", "GET", "api_audience"),
    "v1:complaint-action-done": ("complaint_action", "POST", "api_audience"),
    "v1:complaint-action-new-date": ("complaint_action", "POST", "api_audience"),
    "v1:complaint-steps": ("complaint", "POST", "api_audience"),
    "v1:callback-list": (None, "GET", "api_staff"),
    "v1:callback-detail": ("visit", "GET", "api_audience"),
    "v1:callback-assign": ("visit", "POST", "api_audience"),
    "v1:callback-cancel": ("visit", "POST", "api_audience"),
    "v1:callback-not-reached": ("visit", "POST", "api_audience"),
    "v1:callback-outcome": ("visit", "POST", "api_audience"),
    "v1:callback-reschedule": ("visit", "POST", "api_audience"),
    "v1:callback-rule-list": (None, "GET", "api_staff"),
    "v1:callback-rule-detail": ("callback_rule", "GET", "api_staff"),
    "v1:survey-template-list": (None, "GET", "api_staff"),
    "v1:survey-template-detail": ("survey_template", "GET", "api_staff"),
    "v1:survey-invitation-list": (None, "GET", "api_staff"),
    "v1:survey-invitation-detail": ("survey_invitation", "GET", "api_agent_audience_managers_all"),
    "v1:survey-response-list": (None, "GET", "api_staff"),
    "v1:survey-response-detail": ("survey_response", "GET", "api_agent_audience_managers_all"),
    "v1:review-list": (None, "GET", "api_staff"),
    "v1:review-detail": ("review", "GET", "api_agent_own_managers_all"),
    "v1:review-acknowledge": ("review", "POST", "api_acknowledge"),
    "v1:check-form-list": (None, "GET", "api_staff"),
    "v1:check-form-detail": ("check_form", "GET", "api_staff"),
    "v1:kpis": (None, "GET", "api_staff"),
    "^api/": (None, "GET", "nothing"),
    # Django's own admin pages that answer anyone (the rest: ROUTE_CLASSES).
    # The admin's sign-in is shadowed by a redirect to the desk's one (lock-out, two-factor).
    "admin/login/": (None, "GET", "redirect"),
    "admin:login": (None, "GET", "redirect"),
    "two_factor": (None, "GET", "staff"),
    "admin:logout": (None, "POST", "public"),
    "core:my_work": (None, "GET", "staff"),
    "core:account": (None, "GET", "staff"),
    "core:tokens": (None, "GET", "staff"),
    "core:token_revoke": ("token", "POST", "own_only"),
    "core:system": (None, "GET", "administrators"),
    "core:notifications": (None, "GET", "staff"),
    "tickets:index": (None, "GET", "staff"),
    "tickets:create": (None, "GET", "staff"),
    "tickets:detail": ("record", "GET", "audience"),
    "tickets:edit": ("record", "GET", "audience"),
    "tickets:message_add": ("record", "POST", "audience"),
    "tickets:attachment_add": ("record", "POST", "audience"),
    "tickets:attachment_download": ("attachment", "GET", "audience"),
    "tickets:transition": ("record", "POST", "audience"),
    "tickets:assign": ("record", "POST", "audience"),
    "tickets:complaints": (None, "GET", "staff"),
    "tickets:complaint_open": (None, "GET", "staff_404"),
    "tickets:complaint_detail": ("complaint", "GET", "audience"),
    "tickets:complaint_step": ("complaint", "POST", "audience"),
    "tickets:complaint_revise": ("complaint", "POST", "audience"),
    "tickets:complaint_action": ("complaint_action", "POST", "audience"),
    "tickets:complaint_reopen": ("complaint", "POST", "audience"),
    "tickets:rootcause:fishbone": (None, "GET", "managers"),
    "tickets:rootcause:workshops": (None, "GET", "managers"),
    "tickets:rootcause:workshop_create": (None, "GET", "managers"),
    # Workshops are the managers' cross-department meetings: any manager may read and run one.
    "tickets:rootcause:workshop": ("workshop", "GET", "managers"),
    "tickets:rootcause:workshop_participants": ("workshop", "POST", "managers"),
    "tickets:rootcause:workshop_cause": ("workshop", "POST", "managers"),
    "tickets:rootcause:workshop_solution": ("workshop", "POST", "managers"),
    "tickets:rootcause:workshop_choose": ("workshop", "POST", "managers"),
    "tickets:rootcause:workshop_action_done": ("workshop_action", "POST", "managers"),
    "tickets:rootcause:cause": ("complaint", "GET", "managers_audience"),
    "tickets:rootcause:cause_action_done": ("cause_action", "POST", "audience"),
    "customers:index": (None, "GET", "staff"),
    "customers:export": (None, "GET", "staff"),
    "customers:create": (None, "GET", "staff"),
    "customers:detail": ("customer", "GET", "staff"),
    "customers:edit": ("customer", "GET", "staff"),
    "customers:archive": ("customer", "POST", "staff"),
    "customers:merge": ("customer", "GET", "managers"),
    "customers:contact_add": ("customer", "GET", "staff"),
    "customers:interaction_add": ("customer", "GET", "staff"),
    "customers:product_add": ("customer", "GET", "staff"),
    # A customer's personal data (customers.privacy): administrators only.
    "customers:privacy_export": ("customer", "GET", "administrators"),
    "customers:erase": ("customer", "GET", "administrators"),
    "customers:import": (None, "GET", "staff"),
    "customers:import_preview": ("import_job", "GET", "agent_own_managers_all"),
    "customers:import_progress": ("import_job", "GET", "agent_own_managers_all"),
    "customers:import_status": ("import_job", "GET", "agent_own_managers_all"),
    "followups:index": (None, "GET", "staff"),
    "followups:create": (None, "GET", "staff"),
    "followups:calendar": (None, "GET", "staff"),
    "followups:manager": (None, "GET", "managers"),
    "followups:detail": ("visit", "GET", "audience"),
    "followups:not_reached": ("visit", "POST", "audience"),
    "followups:outcome": ("visit", "POST", "audience"),
    "followups:assign": ("visit", "POST", "audience"),
    "followups:reschedule": ("visit", "POST", "audience"),
    "followups:cancel": ("visit", "POST", "audience"),
    "surveys:index": (None, "GET", "staff"),
    "surveys:response": ("survey_response", "GET", "agent_audience_managers_all"),
    "surveys:enter": (None, "GET", "staff"),
    "surveys:results_overview": (None, "GET", "managers"),
    "surveys:results": ("survey_template", "GET", "managers"),
    "surveys:results_csv": ("survey_template", "GET", "managers"),
    "survey_answer": ("survey_link", "GET", "public"),
    "survey_thanks": ("survey_link", "GET", "nothing"),
    "dashboard:index": (None, "GET", "managers"),
    "dashboard:export": (None, "GET", "managers"),
    "dashboard:me": (None, "GET", "staff"),
    "dashboard:me_export": (None, "GET", "staff"),
    "audit:index": (None, "GET", "staff"),
    "audit:mine": (None, "GET", "staff"),
    "audit:review_create": (None, "GET", "managers_404"),
    "audit:review": ("review", "GET", "agent_own_managers_all"),
    "audit:review_acknowledge": ("review", "POST", "agent_own_managers_all"),
    "audit:forms": (None, "GET", "staff"),
    "audit:form": ("check_form", "GET", "staff"),
    "audit:scorecard": (None, "GET", "managers"),
    "feedback:index": (None, "GET", "staff"),
    "feedback:cases": (None, "GET", "staff"),
    "feedback:case_new": (None, "GET", "staff"),
    "feedback:case": ("case", "GET", "agent_own_managers_all"),
    "feedback:case_share": ("case", "POST", "managers"),
    "feedback:suggestions": (None, "GET", "staff"),
    "feedback:suggestion_new": (None, "GET", "staff"),
    "feedback:suggestion": ("suggestion", "GET", "staff"),
    "feedback:suggestion_move": ("suggestion", "POST", "managers"),
    "feedback:meetings": (None, "GET", "staff"),
    "feedback:meeting_new": (None, "GET", "managers"),
    "feedback:meeting": ("meeting", "GET", "staff"),
    "feedback:meeting_edit": ("meeting", "GET", "managers"),
    "feedback:handovers": (None, "GET", "managers"),
    "feedback:handover_new": (None, "GET", "staff"),
    "^media/(?P<path>.*)$": (None, "GET", "nothing"),
}

# Lists: the roles from which each must hide every foreign row (another department's, or another
# person's where the kind is personal), found by the FOREIGN marker; and a witness, a role that
# must see a marked row there (FOREIGN or HOME), which shows the list does render such rows.
# Managers read every survey answer and review (surveys.selectors, audit.selectors).
STAFF = ("agent", "manager")
API_STAFF = ("agent", "manager", "integration")
LISTS = {
    "v1:service-record-list": (API_STAFF, ("administrator", FOREIGN)),
    "v1:complaint-list": (API_STAFF, ("administrator", FOREIGN)),
    "v1:callback-list": (API_STAFF, ("administrator", FOREIGN)),
    "v1:survey-invitation-list": (("agent", "integration"), ("manager", FOREIGN)),
    "v1:survey-response-list": (("agent", "integration"), ("manager", FOREIGN)),
    "v1:review-list": (("agent", "integration"), ("manager", FOREIGN)),
    "core:my_work": (STAFF, ("manager", HOME)),
    "core:tokens": (("agent", "manager", "administrator"), None),
    "tickets:index": (STAFF, ("administrator", FOREIGN)),
    "tickets:complaints": (STAFF, ("administrator", FOREIGN)),
    "followups:index": (STAFF, ("agent", HOME)),
    "followups:calendar": (STAFF, None),
    "followups:manager": (("manager",), None),
    "surveys:index": (("agent",), ("manager", FOREIGN)),
    "customers:import": (("agent",), None),
    # Its rows name the agent, department and form only: no marker to witness (the API's
    # review list, on the same selector, has one).
    "audit:index": (("agent",), None),
    "audit:mine": (STAFF, None),
    "feedback:index": (("agent",), None),
    "feedback:cases": (("agent",), ("manager", FOREIGN)),
}
# A list's widest view, where its default narrows it (an agent asking for "all" gets theirs).
LIST_QUERIES = {"feedback:cases": "?scope=all"}

# The few POSTs whose empty body would stop before the visibility check: enough to reach it.
BODIES = {
    "tickets:complaint_step": {"step": "act"},
    "tickets:complaint_revise": {"step": "act"},
}

# Patterns summarised as one class each: (name prefix, rule), walked for arg-less routes only.
ROUTE_CLASSES = {"admin:": "admin_site"}
# Routes that only exist with DEBUG (static media); kept so a DEBUG run is covered too.
DEBUG_ONLY = {r"^media/(?P<path>.*)$"}
