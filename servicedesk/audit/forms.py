"""The audit pages' forms: the review list's filters, a review's scores, the agent's
acknowledgement and the scorecard's weights. The rules are the services'; these read input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_COMMENT, MAX_REPLY, SCORECARD_PARTS, check_weights


class ReviewFilterForm(forms.Form):
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, required=False)
    department = forms.TypedChoiceField(label=_("Department"), coerce=int, required=False)
    form = forms.TypedChoiceField(label=_("Check form"), coerce=int, required=False)

    def __init__(self, data=None, *, agents=None, departments=None, check_forms=()):
        super().__init__(data)
        if agents is None:
            # An agent sees only their own reviews: nothing to choose.
            del self.fields["agent"]
        else:
            self.fields["agent"].choices = [("", _("All agents")), *agents]
        if departments is None:
            del self.fields["department"]
        else:
            self.fields["department"].choices = [("", _("All departments")), *departments]
        self.fields["form"].choices = [("", _("All forms")), *check_forms]

    @property
    def narrowed(self) -> bool:
        return self.is_bound and any(self.cleaned_data.get(name) for name in self.fields)

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "agent_id": data.get("agent") or None,
            "department_id": data.get("department") or None,
            "form_id": data.get("form") or None,
        }


def item_field_name(item_id: int) -> str:
    return f"item_{item_id}"


class ReviewForm(forms.Form):
    """A score per item of the form (0 to its maximum) and a comment."""

    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What went well and what to do differently; the agent reads it."),
    )

    def __init__(self, data=None, *, items):
        super().__init__(data)
        self.items = list(items)
        scores = {}
        for item in self.items:
            scores[item_field_name(item.pk)] = forms.IntegerField(
                label=item.label,
                min_value=0,
                max_value=item.max_points,
                help_text=_("0 to %(max)d") % {"max": item.max_points},
                widget=forms.NumberInput(attrs={"min": 0, "max": item.max_points, "step": 1}),
            )
        # The items first, in the form's order, then the comment.
        self.fields = {**scores, "comment": self.fields["comment"]}

    def scores(self) -> dict[int, int]:
        return {item.pk: self.cleaned_data[item_field_name(item.pk)] for item in self.items}


class AcknowledgeForm(forms.Form):
    reply = forms.CharField(
        label=_("Your reply (optional)"),
        required=False,
        max_length=MAX_REPLY,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ScorecardForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data=None, *, initial=None):
        super().__init__(data, initial=initial)
        for name, label in SCORECARD_PARTS:
            self.fields[name] = forms.IntegerField(
                label=label,
                min_value=0,
                max_value=100,
                widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1}),
                help_text=_("Percent of the agent's score."),
            )

    def clean(self):
        data = super().clean()
        if all(data.get(name) is not None for name, _label in SCORECARD_PARTS):
            # The model's rule, with its field messages (the service checks it again).
            check_weights({name: data[name] for name, _label in SCORECARD_PARTS})
        return data

    def weights(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name, _label in SCORECARD_PARTS}
