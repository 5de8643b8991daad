"""What safety providers share: reading messages as text, remembering shields, moderation results."""

from ._messages import message_text, require_messages
from ._moderation import moderation_id, moderation_inputs
from ._shields import ShieldDirectory, ShieldProvider

__all__ = [
    "ShieldDirectory",
    "ShieldProvider",
    "message_text",
    "moderation_id",
    "moderation_inputs",
    "require_messages",
]
