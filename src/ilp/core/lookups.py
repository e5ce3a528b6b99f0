"""`field__any_of=[…]`: membership in a list, one array parameter on PostgreSQL.

`field__in` with 1000 values makes Django build and PostgreSQL parse 1000 placeholders: 10 ms
against 3 ms for `field = ANY(%s)` with the list as one array (a 1000-device issuance looks
its devices up this way). Elsewhere, and for a subquery, it is `__in`. It takes plain values
(strings, primary keys), not model instances: a foreign key's `__in` turns objects into keys,
this one does not.
"""

from django.db.models import Field
from django.db.models.lookups import In


@Field.register_lookup
class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [
            self.lhs.output_field.get_db_prep_value(v, connection, prepared=True)
            for v in self.rhs
            if v is not None
        ]
        return f"{lhs} = ANY(%s)", (*lhs_params, values)
