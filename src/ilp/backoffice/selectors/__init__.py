"""The back office's reads across every company (staff only: the routes and pages that call
them are behind `StaffAuth(role)` / `staff_page(role)`). A company's own data, as its people
see it, is read through each app's membership-scoped selectors with vendor staff's read-only
view of the company (core.auth.company_membership), never from here."""
