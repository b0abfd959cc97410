"""Administration: users, offices and departments, the audit trail."""
