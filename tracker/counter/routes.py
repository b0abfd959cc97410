"""The counter's day, its settings and the hall display."""
from flask import Blueprint

bp = Blueprint("counter", __name__)
