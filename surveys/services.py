"""Survey writes: invitations (with both frequency limits), answers (once per link) and the loop a
low score opens. Views, API views, tasks and event subscribers all call these."""

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import ContactPoint, ContactPointKind, Customer
from servicedesk.core import events
from servicedesk.core.concurrency import versioned_update
from servicedesk.core.exceptions import DomainError
from servicedesk.core.models import hash_token
from servicedesk.core.outbox import enqueue
from servicedesk.core.roles import Role, has_role

from .models import (
    MAX_TEXT,
    NPS_RANGE,
    OPEN_STATUSES,
    RATING_RANGE,
    Answer,
    Channel,
    InvitationStatus,
    Kind,
    Question,
    SurveyInvitation,
    SurveyPolicy,
    SurveyResponse,
    SurveyTemplate,
)


def token_for(invitation: SurveyInvitation) -> str:
    """The link's token: an HMAC of the invitation's random salt under SECRET_KEY (256 bits).

    Only its SHA-256 is stored, and the e-mail task derives the token again from the id when it
    sends, so the token never rests anywhere in the database, not even in an e-mail outbox."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"survey:{invitation.token_salt}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def invitation_for_token(token: str) -> SurveyInvitation | None:
    if not token or len(token) > 100:
        return None
    return (
        SurveyInvitation.objects.select_related("template", "customer")
        .filter(token_hash=hash_token(token))
        .first()
    )


def _subject(record=None, visit=None, complaint=None) -> str:
    if complaint is not None:
        return f"complaint:{complaint.pk}"
    if visit is not None:
        return f"visit:{visit.pk}"
    if record is not None:
        return f"record:{record.pk}"
    return ""


def _email_of(customer_id: int) -> str:
    point = (
        ContactPoint.objects.filter(customer_id=customer_id, kind=ContactPointKind.EMAIL)
        .order_by("-is_primary", "pk")
        .values_list("value", flat=True)
        .first()
    )
    return point or ""


class NotInvited(DomainError):
    """The invitation was not made: a limit or a missing address (the message says which)."""


@transaction.atomic
def survey_invite(
    *,
    template: SurveyTemplate,
    customer_id: int,
    channel: str = Channel.EMAIL,
    record=None,
    visit=None,
    complaint=None,
    by=None,
    now=None,
) -> SurveyInvitation:
    """Invite a customer to answer `template` about what it follows. Raises NotInvited when the
    customer already has an open invitation about the same thing, was asked in the last N days
    (SurveyPolicy), or has no e-mail address for an e-mailed invitation.

    The customer's row is locked first, so two triggers at once cannot both pass the limits."""
    now = now or timezone.now()
    policy = SurveyPolicy.current()
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotInvited(_("Choose a customer."), field="customer")
    if not template.is_active:
        raise NotInvited(_("This survey template is not active."), field="template")
    owners = (
        ("record", record and record.customer_id),
        ("visit", visit and visit.customer_id),
        ("complaint", complaint and complaint.record.customer_id),
    )
    for name, owner in owners:
        if owner and owner != customer_id:
            raise NotInvited(_("This belongs to another customer."), field=name)
    subject = _subject(record, visit, complaint) or f"customer:{customer_id}"
    mine = SurveyInvitation.objects.filter(customer_id=customer_id)
    if mine.filter(subject=subject, status__in=OPEN_STATUSES).exists():
        raise NotInvited(_("The customer already has an open survey about this."), field="subject")
    since = now - timedelta(days=policy.min_days_between)
    if mine.filter(created_at__gt=since).exclude(status=InvitationStatus.CANCELLED).exists():
        raise NotInvited(
            _("The customer was asked in the last %(days)d days.")
            % {"days": policy.min_days_between},
            field="customer",
        )
    email = ""
    if channel == Channel.EMAIL:
        email = _email_of(customer_id)
        if not email:
            raise NotInvited(_("The customer has no e-mail address."), field="channel")
    source = complaint.record if complaint is not None else record
    if source is None and visit is not None:
        source = visit.source_record
    salt = secrets.token_hex(16)
    invitation = SurveyInvitation(
        template=template,
        customer=customer,
        record=record,
        visit=visit,
        complaint=complaint,
        subject=subject,
        stage=getattr(source, "stage", "") or "",
        department_id=(
            getattr(visit, "department_id", None)
            if visit is not None
            else getattr(source, "lead_department_id", None)
        ),
        agent_id=(visit.assignee_id if visit is not None else getattr(source, "assignee_id", None)),
        channel=channel,
        language=customer.language or settings.LANGUAGE_CODE,
        email=email,
        token_salt=salt,
        expires_at=now + timedelta(days=policy.expiry_days),
        created_at=now,
        created_by=by if getattr(by, "pk", None) else None,
    )
    invitation.token_hash = hash_token(token_for(invitation))
    invitation.save()
    if channel == Channel.EMAIL:
        enqueue("surveys.send_invitation", invitation.pk)
    return invitation


def survey_open(invitation: SurveyInvitation, *, now=None) -> None:
    """The customer opened the link: remembered once (sent -> opened), for the response rate."""
    if invitation.status == InvitationStatus.PENDING:
        SurveyInvitation.objects.filter(pk=invitation.pk, status=InvitationStatus.PENDING).update(
            status=InvitationStatus.OPENED, opened_at=now or timezone.now()
        )


def clean_answers(template: SurveyTemplate, data) -> tuple[dict, dict]:
    """Check posted answers ({"q<id>": value}) against the template's questions.

    Returns (answers by question, errors by field name): every required question answered,
    ratings in range, choices among the question's own, texts at most MAX_TEXT characters."""
    answers, errors = {}, {}
    for question in template.questions.all():
        name = f"q{question.pk}"
        raw = data.get(name)
        raw = "" if raw is None else str(raw).strip()
        if "\x00" in raw:
            errors[name] = _("This answer contains characters that cannot be stored.")
            continue
        if not raw:
            if question.required:
                errors[name] = _("Please answer this question.")
            continue
        if question.kind in (Kind.RATING, Kind.NPS):
            allowed = RATING_RANGE if question.kind == Kind.RATING else NPS_RANGE
            if not raw.isdigit() or int(raw) not in allowed:
                errors[name] = _("Choose a number from %(low)d to %(high)d.") % {
                    "low": allowed.start,
                    "high": allowed.stop - 1,
                }
                continue
            answers[question] = int(raw)
        elif question.kind == Kind.CHOICE:
            if raw not in {value for value, _label in question.choice_pairs()}:
                errors[name] = _("Choose one of the options.")
                continue
            answers[question] = raw
        else:
            if len(raw) > MAX_TEXT:
                errors[name] = _("Please keep this answer under %(max)d characters.") % {
                    "max": MAX_TEXT
                }
                continue
            answers[question] = raw
    return answers, errors


class AnswersInvalid(DomainError):
    """Some answers were refused; `errors` holds one message per question field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(_("Please check the answers marked below."), code="invalid")
        self.errors = errors

    def as_field_errors(self) -> dict[str, list[str]]:
        return {name: [str(message)] for name, message in self.errors.items()}


class AlreadyAnswered(DomainError):
    pass


class LinkExpired(DomainError):
    pass


def survey_submit(
    *,
    invitation_id: int,
    data,
    opt_ins: frozenset = frozenset(),
    entered_by=None,
    now=None,
) -> SurveyResponse:
    """Store one response to an invitation: the answers, the opt-ins, and what a low score opens.

    The invitation row is locked and re-checked (answered? expired? cancelled?), and the response
    is one-to-one with it, so a double submit from two tabs stores exactly one response and the
    second gets AlreadyAnswered."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            invitation = (
                SurveyInvitation.objects.select_for_update()
                .select_related("template")
                .get(pk=invitation_id)
            )
            if invitation.status == InvitationStatus.ANSWERED:
                raise AlreadyAnswered(_("This survey was already answered. Thank you."))
            if invitation.status == InvitationStatus.CANCELLED or invitation.is_expired(now):
                raise LinkExpired(_("This survey link has expired."))
            answers, errors = clean_answers(invitation.template, data)
            if errors:
                raise AnswersInvalid(errors)
            response = _store(invitation, answers, opt_ins, entered_by=entered_by, now=now)
    except IntegrityError as exc:
        # Only the one-to-one can collide here: another submit committed first.
        raise AlreadyAnswered(_("This survey was already answered. Thank you.")) from exc
    return response


def _store(invitation, answers: dict, opt_ins, *, entered_by, now) -> SurveyResponse:
    policy = SurveyPolicy.current()
    rating = next((v for q, v in answers.items() if q.kind == Kind.RATING and q.is_main), None)
    if rating is None:
        rating = next((v for q, v in answers.items() if q.kind == Kind.RATING), None)
    nps = next((v for q, v in answers.items() if q.kind == Kind.NPS), None)
    is_low = (rating is not None and rating <= policy.low_rating) or (
        nps is not None and nps <= policy.low_nps
    )
    response = SurveyResponse.objects.create(
        invitation=invitation,
        template=invitation.template,
        customer_id=invitation.customer_id,
        submitted_at=now,
        entered_by=entered_by if getattr(entered_by, "pk", None) else None,
        rating=rating,
        nps=nps,
        stage=invitation.stage,
        department_id=invitation.department_id,
        agent_id=invitation.agent_id,
        is_low=is_low,
        wants_meeting="meeting" in opt_ins,
        wants_supervisor="supervisor" in opt_ins,
        wants_contact="contact" in opt_ins,
    )
    Answer.objects.bulk_create(
        Answer(
            response=response,
            question=question,
            number=value if isinstance(value, int) else None,
            choice=value if question.kind == Kind.CHOICE else "",
            text=value if question.kind == Kind.TEXT else "",
        )
        for question, value in answers.items()
    )
    invitation.status = InvitationStatus.ANSWERED
    invitation.answered_at = now
    invitation.opened_at = invitation.opened_at or now
    invitation.save(update_fields=["status", "answered_at", "opened_at"])
    # The loop (a complaint for a low score, praise to the agent, the opt-ins) runs in the
    # subscribers after commit: the customer's answer is stored even if one of them fails.
    events.emit(
        "survey_answered",
        payload={
            "id": response.pk,
            "customer_id": response.customer_id,
            "invitation_id": invitation.pk,
            "rating": rating,
            "nps": nps,
            "is_low": is_low,
            "staff_entered": response.entered_by_id is not None,
        },
        by=entered_by,
    )
    return response


@transaction.atomic
def survey_opt_in(*, response_id: int, opt_ins: frozenset) -> SurveyResponse:
    """The thank-you page's opt-ins. Each can be turned on once; asking for a manager's call
    tells the department's managers (after commit), once however often the form is sent."""
    response = (
        SurveyResponse.objects.select_for_update(of=("self",))
        .select_related("invitation", "customer")
        .get(pk=response_id)
    )
    newly = {
        name
        for name, field in (
            ("meeting", "wants_meeting"),
            ("supervisor", "wants_supervisor"),
            ("contact", "wants_contact"),
        )
        if name in opt_ins and not getattr(response, field)
    }
    if not newly:
        return response
    for name in newly:
        setattr(response, f"wants_{name}", True)
    response.save(update_fields=[f"wants_{name}" for name in sorted(newly)])
    if "supervisor" in newly:
        # The consent is the customer's, kept on the customer (the first date stands).
        Customer.objects.filter(pk=response.customer_id, supervisor_since__isnull=True).update(
            supervisor_since=timezone.now()
        )
    events.emit(
        "survey_opted_in",
        payload={"id": response.pk, "customer_id": response.customer_id, "opt_ins": sorted(newly)},
        by=None,
    )
    return response


@transaction.atomic
def survey_enter_by_staff(
    *,
    template: SurveyTemplate,
    customer_id: int,
    data,
    by,
    record=None,
    visit=None,
    opt_ins: frozenset = frozenset(),
    now=None,
) -> SurveyResponse:
    """Answers read out on a phone call and typed in by `by`: an invitation on the phone channel
    and its response, in one transaction, so a refusal (a limit, a bad answer) leaves neither.

    The answers are checked before the invitation is made: the agent sees what to correct first,
    and a call whose answers are incomplete never uses up the customer's survey for N days."""
    answers_errors = clean_answers(template, data)[1]
    if answers_errors:
        raise AnswersInvalid(answers_errors)
    invitation = survey_invite(
        template=template,
        customer_id=customer_id,
        channel=Channel.PHONE,
        record=record,
        visit=visit,
        by=by,
        now=now,
    )
    return survey_submit(
        invitation_id=invitation.pk, data=data, opt_ins=opt_ins, entered_by=by, now=now
    )


# --- templates, for administrators: a template with its questions, made or changed in one
# transaction, a change checked against the version the caller read (the API; admin's editor
# uses Django's forms) ----------------------------------------------------------------------------

QUESTION_FIELDS = (
    "kind",
    "aim",
    "text_en",
    "text_zh",
    "required",
    "is_main",
    "choices",
    "standard",
)


def _may_edit_templates(by) -> None:
    if not has_role(by, Role.ADMINISTRATOR):
        raise DomainError(_("Only administrators change survey templates."), code="forbidden")


def _question_fields(item: dict) -> dict:
    fields = {name: item[name] for name in QUESTION_FIELDS if name in item}
    fields["choices"] = [dict(c) for c in fields.get("choices") or ()]
    return fields


@transaction.atomic
def template_create(*, by, fields: dict, questions: list[dict]) -> SurveyTemplate:
    """A new template and its questions, asked in the given order."""
    _may_edit_templates(by)
    if SurveyTemplate.objects.filter(key=fields["key"]).exists():
        raise DomainError(_("A template with this key already exists."), field="key")
    try:
        with transaction.atomic():
            template = SurveyTemplate.objects.create(**fields)
    except IntegrityError as exc:  # the same key, made at the same moment
        raise DomainError(_("A template with this key already exists."), field="key") from exc
    Question.objects.bulk_create(
        Question(template=template, position=n, **_question_fields(item))
        for n, item in enumerate(questions, start=1)
    )
    return template


@transaction.atomic
def template_update(
    *, by, template_id: int, version: int | None, fields: dict, questions: list[dict] | None = None
) -> SurveyTemplate:
    """Lock, re-check the version (a stale one is a ConflictError), then write. `questions`, when
    given, is the whole list in order: named ones are kept and changed, the rest added, the ones
    left out removed. A question with answers keeps its kind and cannot be removed, so the
    answers already given keep their meaning; the version moves with any change."""
    _may_edit_templates(by)
    template = versioned_update(
        SurveyTemplate.objects.all(), pk=template_id, version=version, changes=fields
    )
    if questions is not None:
        _replace_questions(template, questions)
    return template


def _replace_questions(template: SurveyTemplate, items: list[dict]) -> None:
    existing = {q.pk: q for q in template.questions.all()}
    answered = set(
        Answer.objects.filter(question__template=template)
        .values_list("question_id", flat=True)
        .distinct()
    )
    kept_ids = set()
    for n, item in enumerate(items, start=1):
        pk = item.get("id")
        if pk is None:
            continue
        question = existing.get(pk)
        if question is None:
            raise DomainError(
                _("Question %(n)d: %(id)d is not a question of this template.")
                % {"n": n, "id": pk},
                field="questions",
            )
        if pk in answered and item["kind"] != question.kind:
            raise DomainError(
                _("Question %(n)d has answers: its kind cannot change; add a new question.")
                % {"n": n},
                field="questions",
            )
        kept_ids.add(pk)
    dropped = set(existing) - kept_ids
    if dropped & answered:
        raise DomainError(
            _(
                "A question with answers cannot be removed: keep it, or make a new template and "
                "deactivate this one."
            ),
            field="questions",
        )
    Question.objects.filter(pk__in=dropped).delete()
    kept = [existing[pk] for pk in existing if pk in kept_ids]
    # Positions and the main rating are unique per template and checked row by row, so the kept
    # questions first step out of the way (past every position in use or to be, none the main),
    # then take
    # their places.
    top = max([len(items), *(q.position for q in kept)])
    for offset, question in enumerate(kept, start=1):
        question.position = top + offset
        question.is_main = False
    Question.objects.bulk_update(kept, ["position", "is_main"])
    new = []
    for n, item in enumerate(items, start=1):
        pk = item.get("id")
        if pk is None:
            new.append(Question(template=template, position=n, **_question_fields(item)))
            continue
        question = existing[pk]
        question.position = n
        for name, value in _question_fields(item).items():
            setattr(question, name, value)
    Question.objects.bulk_update(kept, ["position", *QUESTION_FIELDS])
    Question.objects.bulk_create(new)
