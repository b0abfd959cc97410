"""Outgoing e-mail through a transactional outbox."""
