# Expiry reminders moved to licensing (docs/architecture.md): the table stays, only the
# model's owner changes, so this is a state-only operation here and in licensing 0004.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_expiryreminder'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ExpiryReminder')],
            database_operations=[],
        ),
    ]
