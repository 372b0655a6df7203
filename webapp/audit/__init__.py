"""The append-only audit log of security events."""
