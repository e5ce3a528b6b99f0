"""Upper bounds of the API's and the portal's integer inputs (API.md, third round: every
integer input has one, so a number too big for a database column is a 422, never a 500 from
an insert that PostgreSQL refuses). One home, so schemas, forms and services agree."""

MAX_SEATS = 1_000_000  # per item or pack operation; far above any real order
MAX_DAYS = 3_650  # ten years: token lifetimes, lease days, report windows
MAX_TERM_MONTHS = 1_200  # a hundred years
MAX_ID = 2**63 - 1  # a row's primary key (BigAutoField)
MAX_OFFSET = 2**31 - 1  # no list comes near it
