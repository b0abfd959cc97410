"""The needs ledger (需求台账): needs raised by firms, their handling, deadlines, extensions and follow-ups."""
