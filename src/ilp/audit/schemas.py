from datetime import datetime
from typing import Any

from ninja import Schema


class AuditEventOut(Schema):
    id: int
    created_at: datetime
    actor: str
    actor_kind: str
    reason: str = ""  # vendor staff's stated reason (actor_kind "staff"), else ""
    action: str
    object_type: str
    object_id: str
    before: Any = None
    after: Any = None

    @staticmethod
    def resolve_actor(obj) -> str:
        return obj.actor_label
