"""Passwords a program takes by a flag whose name does not say so.

``sshpass -p X``, ``redis-cli -a X``, ``curl -u user:X``, ``mysql -pX``: the flag's name says
nothing of a secret, so the rules that read a secret's name (``--password X``) never see these.
Each program's own manual says which flag takes the password and how its value holds it; this
module knows those programs and returns the candidate passwords among a command's words, for the
secret detector to judge as it judges any value a secret's name is given (a reference such as
``$REDIS_PASSWORD`` or ``env:PASS`` is none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PasswordFlag:
    """How one flag gives a program its password."""

    holds: str = ""  # what comes before the password in the value: "user:" (user:password), "pass:" …
    attached_only: bool = False  # mysql -pX; "mysql -p db" asks for the password and names a database


_PASSWORD = PasswordFlag()
_USER_COLON = PasswordFlag(holds=":")  # user:password, the password after the first ":"
_USER_PERCENT = PasswordFlag(holds="%")  # smbclient's DOMAIN\user%password
_USER_COMMA = PasswordFlag(holds=",")  # lftp's user,password
_PASS_SOURCE = PasswordFlag(holds="pass:")  # openssl: pass:X is the password; env:, file:, fd: name where it is
_ATTACHED = PasswordFlag(attached_only=True)

# From each program's manual page.
_FLAGS_OF: dict[str, dict[str, PasswordFlag]] = {
    "curl": {"-u": _USER_COLON, "--user": _USER_COLON, "-U": _USER_COLON, "--proxy-user": _USER_COLON,
             "--oauth2-bearer": _PASSWORD},
    "sshpass": {"-p": _PASSWORD},
    "redis-cli": {"-a": _PASSWORD},
    "ldap": {"-w": _PASSWORD},
    "mysql": {"-p": _ATTACHED},
    "mongo": {"-p": _PASSWORD},
    "smbclient": {"-U": _USER_PERCENT, "--user": _USER_PERCENT},
    "lftp": {"-u": _USER_COMMA},
    "openssl": {"-passin": _PASS_SOURCE, "-passout": _PASS_SOURCE, "-pass": _PASS_SOURCE, "-k": _PASSWORD},
    "sqlcmd": {"-P": _PASSWORD},
    "mosquitto": {"-P": _PASSWORD},
    "ssh-keygen": {"-N": _PASSWORD, "-P": _PASSWORD},
    "zip": {"-P": _PASSWORD},
    "7z": {"-p": _ATTACHED},
    "keytool": {"-storepass": _PASSWORD, "-keypass": _PASSWORD, "-srcstorepass": _PASSWORD,
                "-deststorepass": _PASSWORD, "-srckeypass": _PASSWORD, "-destkeypass": _PASSWORD},
    "login": {"-p": _PASSWORD},  # docker login -p X, az login -p X: only after the word "login"
}  # fmt: skip

# The programs that share a family's flags (the MySQL and MariaDB clients, the OpenLDAP tools …).
_FAMILY: dict[str, str] = {
    **{name: "ldap" for name in ("ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapwhoami",
                                 "ldappasswd", "ldapcompare", "ldapmodrdn", "ldapexop", "ldapurl")},
    **{name: "mysql" for name in ("mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlcheck",
                                  "mysqlshow", "mysqlpump", "mariadb", "mariadb-dump", "mariadb-admin",
                                  "mariadb-import", "mariadb-check", "mariadb-show")},
    **{name: "mongo" for name in ("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport",
                                  "mongoimport", "mongostat", "mongotop", "mongofiles")},
    **{name: "sqlcmd" for name in ("sqlcmd", "bcp", "osql")},
    **{name: "mosquitto" for name in ("mosquitto_pub", "mosquitto_sub", "mosquitto_rr")},
    **{name: "zip" for name in ("zip", "unzip", "zipcloak")},
    **{name: "7z" for name in ("7z", "7za", "7zr", "7zz")},
    **{name: name for name in ("curl", "sshpass", "redis-cli", "smbclient", "lftp", "openssl", "ssh-keygen",
                               "keytool")},
}  # fmt: skip
# Programs whose "-p" is a password only in their login command (docker run -p publishes a port).
_LOGIN_PROGRAMS = frozenset({"docker", "podman", "nerdctl", "buildah", "skopeo", "helm", "oras", "az", "crane"})
_COMMAND_BREAKS = frozenset({"&&", "||", "|", ";", "&"})


def given_passwords(words: Sequence[str]) -> dict[int, str]:
    """The index of each word among a command's ``words`` (the program's among them) that gives a
    program's password by one of the flags above, with the password it gives: the word after the
    flag (``-a X``), or the rest of the flag's own word (``-pX``, ``--user=u:X``). A command line
    may run several programs (``bash -c 'sshpass -p X ssh h'``): each word is read as the nearest
    known program before it, until ``&&``, ``|`` or ``;`` ends that program's command."""
    found: dict[int, str] = {}
    flags: dict[str, PasswordFlag] = {}
    waiting_for_login = False
    for index, word in enumerate(words):
        family = _FAMILY.get(_program_name(word))
        if family is not None:
            flags, waiting_for_login = _FLAGS_OF[family], False
            continue
        if _program_name(word) in _LOGIN_PROGRAMS:
            flags, waiting_for_login = {}, True
            continue
        if word in _COMMAND_BREAKS or word.endswith(";"):
            flags, waiting_for_login = {}, False
            continue
        if waiting_for_login and word == "login":
            flags, waiting_for_login = _FLAGS_OF["login"], False
            continue
        if not flags:
            continue
        before = words[index - 1] if index else ""
        given = flags.get(before)
        # a flag's value is no flag: "mongosh -p --quiet" asks for the password
        value = word if given is not None and not given.attached_only and not word.startswith("-") else None
        if value is None:
            given, value = _attached(flags, word)
        password = _password_in(value, given) if value is not None and given is not None else None
        if password:
            found[index] = password
    return found


def _program_name(word: str) -> str:
    """The name a word runs a program by: ``/usr/bin/curl`` and ``curl.exe`` are curl."""
    name = word.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name.removesuffix(".exe")


def _attached(flags: dict[str, PasswordFlag], word: str) -> tuple[PasswordFlag | None, str | None]:
    """The flag a word begins with and the value it holds: ``-pX`` (a one-letter flag), ``--user=X``."""
    if word.startswith("--"):
        name, equals, value = word.partition("=")
        return (flags.get(name), value) if equals else (None, None)
    if len(word) > 2 and word[0] == "-":
        given = flags.get(word[:2])
        if given is not None:
            return given, word[2:]
    return None, None


def _password_in(value: str, given: PasswordFlag) -> str | None:
    """The password in a flag's value, by how the flag holds it; None where it holds none
    (``curl -u user``: curl asks for it; ``-passin env:VAR``: it names where the password is)."""
    if not given.holds:
        return value
    if given.holds == "pass:":
        return value[len("pass:") :] if value.startswith("pass:") else None
    _, separator, password = value.partition(given.holds)
    return password if separator else None
