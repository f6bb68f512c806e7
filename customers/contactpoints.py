"""Normalising phones and e-mails before they are stored or compared.

Phones go through Google's libphonenumber (the `phonenumbers` package): Chinese mobiles
(13800138000), landlines with area code (010-12345678, 0755 8888 6666) and international numbers
(+1 650 253 0000) all become E.164, so the same number typed two ways is one number.
"""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _


def normalise_phone(raw: str) -> str:
    """E.164 form of `raw`, read in the default region (CN) unless it starts with +."""
    text = (raw or "").strip()
    region = getattr(settings, "PHONENUMBER_DEFAULT_REGION", "CN")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": text}
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "“%(value)s” is not a valid phone number. Use a Chinese mobile (13800138000), "
                "a landline with its area code (010-12345678) or +country code."
            ),
            code="invalid_phone",
            params={"value": text},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    text = (raw or "").strip()
    try:
        validate_email(text)
    except ValidationError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid e-mail address."),
            code="invalid_email",
            params={"value": text},
        ) from exc
    # Domains are case-insensitive and practically every mailbox is too: compare in lower case.
    return text.lower()


def digits_reversed(e164: str) -> str:
    """Digits back to front, so "ends with 8000" becomes the index-friendly "starts with 0008"."""
    return "".join(c for c in e164 if c.isdigit())[::-1]


def phone_display(e164: str) -> str:
    """National format for Chinese numbers (138 0013 8000), international for the rest."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)


def split_values(raw) -> list[str]:
    """A list, or text separated by commas, semicolons or new lines, as non-empty items."""
    if raw is None:
        return []
    if isinstance(raw, list | tuple):
        items = raw
    else:
        items = str(raw).replace(";", "\n").replace(",", "\n").replace("；", "\n").splitlines()
    return [s.strip() for s in items if s and str(s).strip()]


def clean_points(phones, emails) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Normalise both lists; return them de-duplicated with per-field error messages."""
    errors: dict[str, list[str]] = {}
    out = {"phones": [], "emails": []}
    for field, values, fn in (
        ("phones", split_values(phones), normalise_phone),
        ("emails", split_values(emails), normalise_email),
    ):
        for value in values:
            try:
                clean = fn(value)
            except ValidationError as exc:
                errors.setdefault(field, []).extend(exc.messages)
                continue
            if clean not in out[field]:
                out[field].append(clean)
    return out["phones"], out["emails"], errors
