"""The template editor, for administrators: templates with their questions, and the survey
policy. Invitations and responses are written by the desk and customers, so they are only read."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from servicedesk.core.admin import ReadOnlyAdmin

from .models import (
    Answer,
    Kind,
    Question,
    SurveyInvitation,
    SurveyPolicy,
    SurveyResponse,
    SurveyTemplate,
)


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = [
            "position", "kind", "aim", "text_en", "text_zh", "required", "is_main", "choices",
            "standard",
        ]  # fmt: skip

    def clean(self):
        data = super().clean()
        kind, choices = data.get("kind"), data.get("choices") or []
        if data.get("is_main") and kind != Kind.RATING:
            self.add_error("is_main", _("Only a 1–5 rating can be the main rating."))
        if kind == Kind.CHOICE:
            well_formed = isinstance(choices, list) and all(
                isinstance(c, dict) and str(c.get("value", "")).strip() for c in choices
            )
            if not choices or not well_formed:
                self.add_error(
                    "choices",
                    _(
                        'Give the options as a list, e.g. [{"value": "yes", "en": "Yes", '
                        '"zh": "是"}]; each needs a value.'
                    ),
                )
            elif len({c["value"] for c in choices}) != len(choices):
                self.add_error("choices", _("Each option needs its own value."))
        elif choices:
            self.add_error("choices", _("Only a single-choice question has options."))
        return data


class QuestionInline(admin.StackedInline):
    model = Question
    form = QuestionForm
    extra = 0
    ordering = ["position"]


class QuestionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        main = [
            f
            for f in self.forms
            if f.cleaned_data.get("is_main") and not f.cleaned_data.get("DELETE")
        ]
        if len(main) > 1:
            raise ValidationError(_("A template has at most one main rating."))


QuestionInline.formset = QuestionFormSet


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    list_display = ["key", "name_en", "name_zh", "purpose", "is_active", "offers_gift"]
    list_filter = ["purpose", "is_active"]
    search_fields = ["key", "name_en", "name_zh"]
    readonly_fields = ["version"]
    inlines = [QuestionInline]

    def save_model(self, request, obj, form, change):
        # The API reads `version`: an edit here makes its copy stale too.
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(SurveyPolicy)
class SurveyPolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "min_days_between", "expiry_days", "low_rating", "low_nps"]
    readonly_fields = ["version"]

    def has_add_permission(self, request):
        # One row of settings (SurveyPolicy.current() reads the first).
        return super().has_add_permission(request) and not SurveyPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "template", "subject", "channel", "status", "created_at"]
    list_select_related = ["customer", "template"]
    list_filter = ["status", "channel", "template"]
    raw_id_fields = ["customer", "record", "visit", "complaint", "agent", "created_by"]
    # The token's salt and hash are never shown: with the salt and SECRET_KEY one could answer.
    exclude = ["token_salt", "token_hash"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        return False


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ["question", "number", "choice", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "template", "rating", "nps", "is_low", "submitted_at"]
    list_select_related = ["customer", "template"]
    list_filter = ["is_low", "template"]
    raw_id_fields = ["invitation", "customer", "entered_by", "department", "complaint"]
    date_hierarchy = "submitted_at"
    inlines = [AnswerInline]

    def has_delete_permission(self, request, obj=None):
        return False
