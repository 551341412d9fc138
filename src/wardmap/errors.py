"""Errors the command line turns into a one-line reason and exit code 2."""


class WardmapError(Exception):
    """Bad input or usage: the message is shown to the analyst as it is."""


class InputError(WardmapError):
    """An input file is missing, unreadable or does not hold what it should."""


class ConfigError(WardmapError):
    """The configuration names an unknown key or holds a value of the wrong type."""
