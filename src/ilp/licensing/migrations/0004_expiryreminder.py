# Expiry reminders moved here from notifications: the model takes over the existing table
# (state-only; see notifications 0003).

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('licensing', '0003_order_result'),
        ('notifications', '0003_move_expiryreminder_to_licensing'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ExpiryReminder',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('expires_on', models.DateField()),
                        ('days_before', models.PositiveSmallIntegerField()),
                        ('recipients', models.PositiveIntegerField(default=0)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('pack', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='expiry_reminders', to='licensing.productpack')),
                    ],
                    options={
                        'db_table': 'notifications_expiryreminder',
                        'constraints': [models.UniqueConstraint(fields=('pack', 'expires_on', 'days_before'), name='expiry_reminder_once')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
