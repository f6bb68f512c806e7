"""The customer archive (客户档案), DOMAIN.md §1."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from servicedesk.core.models import BilingualNameMixin, TimeStampedModel


class CustomerKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    ORGANISATION = "organisation", _("Organisation")


class ManagementTier(models.TextChoices):  # 管理角度
    KEY = "key", _("Key customer")
    REGULAR = "regular", _("Regular customer")
    ONE_TIME = "one_time", _("One-time customer")


class Lifecycle(models.TextChoices):  # 交易情况
    POTENTIAL = "potential", _("Potential customer")
    ACTUAL = "actual", _("Actual customer")


class TransactionProgress(models.TextChoices):  # 交易进展
    PAST = "past", _("Past transaction")
    CURRENT = "current", _("Current transaction")
    UPCOMING = "upcoming", _("Upcoming transaction")


class ChainPosition(models.TextChoices):  # 与产品的关系
    INTERMEDIATE = "intermediate", _("Intermediate / reseller")
    END = "end", _("End customer")


class MarketingType(models.TextChoices):  # 营销角度
    ECONOMIC = "economic", _("Economic")
    ETHICAL = "ethical", _("Ethical")
    PERSONALISED = "personalised", _("Personalised")
    CONVENIENCE = "convenience", _("Convenience")


class Party(models.TextChoices):  # 内部客户 / 外部客户
    EXTERNAL = "external", _("External customer")
    INTERNAL = "internal", _("Internal customer")


class ConversionCause(models.TextChoices):
    SALE = "sale", _("First sale")
    SERVICE = "service", _("First completed service")
    MANUAL = "manual", _("Recorded by staff")


# The classification dimensions, for filters, imports and reports to iterate over.
CLASSIFICATIONS = {
    "management_tier": ManagementTier,
    "lifecycle": Lifecycle,
    "transaction_progress": TransactionProgress,
    "chain_position": ChainPosition,
    "marketing_type": MarketingType,
    "party": Party,
}


def _in_choices(field: str, choices) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}), name=f"customer_{field}_valid"
    )


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Customer(TimeStampedModel):
    kind = models.CharField(
        _("kind"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.INDIVIDUAL
    )
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("organisation"),
        limit_choices_to={"kind": CustomerKind.ORGANISATION},
    )
    management_tier = models.CharField(
        _("management tier"),
        max_length=20,
        choices=ManagementTier.choices,
        default=ManagementTier.REGULAR,
    )
    lifecycle = models.CharField(
        _("lifecycle"), max_length=20, choices=Lifecycle.choices, default=Lifecycle.POTENTIAL
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    conversion_cause = models.CharField(
        _("conversion cause"), max_length=20, choices=ConversionCause.choices, blank=True
    )
    conversion_note = models.CharField(_("conversion note"), max_length=200, blank=True)
    transaction_progress = models.CharField(
        _("transaction progress"),
        max_length=20,
        choices=TransactionProgress.choices,
        default=TransactionProgress.UPCOMING,
    )
    chain_position = models.CharField(
        _("position in the chain"),
        max_length=20,
        choices=ChainPosition.choices,
        default=ChainPosition.END,
    )
    marketing_type = models.CharField(
        _("marketing type"),
        max_length=20,
        choices=MarketingType.choices,
        default=MarketingType.CONVENIENCE,
    )
    party = models.CharField(
        _("party"), max_length=20, choices=Party.choices, default=Party.EXTERNAL
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_customers",
        verbose_name=_("account owner"),
    )
    region = models.CharField(_("region"), max_length=80, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="zh-hans",
        blank=True,
        help_text=_(
            "Replies and surveys are written to the customer in this language; "
            "empty means the desk's default."
        ),
    )
    # Callbacks are scheduled inside these hours (and inside business time), e.g. 18:00–20:00
    # for a customer who works days; empty means any business hour.
    contact_from = models.TimeField(_("call from"), null=True, blank=True)
    contact_until = models.TimeField(_("call until"), null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    preferences = models.TextField(_("preferences"), blank=True)
    # 客户监督员: a customer who agreed (on a survey's thank-you page) to tell the desk how it is
    # doing; the date is the consent's.
    supervisor_since = models.DateTimeField(_("customer supervisor since"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_archived = models.BooleanField(_("archived"), default=False)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    # Set once by customers.privacy.customer_erase: the personal fields are anonymised and the
    # customer can no longer be edited; records, complaints and answers stay for the statistics.
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)
    # Optimistic concurrency: every update checks and bumps it; a stale version is a conflict.
    version = models.PositiveIntegerField(default=1)
    # `version` stays in history so a conflict can say what changed since the caller's version.
    history = HistoricalRecords(m2m_fields=[tags])

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # The list's filters and default sort; archived rows are rarely listed.
            models.Index(fields=["is_archived", "name"], name="customer_active_name_idx"),
            # By tier in id order: the callback scans walk a tier's customers from a cursor.
            models.Index(fields=["management_tier", "id"], name="customer_tier_idx"),
            models.Index(fields=["lifecycle"], name="customer_lifecycle_idx"),
            models.Index(fields=["owner"], name="customer_owner_idx"),
            models.Index(fields=["region"], name="customer_region_idx"),
            # Name search (icontains) on PostgreSQL uses the trigram index on UPPER(name) created
            # in migration 0002_search_indexes; it has no equivalent on SQLite.
        ]
        constraints = [
            _in_choices("kind", CustomerKind),
            *(_in_choices(field, choices) for field, choices in CLASSIFICATIONS.items()),
            models.CheckConstraint(
                condition=Q(lifecycle=Lifecycle.POTENTIAL) | Q(converted_at__isnull=False),
                name="customer_actual_has_conversion_date",
            ),
            models.CheckConstraint(
                condition=~Q(organisation=models.F("pk")), name="customer_not_own_organisation"
            ),
            models.CheckConstraint(
                condition=Q(contact_from__isnull=True, contact_until__isnull=True)
                | Q(contact_until__gt=models.F("contact_from")),
                name="customer_contact_hours_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(TimeStampedModel):
    """A person to reach at the customer; an individual customer's primary contact is themself."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("title / role"), max_length=80, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "name", "pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="one_primary_contact"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ContactPointKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")


class ContactPoint(models.Model):
    """One phone number or e-mail address of a contact, stored normalised.

    Phones are E.164 (+8613800138000); `digits_reversed` holds the digits back to front so that
    "find by the last four digits" is a prefix search, which a B-tree index serves
    (contactpoint_digits_rev_idx, varchar_pattern_ops on PostgreSQL).
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="points")
    # Denormalised from the contact so duplicate checks and search need no join.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=10, choices=ContactPointKind.choices)
    value = models.CharField(_("value"), max_length=254)
    digits_reversed = models.CharField(max_length=20, blank=True, editable=False)
    label = models.CharField(_("label"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["kind", "-is_primary", "pk"]
        verbose_name = _("phone or e-mail")
        verbose_name_plural = _("phones and e-mails")
        indexes = [
            models.Index(
                fields=["digits_reversed"],
                name="contactpoint_digits_rev_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["kind", "value"], name="contactpoint_value_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ContactPointKind.values), name="contactpoint_kind_valid"
            ),
            models.UniqueConstraint(
                fields=["contact", "kind", "value"], name="contactpoint_unique_per_contact"
            ),
            models.UniqueConstraint(
                fields=["contact", "kind"],
                condition=Q(is_primary=True),
                name="contactpoint_one_primary_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.value


class Address(TimeStampedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(_("label"), max_length=40, blank=True)
    line = models.CharField(_("street address"), max_length=200)
    city = models.CharField(_("city"), max_length=80, blank=True)
    province = models.CharField(_("province"), max_length=80, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "pk"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_primary=True), name="one_primary_address"
            ),
        ]

    def __str__(self) -> str:
        return ", ".join(p for p in (self.line, self.city, self.province) if p)


class Product(BilingualNameMixin, TimeStampedModel):
    """A small product catalogue; what customers own refers to it."""

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    category = models.CharField(_("category"), max_length=80, blank=True)
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=12)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("product")
        verbose_name_plural = _("products")


class ProductOwned(TimeStampedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="products_owned")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="owners")
    serial = models.CharField(_("serial number"), max_length=80, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-purchase_date", "pk"]
        verbose_name = _("product owned")
        verbose_name_plural = _("products owned")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "serial"], condition=~Q(serial=""), name="unique_product_serial"
            ),
            models.CheckConstraint(
                condition=Q(warranty_end__isnull=True)
                | Q(purchase_date__isnull=True)
                | Q(warranty_end__gte=models.F("purchase_date")),
                name="warranty_after_purchase",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.serial}".strip()


class InteractionKind(models.TextChoices):
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Visit")
    GREETING = "greeting", _("Greeting / card")
    EMAIL = "email", _("E-mail")
    MEETING = "meeting", _("Meeting")


class Interaction(TimeStampedModel):
    """The interaction log: calls, visits, holiday greetings (上门拜访、打电话、寄贺年卡)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=InteractionKind.choices)
    occurred_at = models.DateTimeField(_("when"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="customer_interactions",
        verbose_name=_("by"),
    )
    summary = models.CharField(_("summary"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="interaction_timeline_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=InteractionKind.values), name="interaction_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.summary


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Waiting for confirmation")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ImportJob(TimeStampedModel):
    """One CSV upload: validated at upload, written only after the user confirms.

    `rows` holds the cleaned valid rows (JSON) so the writer never re-parses the file; `processed`
    is how many of them are committed, which lets a re-run resume after the last committed batch.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.PREVIEW
    )
    total = models.PositiveIntegerField(_("rows in file"), default=0)
    valid = models.PositiveIntegerField(_("valid rows"), default=0)
    processed = models.PositiveIntegerField(_("rows imported"), default=0)
    rows = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)  # [{"row": 3, "column": "phone", ...}]
    error_count = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="importjob_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(processed__lte=models.F("valid")), name="importjob_processed_le_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        return 100 if not self.valid else int(self.processed * 100 / self.valid)
