"""Every assigned pack's row names its UMS (`ProductPack.assigned_to`, the seat claim's
condition): filled from the assignments that exist. Safe to run twice; reversible (the
column goes with licensing's migration)."""

from django.db import migrations

FILL = """
UPDATE licensing_productpack SET assigned_to = (
    SELECT u.ums_id FROM rollout_packassignment a
    JOIN rollout_umsinstance u ON u.id = a.ums_id
    WHERE a.pack_id = licensing_productpack.id
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("rollout", "0004_perf_indexes"),
        ("licensing", "0011_pack_assigned_to_claim_indexes"),
    ]

    operations = [migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop)]
