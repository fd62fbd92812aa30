"""Messages between the bot's actors: small frozen dataclasses, one module per conversation.

Read these first to learn the system. Money is always int (lamports or raw token units).
Every request that can fail has an explicit failure reply, and every reply names its request id.
"""
from messages.ids import new_request_id

__all__ = ["new_request_id"]
