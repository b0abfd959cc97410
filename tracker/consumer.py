"""The entry point for ``huey_consumer tracker.consumer.huey``: the app made by the factory, then its queue.

Importing this module builds the app (reading instance/config.py and TRACKER_* variables); nothing
else imports it. ``flask --app tracker jobs worker`` does the same without this module.
"""
from tracker import create_app
from tracker.jobs import huey

app = create_app()

__all__ = ["app", "huey"]
