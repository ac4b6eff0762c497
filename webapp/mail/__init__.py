"""Outgoing mail through a transactional outbox: nothing is sent before its change commits."""
