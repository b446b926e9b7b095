"""Request errors, each with its HTTP status; each inference path maps them to responses at one boundary."""


class RequestError(ValueError):
    """A request the model cannot answer as sent; the message says what to change."""

    status = 400


class UnsupportedContentType(RequestError):
    status = 415


class NotAcceptable(RequestError):
    status = 406


class PromptTooLong(RequestError):
    status = 413


class ModelLoadError(RuntimeError):
    """The model directory does not hold what the settings say."""
