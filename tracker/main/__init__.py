"""The home page, the team view and the health check."""
