"""nhiscan: posture scanner for non-human identities and AI agents."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nhiscan")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
