"""Firms' contacts' own accounts: invitations, password resets, deactivation by customs."""
