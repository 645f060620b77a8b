"""Reading ``docker run``'s words (podman's, ``docker compose run``'s): which of them is the image.

The run's own options and their values come first, then the image, then the command or the
entrypoint's arguments. An option takes a value (its next word, or after ``=``) unless it is one
of those the references list without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# The options of docker run, podman run and docker compose run that take no value (from their
# references): every other option before the image takes one, as its next word or after "=".
_FLAGS = frozenset(
    {"--rm", "--init", "--privileged", "--read-only", "--no-healthcheck", "--oom-kill-disable", "--interactive",
     "--tty", "--detach", "--publish-all", "--quiet", "--disable-content-trust", "--sig-proxy", "--help",
     "--use-api-socket",
     # podman's own
     "--replace", "--rmi", "--no-hosts", "--env-host", "--http-proxy", "--tls-verify", "--read-only-tmpfs",
     "--rootfs", "--passwd", "--unsetenv-all",
     # docker compose run's, whose service stands where the image does
     "--no-deps", "--service-ports", "--use-aliases", "--build", "--quiet-pull", "--remove-orphans"}
)  # fmt: skip
_SHORT_FLAGS = re.compile(r"^-[ditPqT]+$")  # -d, -it, -dit, -P, -q; compose's -T (-h is --hostname's)


@dataclass(slots=True)
class ImageReader:
    """Reads a run's words one at a time, up to its image."""

    pending: bool = True  # the image is still to come
    value_next: bool = False  # the word before was an option that takes the next word

    def read(self, word: str) -> bool:
        """Reads one word; True when it is the image."""
        if self.value_next:
            self.value_next = False
        elif word == "--":  # the end of the options: the image comes next
            pass
        elif word.startswith("-"):
            flag = word in _FLAGS or _SHORT_FLAGS.match(word) is not None
            self.value_next = "=" not in word and not flag
        else:
            self.pending = False
            return True
        return False


def image_of(words: Iterable[str]) -> str | None:
    """The image among a run's words (after ``run``), or None when none comes."""
    reader = ImageReader()
    return next((word for word in words if reader.read(word)), None)
