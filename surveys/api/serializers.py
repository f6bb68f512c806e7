"""Explicit input and output shapes for the surveys API: inputs validate form, the writes
(surveys.services, surveys.api.writes) decide what is allowed."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.api.serializers import BlankAsNullChoiceField
from servicedesk.core.api.serializers import (
    DepartmentRefSerializer,
    IdField,
    InputSerializer,
    UserRefSerializer,
)
from servicedesk.core.api.versioning import VERSION_HELP
from servicedesk.core.models import bilingual
from tickets.api.complaints import CustomerBriefSerializer
from tickets.models import Stage

from ..models import (
    Aim,
    Answer,
    Channel,
    InvitationStatus,
    Kind,
    Purpose,
    Question,
    Standard,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
)

# At most this many questions a template: the seeds' barrier is the cost of answering, and the
# issue keeps each template to about six.
MAX_QUESTIONS = 20
MAX_CHOICES = 12


def _pattern(choices) -> dict:
    values = [str(value) for value, _label in choices]
    return {
        "type": "string",
        "pattern": f"^({'|'.join(values)})$",
        "description": ", ".join(f"`{v}`" for v in values),
    }


# Patterns, not enums: the schema names an enum after its field, and `status`, `kind`, `channel`
# and `purpose` are already the records', customers', complaints' and callbacks' enums; the same
# name with other values would clash (see followups.api.serializers.VisitStatusField).
@extend_schema_field(_pattern(InvitationStatus.choices))
class InvitationStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(InvitationStatus.choices, **kwargs)


@extend_schema_field(_pattern(Kind.choices))
class QuestionKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(Kind.choices, **kwargs)


@extend_schema_field(_pattern(Channel.choices))
class SurveyChannelField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(Channel.choices, **kwargs)


@extend_schema_field(_pattern(Purpose.choices))
class SurveyPurposeField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(Purpose.choices, **kwargs)


# --- templates ------------------------------------------------------------------------------------


class ChoiceOptionSerializer(serializers.Serializer):
    value = serializers.CharField(help_text=_("What an answer stores."))
    en = serializers.CharField()
    zh = serializers.CharField()


def choice_options(choices) -> list[dict]:
    """A question's stored choices in the output's shape (older rows may lack a language)."""
    return [
        {"value": c["value"], "en": c.get("en", c["value"]), "zh": c.get("zh", "")}
        for c in choices or ()
    ]


class QuestionOutputSerializer(serializers.ModelSerializer):
    text = serializers.CharField(help_text=_("The question in the request's language."))
    kind = QuestionKindField()
    choices = serializers.SerializerMethodField()
    standard = serializers.ChoiceField(
        choices=Standard.choices,
        allow_null=True,
        help_text=_("The standard of quality service the question checks (1-6), if any."),
    )

    class Meta:
        model = Question
        fields = [
            "id",
            "position",
            "kind",
            "aim",
            "text",
            "text_en",
            "text_zh",
            "required",
            "is_main",
            "choices",
            "standard",
        ]
        read_only_fields = fields

    @extend_schema_field(ChoiceOptionSerializer(many=True))
    def get_choices(self, question) -> list[dict]:
        return choice_options(question.choices)


class TemplateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField(help_text=_("In the request's language."))


def template_ref(pk, key, name_en, name_zh) -> dict:
    return {"id": pk, "key": key, "name": bilingual(name_en, name_zh)}


class TemplateOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField()
    purpose = SurveyPurposeField()
    questions = QuestionOutputSerializer(many=True)

    class Meta:
        model = SurveyTemplate
        fields = [
            "id",
            "key",
            "name",
            "name_en",
            "name_zh",
            "purpose",
            "intro_en",
            "intro_zh",
            "commitment_en",
            "commitment_zh",
            "is_active",
            "offers_gift",
            "questions",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ChoiceOptionInputSerializer(InputSerializer):
    value = serializers.SlugField(max_length=40, help_text=_("What an answer stores."))
    en = serializers.CharField(max_length=100)
    zh = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class QuestionInputSerializer(InputSerializer):
    output_serializer = QuestionOutputSerializer
    refused_fields = {"position": _("The order of `questions` sets the positions.")}

    id = IdField(
        required=False,
        help_text=_("An existing question of the template, to keep (and change) it; none for new."),
    )
    kind = QuestionKindField()
    aim = serializers.ChoiceField(choices=Aim.choices)
    text_en = serializers.CharField(max_length=300)
    text_zh = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    required = serializers.BooleanField(required=False, default=True)
    is_main = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("The template's headline 1-5 rating (CSAT); at most one."),
    )
    choices = ChoiceOptionInputSerializer(
        many=True,
        required=False,
        default=list,
        max_length=MAX_CHOICES,
        help_text=_("For a single-choice question only: two or more options."),
    )
    standard = serializers.ChoiceField(
        choices=Standard.choices, required=False, allow_null=True, default=None
    )

    def validate(self, attrs):
        choices = attrs.get("choices") or []
        if attrs["kind"] == Kind.CHOICE:
            if len(choices) < 2:
                raise serializers.ValidationError(
                    {"choices": [_("A single-choice question needs at least two options.")]}
                )
            values = [c["value"] for c in choices]
            if len(set(values)) != len(values):
                raise serializers.ValidationError(
                    {"choices": [_("Give each option its own value.")]}
                )
        elif choices:
            raise serializers.ValidationError(
                {"choices": [_("Only a single-choice question takes options.")]}
            )
        if attrs.get("is_main") and attrs["kind"] != Kind.RATING:
            raise serializers.ValidationError(
                {"is_main": [_("The main rating must be a 1-5 rating question.")]}
            )
        return attrs


def _check_questions(questions: list[dict]) -> list[dict]:
    if sum(1 for q in questions if q.get("is_main")) > 1:
        raise serializers.ValidationError(_("Mark at most one question as the main rating."))
    ids = [q["id"] for q in questions if q.get("id")]
    if len(set(ids)) != len(ids):
        raise serializers.ValidationError(_("Name each existing question once."))
    return questions


class TemplateCreateInputSerializer(InputSerializer):
    output_serializer = TemplateOutputSerializer

    key = serializers.SlugField(
        max_length=40, help_text=_("A unique short name, e.g. after-visit.")
    )
    name_en = serializers.CharField(max_length=120)
    name_zh = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    purpose = SurveyPurposeField()
    intro_en = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    intro_zh = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    commitment_en = serializers.CharField(
        max_length=2000,
        help_text=_("What will be done with the answers: customers who doubt it do not answer."),
    )
    commitment_zh = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )
    is_active = serializers.BooleanField(required=False, default=True)
    offers_gift = serializers.BooleanField(
        required=False, default=False, help_text=_("Gifts and prize draws bias the answers.")
    )
    questions = QuestionInputSerializer(
        many=True,
        min_length=1,
        max_length=MAX_QUESTIONS,
        help_text=_("In the order they are asked."),
    )

    def validate_questions(self, questions):
        if any(q.get("id") for q in questions):
            raise serializers.ValidationError(_("A new template's questions are all new: no ids."))
        return _check_questions(questions)


class TemplateUpdateInputSerializer(InputSerializer):
    output_serializer = TemplateOutputSerializer
    refused_fields = {"key": _("A template's key does not change; make a new template.")}

    name_en = serializers.CharField(max_length=120, required=False)
    name_zh = serializers.CharField(max_length=120, required=False, allow_blank=True)
    purpose = SurveyPurposeField(required=False)
    intro_en = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    intro_zh = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    commitment_en = serializers.CharField(required=False, max_length=2000)
    commitment_zh = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    is_active = serializers.BooleanField(required=False)
    offers_gift = serializers.BooleanField(required=False)
    questions = QuestionInputSerializer(
        many=True,
        required=False,
        min_length=1,
        max_length=MAX_QUESTIONS,
        help_text=_(
            "The whole list, in order: questions named by id are kept and changed, the others "
            "added; a question left out is removed (refused once it has answers)."
        ),
    )
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    def validate_questions(self, questions):
        return _check_questions(questions)


# --- invitations ----------------------------------------------------------------------------------


class InvitationOutputSerializer(serializers.ModelSerializer):
    template = serializers.SerializerMethodField()
    customer = CustomerBriefSerializer()
    record = serializers.IntegerField(source="record_id", allow_null=True)
    visit = serializers.IntegerField(source="visit_id", allow_null=True)
    complaint = serializers.IntegerField(source="complaint_id", allow_null=True)
    subject = serializers.CharField(
        help_text=_("What it follows: record:<id>, visit:<id>, complaint:<id> or customer:<id>.")
    )
    stage = BlankAsNullChoiceField(Stage.choices)
    department = DepartmentRefSerializer(allow_null=True)
    agent = UserRefSerializer(allow_null=True)
    channel = SurveyChannelField()
    status = InvitationStatusField()

    class Meta:
        model = SurveyInvitation
        fields = [
            "id",
            "template",
            "customer",
            "record",
            "visit",
            "complaint",
            "subject",
            "stage",
            "department",
            "agent",
            "channel",
            "language",
            "status",
            "created_at",
            "sent_at",
            "opened_at",
            "answered_at",
            "expires_at",
        ]
        read_only_fields = fields

    @extend_schema_field(TemplateRefSerializer)
    def get_template(self, invitation) -> dict:
        t = invitation.template
        return template_ref(t.pk, t.key, t.name_en, t.name_zh)


class InvitationCreatedSerializer(InvitationOutputSerializer):
    link = serializers.CharField(
        allow_null=True,
        help_text=_(
            "For the channel `link` only: the customer's single-use address. It is shown this "
            "once and never again (only its hash is stored)."
        ),
    )

    class Meta(InvitationOutputSerializer.Meta):
        fields = [*InvitationOutputSerializer.Meta.fields, "link"]
        read_only_fields = fields


class InvitationCreateInputSerializer(InputSerializer):
    output_serializer = InvitationCreatedSerializer
    refused_fields = {
        "status": _("An invitation's status follows the customer's answer."),
        "token": _("The token is made by the desk and returned once, as `link`."),
    }

    customer = IdField()
    template = IdField(help_text=_("An active survey template."))
    record = IdField(required=False, allow_null=True, default=None)
    visit = IdField(required=False, allow_null=True, default=None)
    complaint = IdField(required=False, allow_null=True, default=None)
    channel = SurveyChannelField(
        required=False,
        default=Channel.EMAIL,
        help_text=_(
            "email: sent to the customer's address; link: the answer's `link` is handed over; "
            "phone: read out on a call, the answers entered by staff."
        ),
    )

    def validate(self, attrs):
        named = [name for name in ("record", "visit", "complaint") if attrs.get(name)]
        if len(named) > 1:
            raise serializers.ValidationError(
                {name: [_("Name one of record, visit or complaint.")] for name in named[1:]}
            )
        return attrs


# --- responses ------------------------------------------------------------------------------------


class AnswerOutputSerializer(serializers.ModelSerializer):
    question = serializers.IntegerField(source="question_id")
    position = serializers.IntegerField(source="question.position")
    kind = QuestionKindField(source="question.kind")
    aim = serializers.ChoiceField(choices=Aim.choices, source="question.aim")
    question_text = serializers.CharField(
        source="question.text", help_text=_("The question in the request's language.")
    )
    number = serializers.IntegerField(
        allow_null=True, help_text=_("A rating (1-5) or likelihood to recommend (0-10).")
    )
    choice = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()

    class Meta:
        model = Answer
        fields = [
            "question",
            "position",
            "kind",
            "aim",
            "question_text",
            "number",
            "choice",
            "text",
        ]
        read_only_fields = fields

    def get_choice(self, answer) -> str | None:
        return answer.choice or None

    def get_text(self, answer) -> str | None:
        return answer.text or None


def answer_item(question_id, position, kind, aim, text_en, text_zh, number, choice, text) -> dict:
    """AnswerOutputSerializer's item from its columns."""
    return {
        "question": question_id,
        "position": position,
        "kind": kind,
        "aim": aim,
        "question_text": bilingual(text_en, text_zh),
        "number": number,
        "choice": choice or None,
        "text": text or None,
    }


class ResponseOutputSerializer(serializers.ModelSerializer):
    invitation = serializers.IntegerField(source="invitation_id")
    template = serializers.SerializerMethodField()
    customer = CustomerBriefSerializer()
    stage = BlankAsNullChoiceField(Stage.choices)
    department = DepartmentRefSerializer(allow_null=True)
    staff_entered = serializers.SerializerMethodField(
        help_text=_("Read out on a call and entered by staff: reported apart.")
    )
    entered_by = UserRefSerializer(allow_null=True)
    complaint = serializers.IntegerField(
        source="complaint_id",
        allow_null=True,
        help_text=_("The complaint a low score opened, if any."),
    )
    answers = AnswerOutputSerializer(many=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "invitation",
            "template",
            "customer",
            "submitted_at",
            "rating",
            "nps",
            "is_low",
            "stage",
            "department",
            "staff_entered",
            "entered_by",
            "complaint",
            "wants_meeting",
            "wants_supervisor",
            "wants_contact",
            "answers",
        ]
        read_only_fields = fields

    @extend_schema_field(TemplateRefSerializer)
    def get_template(self, response) -> dict:
        t = response.template
        return template_ref(t.pk, t.key, t.name_en, t.name_zh)

    def get_staff_entered(self, response) -> bool:
        return response.entered_by_id is not None
