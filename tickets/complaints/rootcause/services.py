"""Writes for root cause: filing a closed complaint's cause (and refiling it under a version
check), the fishbone workshop's participants, causes, solutions and chosen actions, and marking a
corrective action done. Every refusal is a DomainError naming the input it concerns."""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from servicedesk.core.concurrency import lock_current
from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.models import Department
from servicedesk.core.notifications import notify
from servicedesk.core.roles import is_manager_or_admin

from ..models import Step
from ..selectors import complaint_visible
from .models import (
    MAX_WHYS,
    MIN_SOLUTIONS,
    CauseBone,
    ComplaintCause,
    CorrectiveAction,
    FishboneWorkshop,
    WorkshopCause,
    WorkshopSolution,
)
from .selectors import desk_users

TEXT_LIMIT = 300
WHY_LIMIT = 500
SUMMARY_LIMIT = 2000
# Actions given in one filing or one choice: a page offers three rows; the API gets some room.
MAX_ACTIONS = 10


# --- shared checks -------------------------------------------------------------------------------


def _require_manager(by) -> None:
    if not is_manager_or_admin(by):
        raise DomainError(_("Only a manager can file root causes."))


def _text(value, *, field: str, limit: int, missing: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise DomainError(missing, field=field)
    if len(text) > limit:
        raise DomainError(_("At most %(n)d characters.") % {"n": limit}, field=field)
    return text


def clean_whys(whys) -> list[str]:
    """The five-whys chain: blank answers are dropped (a page offers five inputs), then one to
    five must remain, each at most WHY_LIMIT characters."""
    if not isinstance(whys, list | tuple) or not all(isinstance(w, str) for w in whys):
        raise DomainError(_("Give the whys as a list of texts."), field="whys")
    chain = [w.strip() for w in whys if w.strip()]
    if not chain:
        raise DomainError(_("Ask “why” at least once and write the answer."), field="whys")
    if len(chain) > MAX_WHYS:
        raise DomainError(
            _("Ask “why” at most %(n)d times: the fifth answer is the root cause.")
            % {"n": MAX_WHYS},
            field="whys",
        )
    for why in chain:
        if len(why) > WHY_LIMIT:
            raise DomainError(_("At most %(n)d characters.") % {"n": WHY_LIMIT}, field="whys")
    return chain


def _bone(bone_id) -> CauseBone:
    bone = CauseBone.objects.filter(pk=bone_id, is_active=True).first() if bone_id else None
    if bone is None:
        raise DomainError(_("Choose a bone of the fishbone."), field="bone")
    return bone


def _clean_actions(actions, *, prefix: str) -> list[dict]:
    """Each action needs a description, an active owner and a due date that has not passed;
    errors name `<prefix>.<i>.<field>` so a page can put them on the row."""
    actions = list(actions or [])
    if not actions:
        return []
    if len(actions) > MAX_ACTIONS:
        raise DomainError(_("At most %(n)d actions at once.") % {"n": MAX_ACTIONS}, field=prefix)
    owners = set(
        desk_users()
        .filter(pk__in=[a.get("owner_id") for a in actions if isinstance(a.get("owner_id"), int)])
        .values_list("pk", flat=True)
    )
    today = timezone.localdate()
    cleaned = []
    for i, action in enumerate(actions):
        field = f"{prefix}.{i}"
        description = _text(
            action.get("description"),
            field=f"{field}.description",
            limit=TEXT_LIMIT,
            missing=_("Say what will be done."),
        )
        if action.get("owner_id") not in owners:
            raise DomainError(_("Choose an active person to own it."), field=f"{field}.owner")
        due = action.get("due_date")
        if not isinstance(due, date):
            raise DomainError(_("Give a due date."), field=f"{field}.due_date")
        if due < today:
            raise DomainError(_("Choose a date that has not passed."), field=f"{field}.due_date")
        cleaned.append({"description": description, "owner_id": action["owner_id"], "due": due})
    return cleaned


def _plan(actions: list[CorrectiveAction], *, by, url: str) -> list[CorrectiveAction]:
    """Save new actions with their first history rows, and tell each owner of theirs once (the
    notice and its e-mail are queued with this transaction and sent after it commits)."""
    if not actions:
        return []
    made = bulk_create_with_history(actions, CorrectiveAction, default_user=by)
    owners = get_user_model().objects.in_bulk([a.owner_id for a in made])
    for action in made:
        action.owner = owners[action.owner_id]
        notify(
            recipients=[action.owner],
            verb="corrective_action_planned",
            title=_("Corrective action for you, due %(date)s: %(action)s")
            % {"date": action.due_date.isoformat(), "action": action.description},
            url=url,
        )
    return made


# --- a complaint's cause -------------------------------------------------------------------------


@transaction.atomic
def cause_file(
    *,
    by,
    complaint_id: int,
    bone_id: int,
    whys: list[str],
    summary: str,
    corrective_actions: list[dict] | tuple = (),
    version: int | None = None,
) -> ComplaintCause:
    """File (or refile) a closed complaint's root cause; the actions given are added to those
    already planned. `version` is the version of the cause the caller saw, None if they saw
    none: a cause filed or refiled meanwhile is a ConflictError, never silently overwritten."""
    _require_manager(by)
    # The complaint is locked first, so two first filings queue and the second sees the first.
    complaint = (
        complaint_visible(by).select_for_update(of=("self",)).filter(pk=complaint_id).first()
    )
    if complaint is None:
        raise DomainError(_("No such complaint."), field="complaint")
    if complaint.step != Step.CLOSED:
        raise DomainError(_("File the cause once the complaint is closed."), field="complaint")
    bone = _bone(bone_id)
    chain = clean_whys(whys)
    summary = _text(
        summary,
        field="summary",
        limit=SUMMARY_LIMIT,
        missing=_("Sum up the root cause in a sentence."),
    )
    actions = _clean_actions(corrective_actions, prefix="corrective_actions")
    now = timezone.now()
    existing = ComplaintCause.objects.filter(complaint=complaint).values_list("pk", flat=True)
    if existing:
        if version is None:
            raise ConflictError(
                _("Someone filed this complaint's cause while you were writing. Check it.")
            )
        cause = lock_current(ComplaintCause.objects.all(), pk=existing[0], version=version)
        cause.version += 1
    else:
        cause = ComplaintCause(complaint=complaint)
    cause.bone, cause.whys, cause.summary = bone, chain, summary
    cause.filed_by, cause.filed_at = by, now
    cause._history_user = by
    cause.save()
    made = _plan(
        [
            CorrectiveAction(
                cause=cause,
                description=a["description"],
                owner_id=a["owner_id"],
                due_date=a["due"],
            )
            for a in actions
        ],
        by=by,
        url=reverse("tickets:complaint_detail", args=[complaint.pk]),
    )
    cause.new_actions = made
    return cause


@transaction.atomic
def corrective_action_done(*, by, action_id: int) -> CorrectiveAction:
    """Its owner or a manager marks an action done; done twice is done once."""
    action = CorrectiveAction.objects.select_for_update().filter(pk=action_id).first()
    if action is None:
        raise DomainError(_("No such action."), field="action")
    if action.done_at is not None:
        return action
    if action.owner_id != getattr(by, "pk", None) and not is_manager_or_admin(by):
        raise DomainError(_("Only its owner or a manager marks an action done."), field="action")
    action.done_at, action.done_by = timezone.now(), by
    action._history_user = by
    action.save(update_fields=["done_at", "done_by", "updated_at"])
    return action


# --- the fishbone workshop (鱼骨图分析会) ---------------------------------------------------------


def _users(user_ids, *, field: str) -> list[int]:
    wanted = {pk for pk in user_ids or [] if isinstance(pk, int)}
    found = set(desk_users().filter(pk__in=wanted).values_list("pk", flat=True))
    if len(found) != len(set(user_ids or [])):
        raise DomainError(_("Choose active people of the desk."), field=field)
    return sorted(found)


@transaction.atomic
def workshop_create(
    *,
    by,
    problem: str,
    held_on: date,
    facilitator_id: int,
    department_id: int | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    participant_ids: list[int] | tuple = (),
) -> FishboneWorkshop:
    """A manager calls the meeting: the problem at the fish's head, who leads it, who takes part."""
    if not is_manager_or_admin(by):
        raise DomainError(_("Only a manager can call a fishbone workshop."), field="problem")
    problem = _text(
        problem, field="problem", limit=TEXT_LIMIT, missing=_("Write the problem at the head.")
    )
    if not isinstance(held_on, date):
        raise DomainError(_("Give the day it is held."), field="held_on")
    if department_id and not Department.objects.filter(pk=department_id, is_active=True).exists():
        raise DomainError(_("Choose an active department."), field="department")
    if period_from and period_to and period_to < period_from:
        raise DomainError(_("The end of the period is before its start."), field="period_to")
    (facilitator,) = _users([facilitator_id], field="facilitator")
    participants = _users(participant_ids, field="participants")
    workshop = FishboneWorkshop(
        problem=problem,
        held_on=held_on,
        facilitator_id=facilitator,
        department_id=department_id or None,
        period_from=period_from,
        period_to=period_to,
        created_by=by,
    )
    workshop._history_user = by
    workshop.save()
    # The facilitator takes part too: the list of participants is who was in the room.
    workshop.participants.add(facilitator, *participants)
    return workshop


def _workshop_for(by, workshop_id: int, *, lock: bool = False) -> FishboneWorkshop:
    qs = FishboneWorkshop.objects.all()
    workshop = (qs.select_for_update() if lock else qs).filter(pk=workshop_id).first()
    if workshop is None:
        raise DomainError(_("No such workshop."), field="workshop")
    if workshop.facilitator_id != getattr(by, "pk", None) and not is_manager_or_admin(by):
        raise DomainError(_("Only its facilitator or a manager works on a workshop."))
    return workshop


@transaction.atomic
def workshop_add_participants(*, by, workshop_id: int, user_ids: list[int]) -> FishboneWorkshop:
    """Add people to the room; someone already there is not added twice."""
    workshop = _workshop_for(by, workshop_id)
    users = _users(user_ids, field="participants")
    if not users:
        raise DomainError(_("Choose who takes part."), field="participants")
    workshop.participants.add(*users)
    return workshop


@transaction.atomic
def workshop_cause_add(
    *, by, workshop_id: int, bone_id: int, text: str, whys: list[str]
) -> WorkshopCause:
    """A cause written on a bone, with its whys asked one to five levels deep."""
    workshop = _workshop_for(by, workshop_id)
    bone = _bone(bone_id)
    text = _text(text, field="text", limit=TEXT_LIMIT, missing=_("Write the cause."))
    return WorkshopCause.objects.create(
        workshop=workshop, bone=bone, text=text, whys=clean_whys(whys), added_by=by
    )


@transaction.atomic
def workshop_solution_add(*, by, workshop_id: int, text: str) -> WorkshopSolution:
    """One more idea for the list; the same idea twice counts once, so it is refused."""
    workshop = _workshop_for(by, workshop_id)
    text = _text(text, field="text", limit=TEXT_LIMIT, missing=_("Write the solution."))
    try:
        # A savepoint: the unique index answers a duplicate without ending the transaction.
        with transaction.atomic():
            return WorkshopSolution.objects.create(workshop=workshop, text=text, added_by=by)
    except IntegrityError as exc:
        raise DomainError(_("This solution is already listed."), field="text") from exc


@transaction.atomic
def workshop_solutions_choose(
    *, by, workshop_id: int, choices: list[dict]
) -> list[CorrectiveAction]:
    """Choose solutions as corrective actions, each with an owner and a due date. The method asks
    for at least MIN_SOLUTIONS listed first (列出至少20个解决方法): fewer are refused, naming how
    many more to find. A solution already chosen is refused rather than planned twice."""
    # Locked: the count and the choosing are one decision, so two choosers queue.
    workshop = _workshop_for(by, workshop_id, lock=True)
    listed = workshop.solutions.count()
    if listed < MIN_SOLUTIONS:
        missing = MIN_SOLUTIONS - listed
        raise DomainError(
            _(
                "List at least %(min)d solutions before choosing; %(listed)d listed, "
                "%(missing)d more needed."
            )
            % {"min": MIN_SOLUTIONS, "listed": listed, "missing": missing},
            field="solutions",
        )
    choices = list(choices or [])
    if not choices:
        raise DomainError(_("Choose at least one solution."), field="choices")
    ids = [c.get("solution_id") for c in choices]
    solutions = {
        s.pk: s
        for s in workshop.solutions.select_for_update().filter(
            pk__in=[pk for pk in ids if isinstance(pk, int)]
        )
    }
    for i, pk in enumerate(ids):
        field = f"choices.{i}.solution"
        if pk not in solutions:
            raise DomainError(_("Choose a solution of this workshop."), field=field)
        if solutions[pk].chosen or ids.index(pk) != i:
            raise DomainError(_("This solution is already chosen."), field=field)
    actions = _clean_actions(
        [{**c, "description": solutions[c["solution_id"]].text} for c in choices], prefix="choices"
    )
    WorkshopSolution.objects.filter(pk__in=list(solutions)).update(chosen=True)
    return _plan(
        [
            CorrectiveAction(
                workshop=workshop,
                solution=solutions[c["solution_id"]],
                description=a["description"],
                owner_id=a["owner_id"],
                due_date=a["due"],
            )
            for c, a in zip(choices, actions, strict=True)
        ],
        by=by,
        url=reverse("tickets:rootcause:workshop", args=[workshop.pk]),
    )
