"""A bare Flask app with one route: the baseline `/health` is compared against.

Served by the same gunicorn config file as the real app (`deploy/gunicorn.conf.py`).
"""

from flask import Flask

app = Flask(__name__)


@app.get("/bare")
def bare():
    return {"status": "ok"}
