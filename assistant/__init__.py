"""order-assistant: answers "where's my order?" in a merchant's chat."""

__version__ = "0.1.0"
