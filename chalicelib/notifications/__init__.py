"""E-mails to buyers: tickets and refund notices, rendered in their language and sent through SES."""

from .email import EmailNotSent, send_preferences_link, send_refund_notice, send_tickets

__all__ = ["EmailNotSent", "send_preferences_link", "send_refund_notice", "send_tickets"]
