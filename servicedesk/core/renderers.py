"""The form renderer: Django's widget templates, except selects, which are written out in Python.

A select renders one template per option (plus one for each option's attributes); a list page's
filter bar has a dozen selects and about 150 options, 300 template renders a page
(bench/where_time_goes.py). The select's context is still built by Django (which options are
selected, the attributes the field asks for), so only the writing-out changes; format_html
escapes every value, as the templates' autoescaping does.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html
from django.utils.safestring import SafeString

SELECT = "django/forms/widgets/select.html"


def _attrs(attrs: dict) -> SafeString:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes it bare.
    parts = [
        format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
        for name, value in attrs.items()
        if value is not False and value is not None
    ]
    return SafeString("".join(parts))


def _option(option: dict) -> SafeString:
    return format_html(
        '<option value="{}"{}>{}</option>',
        option["value"],
        _attrs(option["attrs"]),
        option["label"],
    )


def render_select(widget: dict) -> SafeString:
    parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('<optgroup label="{}">', group_name))
        parts.extend(_option(option) for option in options)
        if group_name:
            parts.append(SafeString("</optgroup>"))
    parts.append(SafeString("</select>"))
    # Every part above is format_html output or a literal tag.
    return SafeString("".join(parts))


class DeskFormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            return render_select(context["widget"])
        return super().render(template_name, context, request)
