"""The HR roster: legal entities, departments and employees, with their history."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import ContactDomain, Gender
from .querysets import EmployeeQuerySet, LegalEntityQuerySet


class LegalEntity(models.Model):
    """The parent company or one of its subsidiaries."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent company"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidiaries",
    )
    history = HistoricalRecords()

    objects = LegalEntityQuerySet.as_manager()

    class Meta:
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="legalentity_not_own_parent",
                violation_error_message=_("An entity cannot be its own parent."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class EntityContact(models.Model):
    """A person who answers for one domain (DPO, compliance, training) in a legal entity. An entity without
    a contact for a domain has its parent's (organization/contacts.py)."""

    entity = models.ForeignKey(
        LegalEntity, verbose_name=_("legal entity"), on_delete=models.CASCADE, related_name="contacts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="entity_contacts"
    )
    domain = models.CharField(_("answers for"), max_length=16, choices=ContactDomain.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("entity contact")
        verbose_name_plural = _("entity contacts")
        ordering = ["entity__code", "domain", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "domain", "user"],
                name="entitycontact_once_per_entity_domain_user",
                violation_error_message=_("This person is already a contact of this entity for this domain."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity.code} – {self.get_domain_display()} – {self.user}"

    def clean(self) -> None:
        """A contact receives the domain's alerts: they hold the domain's role (core/roles.py) or are a
        superuser, so that they may view the records the alerts tell about. Checked when the person or the
        domain is chosen, not on a row left as it was (an entity whose contact lost the role can still be
        saved; the sweep then sends that contact nothing, notifications/recipients.py)."""
        from core.admin_choosers import user_label
        from core.roles import COMPLIANCE_OFFICER, DPO, TRAINING_MANAGER

        if self.user_id is None or not self.domain:
            return
        if (
            self.pk is not None
            and EntityContact.objects.filter(pk=self.pk, user=self.user_id, domain=self.domain).exists()
        ):
            return
        role = {
            ContactDomain.DPO: DPO,
            ContactDomain.COMPLIANCE: COMPLIANCE_OFFICER,
            ContactDomain.TRAINING: TRAINING_MANAGER,
        }[ContactDomain(self.domain)]
        user = self.user
        if user.is_active and (user.is_superuser or user.groups.filter(name=role).exists()):
            return
        raise ValidationError(
            {
                "user": _("%(person)s does not hold the role “%(role)s”: they cannot answer for this domain.")
                % {"person": user_label(user), "role": gettext(role)}
            }
        )


class Department(models.Model):
    """A directorate or department (headquarters functions, regional directorates...)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    function_at_risk = models.BooleanField(
        _("functions at risk of corruption"),
        default=False,
        help_text=_(
            "Its staff hold functions at risk of corruption (ESRS G1-3): they count in the share of "
            "functions at risk covered by anti-corruption training."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Employee(models.Model):
    """One person of the HR roster; `left_on` is the last day of the contract."""

    employee_id = models.CharField(_("employee ID"), max_length=64, unique=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    email = models.EmailField(_("email"), blank=True)
    entity = models.ForeignKey(
        LegalEntity, verbose_name=_("legal entity"), on_delete=models.PROTECT, related_name="employees"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="employees",
    )
    hired_on = models.DateField(_("hired on"))
    left_on = models.DateField(_("last day of contract"), null=True, blank=True)
    is_manager = models.BooleanField(_("manager"), default=False)
    is_executive = models.BooleanField(_("executive (cadre)"), default=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True, default="")
    function_at_risk = models.BooleanField(
        _("function at risk of corruption"),
        default=False,
        help_text=_(
            "This person holds a function at risk of corruption (ESRS G1-3), whatever their department's flag."
        ),
    )
    # Set by the personal-data retention (core/retention.py) when the record's personal data was erased.
    anonymised_on = models.DateField(_("anonymised on"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    objects = EmployeeQuerySet.as_manager()

    class Meta:
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        ordering = ["last_name", "first_name", "employee_id"]
        indexes = [
            models.Index(fields=["hired_on", "left_on"], name="employee_presence_idx"),
            # The roster's order (this ordering): the employees list and the people lists of a module
            # (training.kpis.not_trained) read their first page by walking it instead of sorting everyone.
            models.Index(fields=["last_name", "first_name", "employee_id"], name="employee_name_order_idx"),
            # The "present today" head count of each entity and department (their admin lists): read from
            # these indexes alone.
            models.Index(fields=["entity", "hired_on", "left_on"], name="employee_entity_presence_idx"),
            models.Index(fields=["department", "hired_on", "left_on"], name="employee_dept_presence_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("hired_on")),
                name="employee_left_on_not_before_hired_on",
                violation_error_message=_("The last day of contract cannot be before the hiring date."),
            )
        ]

    def __str__(self) -> str:
        name = f"{self.last_name} {self.first_name}".strip()
        return f"{name} ({self.employee_id})" if name else self.employee_id

    def is_present_on(self, day) -> bool:
        return self.hired_on <= day and (self.left_on is None or self.left_on >= day)
