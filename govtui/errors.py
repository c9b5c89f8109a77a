"""Errors that carry the exit code the design assigns them, printed as one line."""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_READ_ONLY = 3
EXIT_ACTION_FAILED = 4
EXIT_INTERRUPTED = 130


def one_line_text(text: str) -> str:
    """Text kept on one line: line breaks and tabs folded into spaces, other control characters
    (terminal escapes) shown escaped."""
    if text.isprintable():
        return text
    folded = " ".join(text.split())
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in folded)


class GovtuiError(Exception):
    """Base error: `str(err)` is the one line shown to the operator."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        # Messages quote input (keys, cells, label values): keep them on one line, and keep
        # terminal escapes out of them (found by tests/fuzz).
        message = one_line_text(str(message))
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(GovtuiError):
    """Bad command-line arguments."""


class ConfigError(GovtuiError):
    """A config file is missing, unparsable or invalid; message is `FILE:LINE: key.path: problem`."""


class InputError(GovtuiError):
    """A data file (CSV signals, registry YAML) is invalid; message names the file and line."""


class SourceError(GovtuiError):
    """A backend (Prometheus, Alertmanager, registry) failed in a way a person can act on."""

    def __init__(self, source: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.retryable = retryable


class RegistryError(SourceError):
    """A model registry refused or failed a request (MLflow's `error_code` and `message`)."""

    def __init__(
        self, source: str, message: str, *, error_code: str = "", retryable: bool = False
    ) -> None:
        super().__init__(source, message, retryable=retryable)
        self.error_code = error_code


class ReadOnlyRefused(GovtuiError):
    """A mutating action was refused because read-only mode is on."""

    exit_code = EXIT_READ_ONLY


class GuardrailRefused(GovtuiError):
    """An action was refused by a guardrail (wrong current version, unready target, ...)."""

    exit_code = EXIT_CHECK_FAILED


class ActionFailed(GovtuiError):
    """An action was attempted but its outcome failed or could not be confirmed."""

    exit_code = EXIT_ACTION_FAILED
