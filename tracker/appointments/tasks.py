"""The counter's periodic work (slots made ahead, no-shows, reminders): see tracker/appointments/notices.py."""
