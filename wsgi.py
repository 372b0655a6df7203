"""WSGI entry point: gunicorn serves `wsgi:app`."""

from webapp import create_app

app = create_app()
