"""The check form the desk ships: the six steps of handling a customer, as a grade form.

Plain data with no model imports: the data migration (0002_default_form) passes its historical
models to `seed_defaults`, so an older migration never runs against newer models. Idempotent by
key; a form an administrator already has (and may have changed) is left alone.
"""

DEFAULT_KEY = "six-steps"
DEFAULT_POINTS = 5

DEFAULT_FORM = {
    "key": DEFAULT_KEY,
    "kind": "grade",
    "name_en": "The six steps",
    "name_zh": "六步服务法",
    "items": [
        ("Respected the customer", "尊重客户"),
        ("Listened", "倾听"),
        ("Restated to confirm", "复述确认"),
        ("Offered options", "提供方案"),
        ("Acted on time", "及时行动"),
        ("Re-checked with the customer", "回访确认"),
    ],
}


def seed_defaults(CheckForm, CheckItem) -> bool:  # noqa: N803 - model classes
    """Add the default form if no form has its key. Returns whether it was added."""
    spec = DEFAULT_FORM
    form, created = CheckForm.objects.get_or_create(
        key=spec["key"],
        defaults={"kind": spec["kind"], "name_en": spec["name_en"], "name_zh": spec["name_zh"]},
    )
    if created:
        CheckItem.objects.bulk_create(
            CheckItem(
                form=form,
                position=position,
                label_en=en,
                label_zh=zh,
                max_points=DEFAULT_POINTS,
            )
            for position, (en, zh) in enumerate(spec["items"], start=1)
        )
    return created
