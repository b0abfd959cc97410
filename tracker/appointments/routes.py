"""The booking pages: a firm's contact books, moves and cancels his own firm's appointments; officers book
for the firms of their subtree. The counter's day is tracker/counter/, ratings tracker/ratings/."""
from flask import Blueprint

bp = Blueprint("appointments", __name__)
