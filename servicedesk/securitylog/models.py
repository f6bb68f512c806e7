from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnly(Exception):
    """The security log is written once and never changed or deleted by the application."""


class EventKind(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in")
    LOCKED_OUT = "locked_out", _("Sign-in refused: locked out")
    SIGN_OUT = "sign_out", _("Signed out")
    TWO_FACTOR_ON = "two_factor_on", _("Two-factor sign-in turned on")
    TWO_FACTOR_OFF = "two_factor_off", _("Two-factor sign-in turned off")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_NEW_ADDRESS = "token_new_address", _("API token used from a new address")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    ROLE_CHANGED = "role_changed", _("Role changed")
    DEPARTMENT_CHANGED = "department_changed", _("Department membership changed")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")
    MERGE = "merge", _("Customers merged")
    ERASURE = "erasure", _("Customer erased")


class SecurityEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("security events are never changed")

    def delete(self):
        raise AppendOnly("security events are never deleted")


class SecurityEvent(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now)
    kind = models.CharField(_("event"), max_length=24, choices=EventKind.choices)
    # Whose account, or who acted. The name is kept too: a failed sign-in may name no account,
    # and the entry must still say who it was once the account is deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    # Lower-cased: the lock-out counts "Chen" and "chen" as one account.
    username_key = models.CharField(max_length=150, blank=True, editable=False)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [
            models.Index(fields=["-at", "-id"], name="secevent_at_idx"),
            models.Index(fields=["kind", "-at"], name="secevent_kind_idx"),
            models.Index(fields=["user", "-at"], name="secevent_user_idx"),
            # The lock-out's two counts: one account's, one address's recent failures.
            models.Index(
                fields=["username_key", "at"],
                name="secevent_fail_user_idx",
                condition=models.Q(kind__in=["sign_in_failed", "sign_in"]),
            ),
            models.Index(
                fields=["address", "at"],
                name="secevent_fail_addr_idx",
                condition=models.Q(kind="sign_in_failed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()} {self.username}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("security events are never changed")
        self.username_key = self.username.casefold()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("security events are never deleted")
