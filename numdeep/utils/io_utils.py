"""Messages from training utilities (callbacks' ``verbose`` output), as Keras prints them.

With interactive logging (the default) a message goes to standard output; after
``disable_interactive_logging()`` it goes to the ``numdeep`` logger at INFO level instead, so
programs that capture logs (or run without a terminal) receive it there.

Example:
    >>> from numdeep.utils import io_utils
    >>> io_utils.print_msg("Epoch 1: saving model")
    Epoch 1: saving model
    >>> io_utils.is_interactive_logging_enabled()
    True
"""

import logging
import sys

_STATE = {"interactive": True}  # process-wide, as Keras's switch
_LOGGER = logging.getLogger("numdeep")


def enable_interactive_logging():
    """Send messages to standard output (the default)."""
    _STATE["interactive"] = True


def disable_interactive_logging():
    """Send messages to the ``numdeep`` logger (INFO level) instead of standard output."""
    _STATE["interactive"] = False


def is_interactive_logging_enabled():
    """Whether messages go to standard output."""
    return _STATE["interactive"]


def set_logging_verbosity(level):
    """Set the ``numdeep`` logger's level: a name (``'INFO'``, ``'WARNING'``...) or a number."""
    if isinstance(level, str):
        if level.upper() not in ("DEBUG", "INFO", "WARNING", "WARN", "ERROR", "FATAL",
                                 "CRITICAL"):
            raise ValueError(f"Please pass a valid level for logging verbosity. Expected one of "
                             f"DEBUG, INFO, WARNING, ERROR, FATAL. Received: {level}")
        level = getattr(logging, level.upper())
    _LOGGER.setLevel(level)


def print_msg(message, line_break=True):
    """Print ``message`` (interactive logging) or log it at INFO level."""
    if is_interactive_logging_enabled():
        sys.stdout.write(message + "\n" if line_break else message)
        sys.stdout.flush()
    else:
        _LOGGER.info(message)
