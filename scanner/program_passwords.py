"""Passwords a program takes by a flag whose name does not say so.

``sshpass -p X``, ``redis-cli -a X``, ``curl -u user:X``, ``mysql -pX``: the flag's name says
nothing of a secret, so the rules that read a secret's name (``--password X``) never see these.
Each program's own manual says which flag takes the password, how its value holds it and whether
the value may be joined to the flag (``-pX``); this module knows those programs and returns the
candidate passwords among a command's words, for the secret detector to judge as it judges any
value a secret's name is given (a reference such as ``$REDIS_PASSWORD`` or ``env:PASS`` is none).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from scanner.container_run import ImageReader

SEPARATE, JOINED, EITHER = "separate", "joined", "either"  # -p X, -pX, or both


@dataclass(frozen=True, slots=True)
class PasswordFlag:
    """How one flag gives a program its password."""

    holds: str = ""  # what comes before the password in the value: "user:" (user:password), "pass:" …
    written: str = SEPARATE  # mysql -pX only: "mysql -p db" asks for the password and names a database


_SEPARATE = PasswordFlag()
_EITHER = PasswordFlag(written=EITHER)  # getopt's, popt's and pflag's short options: -p X and -pX
_JOINED = PasswordFlag(written=JOINED)
_USER_COLON = PasswordFlag(holds=":", written=EITHER)  # user:password, the password after the first ":"
_CERT_COLON = PasswordFlag(holds=":", written=EITHER)  # curl's certificate[:password]
_USER_PERCENT = PasswordFlag(holds="%", written=EITHER)  # Samba's DOMAIN\user%password
_USER_COMMA = PasswordFlag(holds=",", written=EITHER)  # lftp's user,password
_PASS_SOURCE = PasswordFlag(holds="pass:")  # openssl: pass:X is the password; env:, file:, fd: name where it is
_GATEWAY_ITEMS = PasswordFlag(holds=",p:", written=JOINED)  # FreeRDP's /gateway:g:gw,u:user,p:X

# From each program's manual page.
_FLAGS_OF: dict[str, dict[str, PasswordFlag]] = {
    "curl": {"-u": _USER_COLON, "--user": _USER_COLON, "-U": _USER_COLON, "--proxy-user": _USER_COLON,
             "--oauth2-bearer": _SEPARATE, "-E": _CERT_COLON, "--cert": _CERT_COLON, "--proxy-cert": _CERT_COLON},
    "sshpass": {"-p": _EITHER},
    "redis-cli": {"-a": _SEPARATE, "--pass": _SEPARATE},
    "ldap": {"-w": _EITHER},
    "ldappasswd": {"-w": _EITHER, "-a": _EITHER, "-s": _EITHER},  # the bind, the old and the new password
    "mysql": {"-p": _JOINED, "--password": _JOINED},  # --password=X; "--password db" asks, as -p does
    "mongo": {"-p": _EITHER, "--password": _SEPARATE},
    "samba": {"-U": _USER_PERCENT, "--user": _USER_PERCENT},
    "lftp": {"-u": _USER_COMMA},
    "openssl": {"-passin": _PASS_SOURCE, "-passout": _PASS_SOURCE, "-pass": _PASS_SOURCE, "-k": _SEPARATE,
                "--passin": _PASS_SOURCE, "--passout": _PASS_SOURCE, "--pass": _PASS_SOURCE},
    "sqlcmd": {"-P": _EITHER},
    "mosquitto": {"-P": _SEPARATE, "--pw": _SEPARATE},
    "ssh-keygen": {"-N": _EITHER, "-P": _EITHER},
    "zip": {"-P": _EITHER},
    "7z": {"-p": _JOINED},
    "keytool": {"-storepass": _SEPARATE, "-keypass": _SEPARATE, "-srcstorepass": _SEPARATE, "-new": _SEPARATE,
                "-deststorepass": _SEPARATE, "-srckeypass": _SEPARATE, "-destkeypass": _SEPARATE},
    "cassandra": {"-p": _EITHER, "--password": _SEPARATE},
    "ipmitool": {"-P": _EITHER},
    "rabbitmqadmin": {"-p": _EITHER},
    "login": {"-p": _EITHER, "--password": _SEPARATE},  # docker login -p X, oc login -p X: after "login" only
    # /p:X (or -p:X), the gateway's /gp:X or its settings' p:X (/gateway:g:gw,u:user,p:X; /gw: is its alias)
    # FreeRDP 1's options were POSIX (-u user -p X), which FreeRDP 2 still reads
    "freerdp": {"/p": _JOINED, "/gp": _JOINED, "/gateway": _GATEWAY_ITEMS, "/gw": _GATEWAY_ITEMS, "-p": _SEPARATE},
    "rdesktop": {"-p": _EITHER},  # "-p -" reads it from the standard input
}  # fmt: skip

# The programs that share a family's flags (the MySQL and MariaDB clients, the OpenLDAP tools …).
_FAMILY: dict[str, str] = {
    **{name: "ldap" for name in ("ldapsearch", "ldapadd", "ldapmodify", "ldapdelete", "ldapwhoami",
                                 "ldapcompare", "ldapmodrdn", "ldapexop")},
    **{name: "mysql" for name in ("mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlcheck",
                                  "mysqlshow", "mysqlpump", "mariadb", "mariadb-dump", "mariadb-admin",
                                  "mariadb-import", "mariadb-check", "mariadb-show")},
    **{name: "mongo" for name in ("mongo", "mongosh", "mongodump", "mongorestore", "mongoexport",
                                  "mongoimport", "mongostat", "mongotop", "mongofiles")},
    **{name: "sqlcmd" for name in ("sqlcmd", "bcp", "osql")},
    **{name: "mosquitto" for name in ("mosquitto_pub", "mosquitto_sub", "mosquitto_rr")},
    **{name: "zip" for name in ("zip", "unzip")},
    **{name: "7z" for name in ("7z", "7za", "7zr", "7zz", "unrar")},
    **{name: "keytool" for name in ("keytool", "jarsigner")},
    **{name: "samba" for name in ("smbclient", "rpcclient", "smbcacls", "smbget")},
    **{name: "cassandra" for name in ("cqlsh", "cypher-shell")},
    **{name: "freerdp" for name in ("xfreerdp", "xfreerdp3", "wlfreerdp", "wlfreerdp3", "sdl-freerdp",
                                    "sdl-freerdp3", "freerdp")},
    **{name: name for name in ("curl", "sshpass", "redis-cli", "lftp", "openssl", "ssh-keygen", "ldappasswd",
                               "ipmitool", "rabbitmqadmin", "rdesktop")},
}  # fmt: skip
# Programs whose "-p" is a password only in their login command (docker run -p publishes a port).
_LOGIN_PROGRAMS = frozenset(
    {"docker", "podman", "nerdctl", "buildah", "skopeo", "helm", "oras", "az", "crane", "oc", "cf"}
)
# Programs that run the command after their own options (sshpass -p X ssh host), with their options
# that take a value: their options end at their first other word, and that word's options are not theirs.
_WRAPPERS: dict[str, frozenset[str]] = {"sshpass": frozenset({"-f", "-d", "-P"})}
_COMMAND_BREAKS = frozenset({"&&", "||", "|", ";", "&"})
_SHELL_SYNTAX = re.compile(r"^.*(?:&&|\|\||[;|&(`{])|^\$\(")  # cd /app&&curl, $(curl, `curl, (sshpass
_COMBINED = re.compile(r"^-[A-Za-z]{2,}$")  # curl -su: short options written together, the last one takes the value


def given_passwords(
    words: Sequence[str],
    values: Sequence[str] | None = None,
    new_lines: Collection[int] = (),
    glued: Collection[int] = (),
) -> dict[int, str]:
    """The index of each of a command's ``words`` (the program's among them) that gives a program's
    password by one of the flags above, with the password it gives: the word after the flag
    (``-a X``), or the rest of the flag's own word (``-pX``, ``--user=u:X``). ``values``: what each
    word gives as a flag's value, where that is more than the word (all a pair of quotes holds);
    ``new_lines``: the words a new line comes before (one no ``\\`` continues); ``glued``: the words
    a quote joins to the one before (``-p"X"``, ``--user='u:X'``), read with it as one. A command
    line may run several programs (``bash -c 'sshpass -p X ssh h'``): each word is read as the
    nearest known program before it, until ``&&``, ``|``, ``;`` or a new line ends that program's
    command, or the command a wrapper runs begins. Passwords a program takes by position are
    among them (see ``plain_word_passwords``)."""
    values = values if values is not None else words
    found: dict[int, str] = plain_word_passwords(words, values, new_lines, glued)
    flags: dict[str, PasswordFlag] = {}
    waiting_for_login = False
    wrapper: frozenset[str] | None = None  # the options of the wrapper whose own options are being read
    for index, word in enumerate(words):
        before = words[index - 1].removesuffix(";") if index and index not in new_lines else ""
        if index in new_lines or word in _COMMAND_BREAKS:
            flags, waiting_for_login, wrapper = {}, False, None
        ends_command = word.endswith(";")  # mysql -pX; echo done: the password, then a new command
        word = word.removesuffix(";")
        value = values[index].removesuffix(";")
        program = _program_name(word)
        family = _FAMILY.get(program)
        if family is not None or program in _LOGIN_PROGRAMS:
            flags = _FLAGS_OF[family] if family is not None else {}
            waiting_for_login, wrapper = family is None, _WRAPPERS.get(program)
        elif waiting_for_login and word == "login":
            flags, waiting_for_login = _FLAGS_OF["login"], False
        elif flags:
            if index in glued and index > 1:  # -p"X": the flag and its value, one word to the program
                joined = before + value
                password = _password_of(flags, words[index - 2], joined, joined)
            else:
                password = _password_of(flags, before, word, value)
            if password:
                found[index] = password
            elif wrapper is not None and not word.startswith("-") and not _takes_a_value(flags, wrapper, before):
                flags, wrapper = {}, None  # the command the wrapper runs: its options are its own
        if ends_command:
            flags, waiting_for_login, wrapper = {}, False, None
    return found


def _program_name(word: str) -> str:
    """The name a word runs a program by: ``/usr/bin/curl``, ``curl.exe``, ``$(curl``,
    ``cd&&curl`` and the image ``curlimages/curl:8.10.1`` are curl."""
    name = _SHELL_SYNTAX.sub("", word).replace("\\", "/").rsplit("/", 1)[-1].lower()
    name = name.split("@", 1)[0].split(":", 1)[0]  # an image's: curlimages/curl:8.10.1
    return name.removesuffix(".exe").removesuffix(".bat").removesuffix(".cmd")


def _takes_a_value(flags: dict[str, PasswordFlag], wrapper: frozenset[str], flag: str) -> bool:
    given = flags.get(flag)
    return flag in wrapper or (given is not None and given.written != JOINED)


def _password_of(flags: dict[str, PasswordFlag], before: str, word: str, value: str) -> str | None:
    """The password ``word`` gives by one of ``flags``: as the value of the flag ``before`` it
    (``-a X``; ``-su X``, short options written together), or joined to its own flag (``-pX``,
    ``--user=u:X``, ``-passin=pass:X``)."""
    given = flags.get(before)
    if given is None and _COMBINED.match(before):
        given = flags.get("-" + before[-1])
        given = given if given is not None and given.written == EITHER else None
    if given is not None and given.written != JOINED and not word.startswith("-"):
        return _password_in(value, given)  # a flag's value is no flag: "mongosh -p --quiet" asks for it
    name, equals, rest = word.partition("=")
    given = flags.get(name) if equals else None
    if given is not None:
        return _password_in(rest, given)
    given = flags.get(word[:2]) if len(word) > 2 and word[0] == "-" and word[1] != "-" else None
    if given is not None and given.written != SEPARATE:
        return _password_in(word[2:], given)
    name, colon, rest = word.partition(":") if word.startswith(("/", "-")) else ("", "", "")
    given = flags.get("/" + name[1:]) if colon else None  # FreeRDP's /p:X, or -p:X
    return _password_in(rest, given) if given is not None else None


def _password_in(value: str, given: PasswordFlag) -> str | None:
    """The password in a flag's value, by how the flag holds it; None where it holds none
    (``curl -u user``: curl asks for it; ``-passin env:VAR``: it names where the password is)."""
    if not given.holds:
        return value
    if given.holds == "pass:":
        return value[len("pass:") :] if value.startswith("pass:") else None
    if given.holds == ",p:":  # one of the settings, separated by ","
        return next((item[2:] for item in value.split(",") if item.startswith("p:")), None)
    _, separator, password = value.partition(given.holds)
    return password if separator else None


@dataclass(frozen=True, slots=True)
class PlainWordPassword:
    """A password a program takes as one of its command's plain words, not as a flag's value."""

    subcommand: tuple[str, ...]  # the plain words that come first: ("add_user",), ("alias", "set")
    position: int  # which plain word after them gives the password, from 0


# From each program's manual: the plain words that give a password, and the options that take a
# separate value (their value is no plain word).
_MINIO = (  # MinIO's client: mc alias set NAME URL ACCESS_KEY SECRET_KEY
    PlainWordPassword(("alias", "set"), 3),
    PlainWordPassword(("config", "host", "add"), 3),
    PlainWordPassword(("admin", "user", "add"), 2),  # ALIAS ACCESS_KEY SECRET_KEY
)
_PLAIN_WORD_PASSWORDS: dict[str, tuple[PlainWordPassword, ...]] = {
    "rabbitmqctl": (
        PlainWordPassword(("add_user",), 1),
        PlainWordPassword(("change_password",), 1),
        PlainWordPassword(("authenticate_user",), 1),
        PlainWordPassword(("hash_password",), 0),
    ),
    "mc": _MINIO,
    "mcli": _MINIO,  # the client's name in distributions' packages
}
_VALUED_OPTIONS: dict[str, frozenset[str]] = {
    "rabbitmqctl": frozenset({"-n", "--node", "-t", "--timeout", "-p", "--vhost", "--erlang-cookie", "--formatter"}),
    "mc": frozenset({"-C", "--config-dir", "--api", "--path", "--limit-upload", "--limit-download"}),
    "htpasswd": frozenset({"-C", "-r"}),  # apr_getopt's "C:" and "r:"
}
_VALUED_OPTIONS["mcli"] = _VALUED_OPTIONS["mc"]
# Oracle's tools take the logon, user/password@database, as their first word that holds a "/"
# (SQL*Plus: "sqlplus [options] [logon] [@script]"; Data Pump's also as userid=logon)
_ORACLE_PROGRAMS = frozenset({"sqlplus", "expdp", "impdp", "dgmgrl"})
# the furthest place a password is given (mc config host add NAME URL KEY SECRET; htpasswd's is 3)
_MOST_PLAIN_WORDS = max(
    len(rule.subcommand) + rule.position + 1 for rules in _PLAIN_WORD_PASSWORDS.values() for rule in rules
)


def plain_word_passwords(
    words: Sequence[str], values: Sequence[str], new_lines: Collection[int] = (), glued: Collection[int] = ()
) -> dict[int, str]:
    """The index of each of a command's ``words`` that gives a program's password by its position,
    with the password: ``rabbitmqctl add_user u X``, ``mc alias set name url key X``, ``htpasswd -b
    file user X`` (``htpasswd -nb user X``), and Oracle's logon ``sqlplus user/X@db`` (expdp, impdp,
    dgmgrl; ``userid=user/X``; ``user/"X"@db``, the password quoted apart). ``values``, ``new_lines``
    and ``glued``: as ``given_passwords`` has them. A program's command ends where
    ``given_passwords``' does; a word inside it that names another program is one of its words."""
    found: dict[int, str] = {}
    program = ""
    plain: list[str] = []  # the program's plain words so far
    letters: set[str] = set()  # the short options given, for htpasswd's -b and -n
    valued = frozenset[str]()
    inside = 0  # words still inside the one before: a quoted value of several words, a template's {{ … }}
    image = ImageReader(pending=False)  # the program is a container's entrypoint: its image comes before its words
    for index, word in enumerate(words):
        if index in new_lines or word in _COMMAND_BREAKS:
            program, inside = "", 0
        if inside:
            inside = 0 if word == "}}" else inside - 1 if inside > 0 else inside
            continue
        bare = word.removesuffix(";")
        if program and word == "{{":
            inside = -1  # to the "}}" that closes it: one word, a template's
        elif program and " " in values[index].strip():
            inside = len(values[index].split()) - 1
        if not program:
            # --entrypoint htpasswd, --entrypoint=htpasswd, --entrypoint="htpasswd" (the quote splits the words:
            # "--entrypoint=", or "--entrypoint=\" where the quote is escaped)
            before = words[index - 1].rstrip("=\\") if index else ""
            entrypoint = bare.startswith(_ENTRYPOINT + "=") or before == _ENTRYPOINT
            name = _program_name(bare.removeprefix(_ENTRYPOINT + "=").strip("\"'\\"))
            if name in _PLAIN_WORD_PASSWORDS or name in _ORACLE_PROGRAMS or name == "htpasswd":
                program, plain, letters, valued = name, [], set(), _VALUED_OPTIONS.get(name, frozenset())
                image = ImageReader(pending=entrypoint)
        elif image.pending:
            image.read(bare)
        elif bare.startswith("-") and len(bare) > 1:
            letters |= set(bare[1:]) if not bare.startswith("--") else set()
        elif program in _ORACLE_PROGRAMS:
            logon = bare[len("userid=") :] if bare[:7].lower() == "userid=" else bare
            if bare.startswith("@"):  # the script to run: no logon before it
                program = ""
            elif "/" in logon:
                if logon.rstrip("\\").endswith("/") and index + 1 in glued:  # scott/"X"@orcl, scott/\"X\"@orcl
                    found[index + 1] = values[index + 1].rstrip("\\")
                elif password := _logon_password(logon):
                    found[index] = password
                program = ""
        elif not (index and _value_of_option(words[index - 1], valued)):
            plain.append(bare)
            password = _positional_password(program, plain, letters)
            if password:
                found[index] = password
            if len(plain) >= _MOST_PLAIN_WORDS:  # past every password's place: the rest is no one's
                program = ""
        if word.endswith(";"):
            program = ""
    return found


_ENTRYPOINT = "--entrypoint"  # docker run --entrypoint htpasswd httpd:2 -Bbn user X (Docker's registry guide)


def _value_of_option(before: str, valued: frozenset[str]) -> bool:
    """Whether the word after ``before`` is that option's value: ``-C 12``, and ``-bC 12`` (short
    options written together, the last one taking the value)."""
    return before in valued or (_COMBINED.match(before) is not None and "-" + before[-1] in valued)


def _positional_password(program: str, plain: list[str], letters: set[str]) -> str | None:
    """The password the last of a program's ``plain`` words gives, if it gives one."""
    if program == "htpasswd":  # -b: the password is on the command line, after the file and user (-n: no file)
        return plain[-1] if "b" in letters and len(plain) == (2 if "n" in letters else 3) else None
    for rule in _PLAIN_WORD_PASSWORDS[program]:
        given = len(rule.subcommand) + rule.position + 1
        if len(plain) == given and tuple(plain[: len(rule.subcommand)]) == rule.subcommand:
            return plain[-1]
    return None


def _logon_password(logon: str) -> str | None:
    """The password of Oracle's ``user/password@database`` (``user/password``, ``user/"p@ss"@db``);
    none in ``/`` (the operating system's login), ``/nolog``, or a path."""
    user, slash, rest = logon.partition("/")
    if not slash or not user or rest.startswith("/"):  # "/ as sysdba", "//host:1521/service"
        return None
    if rest.startswith('"'):
        closing = rest.find('"', 1)
        return rest[1:closing] if closing > 1 else None
    return rest.split("@", 1)[0] or None
