"""Users, roles, sign-in and passwords."""
