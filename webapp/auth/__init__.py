"""Registration, sign-in and sign-out for browsers, on Flask-Login sessions."""
