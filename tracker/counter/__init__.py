"""The certificate counter's working pages: today's queue, the counter's steps, walk-ins, the hall display
(叫号屏), and the counter's settings (hours, windows, rules). The models and services are tracker/appointments/."""
