"""One canonical e-mail form (DESIGN.md rule 18): NFKC, then lower case, compared exactly.

Rewrites the stored addresses of users, invitations and access requests into that form and
drops the old `Lower(email)` uniqueness (the field's own unique index now compares exactly).
Two accounts whose addresses become the same (say `ｈanna@x` and `hanna@x`) are not merged:
the older one (lowest id) takes the canonical form, the other keeps its address as it was and
is named in the migration's output for the back office to resolve. A look-up always uses the
canonical form, so such a leftover account can no longer log in; nobody is silently merged.
"""

import unicodedata

from django.db import migrations


def _canonical(email):
    # Frozen copy of accounts.models.normalize_email as of this migration.
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def forwards(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    taken = set(User.objects.values_list("email", flat=True))
    leftovers = []
    for pk, email in User.objects.order_by("pk").values_list("pk", "email"):
        canonical = _canonical(email)
        if canonical == email:
            continue
        if canonical in taken:
            leftovers.append(email)
            continue
        User.objects.filter(pk=pk).update(email=canonical)
        taken.discard(email)
        taken.add(canonical)
    for model in ("Invitation", "AccessRequest"):
        Model = apps.get_model("accounts", model)
        for pk, email in Model.objects.values_list("pk", "email"):
            canonical = _canonical(email)
            if canonical != email:
                Model.objects.filter(pk=pk).update(email=canonical)
    if leftovers:
        print(
            "\n  accounts.0003_canonical_email: these accounts share their canonical e-mail with "
            "an older account and were left as they were (resolve them in the back office): "
            + ", ".join(sorted(leftovers))
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_language_follows_browser")]

    operations = [
        migrations.RemoveConstraint(model_name="user", name="user_email_ci_unique"),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
