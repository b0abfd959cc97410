"""Rating a service and answering a poor rating."""
from flask import Blueprint

bp = Blueprint("ratings", __name__)
