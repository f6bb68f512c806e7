"""How much text one box takes, for every form and API input that has no column limit of its own.

TextFields have no length in the database, so without these a pasted megabyte is stored and then
sent back on every page and export that shows it. Long enough for any real note; a longer one is
refused with a message naming the field (tests/security/test_bad_input.py).
"""

LONG_TEXT_MAX = 10_000  # notes, descriptions, messages, meeting minutes
LIST_TEXT_MAX = 2_000  # a box holding a list (tags, phones, e-mails), one item per line or comma


def limit_text(field, limit: int = LONG_TEXT_MAX):
    """Give a form field made from a TextField (fields_for_model, a ModelForm) the limit it lacks:
    the validator and the input's maxlength."""
    from django.core.validators import MaxLengthValidator

    field.max_length = limit
    field.validators.append(MaxLengthValidator(limit))
    field.widget.attrs.update(field.widget_attrs(field.widget))
    return field
