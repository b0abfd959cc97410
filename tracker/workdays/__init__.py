"""The Chinese working-day calendar (工作日历): public holidays, make-up working days and admin overrides."""
