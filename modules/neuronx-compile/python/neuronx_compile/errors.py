"""Errors of the compile. Each carries the phase it happened in, for _FAILURE."""


class CompileError(ValueError):
    """A failure with a message meant for the person running ``terraform apply``."""

    def __init__(self, message: str, phase: str = "") -> None:
        super().__init__(message)
        self.phase = phase


class SettingsError(CompileError):
    """The compile environment is missing a value or has an invalid one."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "bootstrap")


class DownloadError(CompileError):
    """The model could not be fetched from the Hugging Face Hub."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "download")


class UploadError(CompileError):
    """The artifacts could not be written to S3."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "upload")


class UnsupportedModelError(CompileError):
    """The checkpoint's model_type is not one transformers-neuronx can compile and the endpoint serve."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "download")


class AlreadyEndedError(CompileError):
    """This instance's own ``_FAILURE`` is already written (by the user data's lease or deadline
    watchdog, while the compile job was starting): the compile must stop without touching it."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "bootstrap")


class PrefixOwnedError(AlreadyEndedError):
    """Another compile owns the prefix (it holds ``_LOCK``, failed, or took the prefix over): this one
    stops without writing any marker, since they are that compile's (lock.py)."""
