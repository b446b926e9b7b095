"""The serving code's errors are the chat contract's (chat_contract.errors), named here too."""

from chat_contract.errors import ModelLoadError, NotAcceptable, PromptTooLong, RequestError, UnsupportedContentType

__all__ = ["ModelLoadError", "NotAcceptable", "PromptTooLong", "RequestError", "UnsupportedContentType"]
