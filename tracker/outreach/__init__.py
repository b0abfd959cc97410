"""Outreach: visits to firms, the business-needs ledger (业务需求) and assistance plans (帮扶方案)."""
