"""SCIM 2.0 provisioning (RFC 7643/7644) of a company's members by its identity provider."""
