"""Notifications: a transactional outbox, follows, and a delivery worker."""
