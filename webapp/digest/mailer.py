"""Outgoing mail: an `email.message.EmailMessage` with text and HTML parts, sent with `smtplib`
using the MAIL_* settings (config.py). One connection per message keeps a failure to one learner.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


def compose(to: str, subject: str, text: str, html: str, unsubscribe_url: str) -> EmailMessage:
    """A multipart/alternative message with RFC 8058 one-click unsubscribe headers."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=config["MAIL_SENDER"].rpartition("@")[2].strip(">") or None)
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send(message: EmailMessage) -> None:
    """Deliver one message over SMTP (STARTTLS and login when configured); MailError on failure."""
    config = current_app.config
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]) as smtp:
            if config["MAIL_USE_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
