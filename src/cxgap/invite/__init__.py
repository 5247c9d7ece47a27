"""Inviting respondents: reading contact lists and sending links by e-mail."""

from cxgap.invite.contacts import read_contacts
from cxgap.invite.mail import invitation_message, send_messages

__all__ = ["invitation_message", "read_contacts", "send_messages"]
