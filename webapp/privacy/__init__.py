"""Export and deletion of a user's data, driven by one registry of user-owned tables."""
