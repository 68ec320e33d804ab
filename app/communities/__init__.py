"""Communities (tenants), their authorities, residency and staff roles."""
