"""Identity: accounts, roles, sessions, passwords, API tokens."""
