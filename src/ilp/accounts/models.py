"""People and their access: users, companies, memberships, invitations, tokens."""

import unicodedata

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from ilp.core.auth import TOKEN_SCOPES
from ilp.core.authz import Role, StaffRole
from ilp.core.bulk import object_insert
from ilp.core.emails import email_problem
from ilp.core.fields import EncryptedTextField
from ilp.core.text import search_text


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Exact comparison of the canonical form, never `iexact`: on PostgreSQL that is
        # UPPER(a) = UPPER(b), and UPPER('ı') is 'I' (docs/decisions.md, "one canonical e-mail").
        return self.get(email=normalize_email(email))

    def create_user(self, email, password=None, **extra):
        email = normalize_email(email)
        if email_problem(email):  # the services refuse it first (422 `invalid_email`)
            raise ValueError(f"not a storable e-mail address: {email!r}")
        user = self.model(email=email, **extra)
        if password:
            user.set_password(password)
            user.save(using=self._db)  # AbstractBaseUser.save tells the password validators
            return user
        user.set_unusable_password()
        return object_insert(user)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


def normalize_email(email: str | None) -> str:
    """The one canonical form of an e-mail address (DESIGN.md rule 18): trimmed, Unicode NFKC,
    then lower case. Stored so and compared exactly, everywhere: two addresses that differ in
    any other way (a dotless ı for an i, say) are different people."""
    return unicodedata.normalize("NFKC", email or "").strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    """One person, keyed by e-mail (canonical form, immutable once registered)."""

    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)  # vendor back office (Django admin)
    default_company = models.ForeignKey(
        "accounts.Company", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # "" follows the browser (Accept-Language); "en"/"de" is the person's choice.
    language = models.CharField(max_length=8, default="", blank=True)
    # The IANA zone the portal shows times in (issue 24); "" is UTC.
    time_zone = models.CharField(max_length=64, default="", blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised to end every session of the person at its next request without touching the
    # password (a leaver deprovisioned by SCIM): it enters the session's auth hash.
    session_epoch = models.PositiveIntegerField(default=0, db_default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self):
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email

    def _get_session_auth_hash(self, secret=None):
        # Django's hash of the password; with a raised `session_epoch` a different one, so
        # sessions made before the raise no longer match. Epoch 0 keeps Django's own value:
        # sessions made before this field existed stay valid.
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "ilp.accounts.User.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def is_registered(self) -> bool:
        """Whether the person can log in. A user made for an order's contact person has no
        usable password until they finalise registration (rule 4): no account yet."""
        return self.has_usable_password()


class Company(models.Model):
    """The end customer's account, named by the invoice, identified by its GAID."""

    gaid = models.CharField(_("Global Account ID"), max_length=16, unique=True, editable=False)
    customer_number = models.CharField(
        _("ERP customer number"), max_length=64, null=True, blank=True, unique=True
    )
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    # Rule 17: an administrator can require two-factor sign-in of every member.
    require_2fa = models.BooleanField(_("members need two-factor sign-in"), default=False)
    # Whether the company's single sign-on requires members at its verified domains to sign
    # in through its provider: a copy of ilp.sso's CompanySso.require_sso, written only by
    # `company_sso_required_set` (the sso services), so that the gate of every company route
    # costs no query for the companies that do not require it (docs/sso.md, Decisions).
    sso_required = models.BooleanField(default=False, db_default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Merged by vendor staff into another company (rule 26): everything moved there; the
    # GAID stays answerable with 410 `company_merged` naming the target.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_companies"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    # The name as the back office's search compares it (core.text.search_text: no accents,
    # folded case), kept equal to `name` by save(): staff find "Müller" by typing "mull".
    name_search = models.CharField(max_length=200, blank=True, default="", editable=False)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        indexes = [
            # A name prefix (staff search): a range on SQLite; `LIKE 'p%'` on PostgreSQL,
            # which uses an index only with the pattern operator class whatever the collation.
            models.Index(fields=["name_search"], name="company_name_search"),
            models.Index(
                fields=["name_search"],
                name="company_name_search_like",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.gaid})"

    def save(self, *args, **kwargs):
        # A derived column, not a workflow: whoever saves a name saves its search form.
        self.derived_fill()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_search"}
        super().save(*args, **kwargs)

    def derived_fill(self) -> None:
        """The columns derived from others (the name's search form): `save` fills them, and
        `core.bulk` before it inserts a company without `save`."""
        self.name_search = search_text(self.name)[:200]


class Membership(models.Model):
    """(user, company, role)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    # The person's opt-ins for the company's license mails (administrators always get them):
    # `notify` "a pack is about to expire" (expiry reminders, applied renewals) — the name is
    # kept from when it was the only opt-in — and `notify_new_key` "a new subscription key
    # arrived". Read them through `mailed(topic)` / accounts.selectors.mail_recipients.
    notify = models.BooleanField(_("mail when a pack is about to expire"), default=False)
    notify_new_key = models.BooleanField(
        _("mail when a new subscription key arrives"), default=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]

    # Administrators always get the company's license mails (new keys, renewals, expiry
    # reminders); the other members those they opted in to. Asked of one membership by
    # `mailed_always`, of many in SQL by `mailed(topic)`.
    MAILED_ALWAYS_ROLES = (Role.ADMINISTRATOR,)
    # Which opt-in answers which topic (MailTopic).
    TOPIC_FIELDS = {"expiry": "notify", "new_key": "notify_new_key"}
    # True only on vendor staff's read-only view of a company (selectors.company_staff_view,
    # never saved): pages show the "viewing as vendor staff" banner and no way to change.
    is_staff_view = False

    def __str__(self):
        return f"{self.user} @ {self.company.gaid}: {self.role}"

    @property
    def mailed_always(self) -> bool:
        """Whether the role gets the company's license mails whatever `notify` says."""
        return self.role in self.MAILED_ALWAYS_ROLES

    @classmethod
    def mailed(cls, topic: str | None = None) -> models.Q:
        """The filter for memberships whose person gets the company's license mails about
        `topic` (a MailTopic); without one, those who opted in to the expiry mails (the one
        opt-in there was before `notify_new_key`)."""
        field = cls.TOPIC_FIELDS[topic or "expiry"]
        return models.Q(role__in=cls.MAILED_ALWAYS_ROLES) | models.Q(**{field: True})

    def opted_in(self, topic: str) -> bool:
        """Whether this member gets mails about `topic` (a MailTopic)."""
        return self.mailed_always or bool(getattr(self, self.TOPIC_FIELDS[topic]))


class Invitation(models.Model):
    """An invitation of an e-mail address with a role; the link token is stored hashed."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    # Set when the same address was invited again (issue 24): this link then leads to the
    # newer invitation while that one is pending, so the first mail keeps working.
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Made by a company claim (rule 16, `POST /registrations`): void once the company has an
    # administrator, however that came about.
    is_claim = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["company", "email"])]

    def __str__(self):
        return f"{self.email} → {self.company.gaid} ({self.role})"

    def is_for(self, user) -> bool:
        """Whether the invitation names this person's e-mail (the key of their account)."""
        return user.email == self.email  # both stored in the canonical form

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.withdrawn_at is None
            and self.expires_at > timezone.now()
        )


class AccessRequest(models.Model):
    """An order's contact person waiting for an administrator to invite them (rule 4)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="access_requests")
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    order_number = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.email} asks for {self.company.gaid}"


def token_scopes_all() -> list[str]:
    return list(TOKEN_SCOPES)


class ApiToken(models.Model):
    """A user's API token (acts with that user's roles); stored hashed, named, revocable, and
    expiring when `expires_at` is set. `scopes` ⊆ ["read", "write"]; `companies` the GAIDs it
    is limited to, null for every company of the person (API.md, "Scoped tokens")."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=token_scopes_all)
    companies = models.JSONField(null=True, blank=True)
    # Made in a session signed in by single sign-on (POST /me/tokens): counts as SSO where a
    # company requires it (docs/sso.md).
    sso = models.BooleanField(default=False, db_default=False)

    def __str__(self):
        return f"token {self.pk} of {self.user}"

    @classmethod
    def live(cls) -> models.Q:
        """The filter for tokens that still work: not revoked, not expired."""
        return models.Q(revoked_at__isnull=True) & (
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )


class AccountLink(models.Model):
    """A mailed single-use link that acts on one person's account (rule 16): a password reset
    or the confirmation of an account's deletion. The token is stored hashed; the address is
    kept as text, so a used deletion link still answers "used" once the account is gone."""

    class Purpose(models.TextChoices):
        PASSWORD_RESET = "password_reset"
        ACCOUNT_DELETION = "account_deletion"

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="account_links"
    )
    email = models.EmailField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"])]

    def __str__(self):
        return f"{self.purpose} of {self.email}"


class TwoFactor(models.Model):
    """A person's TOTP second factor (RFC 6238: SHA-1, 6 digits, 30 s), rule 17.

    `secret` is the confirmed one ("" while two-factor is off); `pending_secret` one being set
    up, not active until a code from it is confirmed. Both are encrypted at rest with
    ILP_TOTP_KEY (whoever reads a backup could otherwise make every person's codes), clear on
    the instance. `last_step` is the time step of the last accepted code: a code is accepted
    once (RFC 6238 section 5.2). `failures` counts wrong codes in a row (API and portal
    alike; a right one resets it); from the 5th on, `locked_until` says when the next code may
    be tried (API.md, "Account and credential safety")."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret = EncryptedTextField(blank=True, key_setting="ILP_TOTP_KEY")
    pending_secret = EncryptedTextField(blank=True, key_setting="ILP_TOTP_KEY")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"two-factor of {self.user}"

    @property
    def is_active(self) -> bool:
        return bool(self.secret)


class RecoveryCode(models.Model):
    """One of the ten one-time codes that stand in for the authenticator; stored hashed."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self):
        return f"recovery code {self.pk} of {self.user}"


class StaffToken(models.Model):
    """A vendor back-office token (ERP feed, support scripts); stored hashed. Tokens made
    before staff roles existed became `operator`, so the ERP keeps posting orders."""

    name = models.CharField(max_length=100)
    role = models.CharField(max_length=20, choices=StaffRole.choices, default=StaffRole.OPERATOR)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in StaffRole]),
                name="staff_token_role_valid",
            ),
        ]

    def __str__(self):
        return self.name


class SignInMethod(models.TextChoices):
    PASSWORD = "password"
    SSO = "sso"


class UserSession(models.Model):
    """One portal session of a person (GET /me/sessions): the Django session behind it by
    its key, how it signed in, where from. Ending it deletes the Django session."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=64, unique=True)
    method = models.CharField(max_length=10, choices=SignInMethod.choices)
    address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_seen_at"])]

    def __str__(self):
        return f"session {self.pk} of {self.user}"


class SignIn(models.Model):
    """One attempt to sign in to an account (GET /me/sign-ins), failed ones too. `browser`
    is the hash of the browser's long-lived cookie: a successful sign-in from a browser not
    seen before mails the person."""

    class Result(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_ins")
    at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10, choices=SignInMethod.choices)
    result = models.CharField(max_length=10, choices=Result.choices)
    address = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    browser = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-at"]),
            models.Index(fields=["user", "browser"]),
        ]

    def __str__(self):
        return f"{self.result} sign-in of {self.user} at {self.at:%Y-%m-%d %H:%M}"


class StaffMember(models.Model):
    """A person of the vendor's back office and their staff role (DESIGN.md rule 25). They
    sign in with password and two-factor (required: without it the back office sends them to
    set it up first); `User.is_staff` is kept equal to having this row (the Django admin is
    for superusers only). Removing a person from the staff deletes the row."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="staff_member")
    role = models.CharField(max_length=20, choices=StaffRole.choices)
    created_at = models.DateTimeField(default=timezone.now)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in StaffRole]),
                name="staff_member_role_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} (staff: {self.role})"
