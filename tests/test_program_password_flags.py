"""A password given to a program by a flag whose name does not say so (``sshpass -p X``,
``redis-cli -a X``, ``curl -u user:X``, ``mysql -pX``) is a plaintext secret: it fails
NHI-SECRET-001 and never reaches an output, in a ``command`` string and in an ``args`` list alike.
The flags are those each program's manual gives for its password; the same flags of other
programs (``ssh -p 2222``, ``docker run -p``) and references (``-a $REDIS_PASSWORD``) are none.
Passwords a program takes by position (``htpasswd -b file user X``, ``sqlplus user/X@db``,
``rabbitmqctl add_user u X``) are found as its manual places them. A value a secret's name is
given in quotes is all the quotes hold, not only its first word."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from scanner.model import Inventory
from scanner.redact import redact_text
from scanner.scan import ScanOptions, run_scan
from scanner.secret_detection import find_secret_in_command
from scanner.sources import SourceSpec, collect
from scanner.sources.manifests.mcp import _without_secret_words

PASSWORD = "Hk3Lm9Pq2Rz7"

COMMANDS_GIVING_A_PASSWORD = [
    f"curl -u admin:{PASSWORD} https://api.example.com/v1",
    f"curl --user admin:{PASSWORD} https://api.example.com/v1",
    f"curl --user=admin:{PASSWORD} https://api.example.com/v1",
    f"curl -uadmin:{PASSWORD} https://api.example.com/v1",
    f"curl --oauth2-bearer {PASSWORD} https://api.example.com/v1",
    f"mysql -uroot -p{PASSWORD} orders",
    f"mariadb-dump -p{PASSWORD} orders",
    f"sshpass -p {PASSWORD} ssh deploy@host",
    f"sshpass -p{PASSWORD} ssh deploy@host",
    f"redis-cli -h cache -a {PASSWORD} ping",
    f"docker login -u ci -p {PASSWORD} registry.example.com",
    f"helm registry login registry.example.com -u ci -p {PASSWORD}",
    f"ldapsearch -x -D cn=admin,dc=example -w {PASSWORD} -b dc=example",
    f"smbclient //files/share -U EXAMPLE\\\\svc%{PASSWORD}",
    f"mongosh mongodb://db -u admin -p {PASSWORD}",
    f"openssl pkcs12 -in agent.p12 -passin pass:{PASSWORD}",
    f"keytool -list -keystore agent.jks -storepass {PASSWORD}",
    f"sqlcmd -S db -U sa -P {PASSWORD} -Q 'SELECT 1'",
    f"7z x -p{PASSWORD} bundle.7z",
    f"/usr/bin/sshpass -p {PASSWORD} ssh deploy@host",
    # written as shells and option parsers accept them
    f'mysql -uroot -p"{PASSWORD}" orders',
    f"curl --user='admin:{PASSWORD}' https://api.example.com/v1",
    f'curl -u admin:"{PASSWORD}" https://api.example.com/v1',
    f"curl -fsSLu admin:{PASSWORD} https://api.example.com/v1",
    f"docker login -p={PASSWORD} registry.example.com",
    f"openssl pkcs12 -in agent.p12 -passin=pass:{PASSWORD}",
    f"echo $(curl -u admin:{PASSWORD} https://api.example.com/v1)",
    f"cd /srv&&sshpass -p {PASSWORD} ssh deploy@host",
    f"sudo -E curl -u admin:{PASSWORD} https://api.example.com/v1",
    f"curl -E client.pem:{PASSWORD} https://api.example.com/v1",
    f"mosquitto_pub -h broker --pw {PASSWORD} -t jobs -m go",
    f"cqlsh -u cassandra -p {PASSWORD} db",
    f"ipmitool -I lanplus -H bmc -U admin -P {PASSWORD} power status",
    f"oc login -u deploy -p {PASSWORD} https://api.example.com:6443",
    f"rpcclient -U admin%{PASSWORD} files",
    f"SSHPASS={PASSWORD} sshpass -e ssh deploy@host",
    f"kubectl exec -it deploy/db -- mysql -uroot -p{PASSWORD} -e 'SELECT 1'",
    f"docker run --rm curlimages/curl:8.10.1 -u admin:{PASSWORD} https://api.example.com/v1",
    f"curl -sS \\\n  -u admin:{PASSWORD} \\\n  https://api.example.com/v1",  # a line continued
    f"sshpass -P passphrase -p {PASSWORD} ssh deploy@host",
    f"mongodump -u admin -p{PASSWORD} --db orders",
    f"lftp -uadmin,{PASSWORD} files.example.com",
    f"mysql -uroot -p{PASSWORD}; echo done",
    f"curl -kE client.pem:{PASSWORD} https://api.example.com/v1",
    f'sh -c "SSHPASS={PASSWORD} sshpass -e ssh deploy@host uptime"',
    f'sh -c "DB_PASSWORD={PASSWORD} node server.js --config <your-config>"',  # the assignment's, not the script
    f"bash -c 'sshpass -p {PASSWORD} ssh deploy@host uptime'",
    f'sh -c "curl -sS -u admin:{PASSWORD} https://api.example.com && echo ok"',
    # by position, as each program's manual places it, and FreeRDP's /p:X
    f"htpasswd -b /etc/nginx/.htpasswd admin {PASSWORD}",
    f"htpasswd -C 12 -bcB .htpasswd admin {PASSWORD}",
    f"htpasswd -nbB admin {PASSWORD}",  # -n: no file, the user and the password
    f"sqlplus -s scott/{PASSWORD}@//db.example.com:1521/orclpdb @report.sql",
    f"expdp system/{PASSWORD}@orcl schemas=hr directory=dp dumpfile=hr.dmp",
    f"rabbitmqctl add_user agent {PASSWORD}",
    f"rabbitmqctl -n rabbit@mq change_password agent {PASSWORD}",
    f"mc alias set minio http://minio:9000 minioadmin {PASSWORD}",
    f"mc config host add s3 https://s3.example.com ci-uploader {PASSWORD}",
    f"xfreerdp /v:host /u:admin /p:{PASSWORD} /cert:ignore",
    f"xfreerdp3 /v:host /u:admin /gp:{PASSWORD} /g:gateway",
    # found missing by a review: options as each manual gives them, Windows names, other subcommands
    f"sqlplus -F scott/{PASSWORD}@orcl",  # -F[AILOVER] takes no value
    f"sqlplus -M 'HTML ON' -restrict 3 scott/{PASSWORD}@orcl",
    f"expdp userid=system/{PASSWORD}@orcl full=y",
    f"htpasswd -bC 12 /etc/nginx/.htpasswd admin {PASSWORD}",  # -C's value after -b written together
    f"htpasswd -b /srv/exp admin {PASSWORD}",  # a word naming a program is one of this one's words
    f"rabbitmqctl -l add_user agent {PASSWORD}",  # -l (--longnames) takes no value
    f"rabbitmqctl.bat -p / authenticate_user agent {PASSWORD}",
    f"C:\\minio\\mc.exe alias set minio http://minio:9000 minioadmin {PASSWORD}",
    f"mcli admin user add minio agent {PASSWORD}",
    f'sqlplus scott/"{PASSWORD}"@orcl',  # the password quoted apart from the user
    f'impdp \\"sys/{PASSWORD}@orcl as sysdba\\" full=y',  # Data Pump's quoting on Unix
    f"xfreerdp /v:host /gateway:g:gw.example.com,u:admin,p:{PASSWORD}",
    f"xfreerdp /v:host /gw:g:gw.example.com,p:{PASSWORD},u:admin",
    f"xfreerdp -v:host -u:admin -p:{PASSWORD}",  # "-" for "/"
    # a container's entrypoint, its words after the image (Docker's registry guide makes the
    # registry's password file so); the image is none of them
    f"docker run --entrypoint htpasswd httpd:2 -Bbn admin {PASSWORD}",
    f"docker run --entrypoint=htpasswd --rm -v /srv/auth:/auth -it registry:2.7.0 -Bbn admin {PASSWORD}",
    f"podman run --entrypoint htpasswd --name pw docker.io/library/httpd:2 -bn admin {PASSWORD}",
    f"docker run --entrypoint sqlplus container-registry.oracle.com/database/instantclient:23 scott/{PASSWORD}@db",
    # found missing by a review: -h takes the host's name; options of podman and compose that take
    # none; the entrypoint quoted after "="; "--" before the image
    f"docker run --rm --entrypoint htpasswd -h pwhost httpd:2 -Bbn admin {PASSWORD}",
    f"podman run --rm --entrypoint htpasswd --no-hosts httpd:2 -Bbn admin {PASSWORD}",
    f"docker run --rm --entrypoint htpasswd --use-api-socket httpd:2 -Bbn admin {PASSWORD}",
    f"docker compose run --entrypoint htpasswd --no-deps registry -Bbn admin {PASSWORD}",
    f"docker-compose run --entrypoint htpasswd -T registry -Bbn admin {PASSWORD}",
    f'docker run --entrypoint="htpasswd" httpd:2 -Bbn admin {PASSWORD}',
    f'docker run --entrypoint=\\"/usr/local/apache2/bin/htpasswd\\" httpd:2 -Bbn admin {PASSWORD}',
    f"docker run --entrypoint htpasswd -- httpd:2 -Bbn admin {PASSWORD}",
    # FreeRDP 1's POSIX options, which FreeRDP 2 still reads; rdesktop's
    f"xfreerdp -u admin -p {PASSWORD} rdp.example.com",
    f"rdesktop -u admin -p {PASSWORD} rdp.example.com",
    f"rdesktop -u admin -p{PASSWORD} rdp.example.com",
]

COMMANDS_GIVING_NONE = [
    "ssh -p 22222222 deploy@host",
    "python server.py -p 80808080",
    "docker run -p 127.0.0.1:8080:80 ghcr.io/example/mcp:1.2.0",
    "mysql -u root -p orders_production",  # mysql asks for the password; the word after is a database
    "curl -u admin https://api.example.com/v1",  # curl asks for it
    "curl -u $API_USER:$API_PASSWORD https://api.example.com/v1",
    'curl -u "${API_USER}:${API_PASSWORD}" https://api.example.com/v1',
    "redis-cli -a ${REDIS_PASSWORD} ping",
    "openssl pkcs12 -in agent.p12 -passin env:AGENT_P12_PASSWORD",
    "openssl pkcs12 -in agent.p12 -passin file:/run/secrets/p12",
    "sshpass -f /run/secrets/ssh_password ssh deploy@host",
    "mongosh mongodb://db -u admin -p --quiet",
    "npx -y @example/server-files -w workspace_production",
    "curl -sS https://api.example.com | sshpass -e ssh deploy@host",
    # a wrapper's options end where the command it runs begins, and a new line ends that command
    "sshpass -e ssh deploy@host mkdir -p backups2024",
    "sshpass -e ssh deploy@host\nmkdir -p backups2024",
    "openssl req -new -keyout agent-key.pem -nodes",  # -k is openssl's, but -keyout no -k joined to a value
    "mysql -p orders_production -e 'SELECT 1'",
    "htpasswd -c /etc/nginx/.htpasswd admin_production",  # htpasswd asks for it without -b
    "htpasswd -b /etc/nginx/.htpasswd admin_production",
    "sqlplus / as sysdba @/opt/scripts/startup_checks.sql",  # the operating system's login
    "sqlplus scott@//db.example.com:1521/orclpdb",  # asks for it
    "rabbitmqctl add_user agent_production",
    "rabbitmqctl set_permissions -p / agent_production '.*' '.*' '.*'",
    "mc alias set minio http://minio:9000 $MINIO_USER $MINIO_PASSWORD",
    "xfreerdp /v:host /u:admin /p:$RDP_PASSWORD /cert:ignore",
    "rdesktop -u admin -p - rdp.example.com",  # read from the standard input
    # a container's entrypoint: the image and -h's host are none of its words
    "docker run --rm --entrypoint htpasswd -h registry-host httpd:2 -Bbn admin_production $HTPASSWD",
    "docker run --rm --entrypoint sqlplus -h dbhost2024 container-registry.oracle.com/database/instantclient:23 -S",
    "ssh -o ProxyCommand=none deploy@host /p:production_value1",  # /p: is FreeRDP's alone
    "git checkout exp origin/Feature2024Xyz",  # exp and imp, Oracle's old tools, are not read: a common word
    "sqlplus @db/Install01Script.sql",  # a script to run, no logon
    "sqlplus -s /nolog @/opt/scripts/Install01Script.sql",
]


def _collect(root: Path, servers: dict) -> Inventory:
    (root / ".mcp.json").write_text(json.dumps({"mcpServers": servers}, indent=2))
    return collect(SourceSpec("manifests", str(root)))


def _places(inventory: Inventory) -> list[str]:
    return sorted(
        c.attributes["display_id"].split(" in ", 1)[1].removesuffix(" (redacted)") for c in inventory.credentials
    )


def _secret_001(inventory: Inventory, catalogs) -> str:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    (finding,) = [f for f in result.findings if f.control_id == "NHI-SECRET-001"]
    return finding.status


@pytest.mark.parametrize("command", COMMANDS_GIVING_A_PASSWORD)
def test_a_password_a_program_s_own_flag_gives_in_a_command_is_found_and_taken_out(
    tmp_path: Path, command: str, catalogs
) -> None:
    found = find_secret_in_command(command)
    assert found is not None and found.value == PASSWORD, "the password, not the user or the flag"
    assert PASSWORD not in redact_text(command)
    inventory = _collect(tmp_path, {"x": {"command": command}})
    assert _places(inventory) == ["x command"]
    assert _secret_001(inventory, catalogs) == "fail"
    (grant,) = inventory.grants
    assert PASSWORD not in grant.attributes["command"] and "[REDACTED]" in grant.attributes["command"]


WEAK_PASSWORDS = [
    ("redis-cli -a foobared ping", "foobared"),  # the example password of Redis's own configuration
    ("sshpass -p raspberry ssh pi@host", "raspberry"),
    ("mysql -uroot -proot orders", "root"),
    ("docker login -u ci -p hunter2 registry.example.com", "hunter2"),
    ("rabbitmqctl add_user agent agent", "agent"),
]
NOT_PASSWORDS = [
    "sshpass -p PASSWORD ssh deploy@host",  # a name standing for the value
    "sshpass -p '<password>' ssh deploy@host",
    "redis-cli -a your_password ping",
    "mysql -uroot -ppassword orders",
    "sshpass -p abc ssh deploy@host",  # too short to tell from anything else
    # found taken for passwords by a review: a port where a word was read as the program, a key file
    # a flag takes instead of a password, a Windows path, passwords public by convention
    "docker run --name mongo -p 27017:27017 -d mongo:7",
    "./wait-for-it.sh -h mongo -p 27017 -t 60 -- node server.js",
    "ssh mongo@db.internal -p 2222",
    "az login --service-principal -u http://azure-cli-2016 -p ~/mycertfile.pem --tenant contoso.example",
    "docker login -u _json_key -p key.json https://gcr.io",
    "curl -E C:\\certs\\client.pem https://api.example.com/v1",
    "keytool -importcert -noprompt -cacerts -storepass changeit -file ca.crt",
    "unzip -P infected sample.zip",
    # found taken for passwords by a third review: placeholders with prose or markdown glued on, a
    # user name of two words in quotes, templates, a command's output, an escaped reference
    "`redis-cli -a PASSWORD`.",
    "(`xfreerdp /v:HOST /u:USER /p:PASSWORD`).",
    "Use redis-cli -a PASSWORD, or the socket.",
    "`htpasswd -b .htpasswd user password`.",
    'rabbitmqctl add_user "svc user" "$RMQ_PASS" && node server.js',
    "htpasswd -b /etc/nginx/.htpasswd {{ user }} {{ pass }}",
    "rabbitmqctl add_user alice `cat /run/secrets/rmq`",
    'bash -c "xfreerdp /v:host /p:\\$RDP_PASS"',
    "sqlplus [username]/[password]@orcl",
    "redis-cli -a [db_pass] ping",
]
REDACTED_WHERE_GIVEN = [
    ("mysqladmin ping -h localhost -uroot -proot", "mysqladmin ping -h localhost -uroot -p[REDACTED]"),
    ("ldapsearch -x -w admin -b dc=example", "ldapsearch -x -w [REDACTED] -b dc=example"),
    ("lftp -u ftpuser,ftppass files.example.com", "lftp -u ftpuser,[REDACTED] files.example.com"),
    ("xfreerdp /v:h /gateway:g:gw,u:user,p:gwpw1", "xfreerdp /v:h /gateway:g:gw,u:user,p:[REDACTED]"),
    ("redis-cli --pass redispw ping", "redis-cli --pass [REDACTED] ping"),
    ("mongosh --password admin1", "mongosh --password [REDACTED]"),
    ('sqlplus -S scott/\\"tig3r\\"@orcl @run.sql', 'sqlplus -S scott/\\"[REDACTED]\\"@orcl @run.sql'),
]


@pytest.mark.parametrize(("command", "password"), WEAK_PASSWORDS)
def test_a_weak_password_a_program_s_flag_gives_is_a_secret_all_the_same(
    tmp_path: Path, command: str, password: str, catalogs
) -> None:
    """A word or a short value given by a program's password flag is that program's password:
    the rule for a value a secret's name is given (eight characters or more, not only letters)
    passed these servers."""
    found = find_secret_in_command(command)
    assert found is not None and found.value == password
    inventory = _collect(tmp_path, {"x": {"command": command}})
    assert _places(inventory) == ["x command"]
    assert _secret_001(inventory, catalogs) == "fail"
    (grant,) = inventory.grants
    assert password not in grant.attributes["command"].replace("-uroot", "").replace("add_user agent", "")


@pytest.mark.parametrize("command", NOT_PASSWORDS)
def test_a_placeholder_or_example_a_program_s_flag_gives_is_no_secret(command: str) -> None:
    found = find_secret_in_command(command)
    assert found is None or found.detector != "secret_parameter", found


@pytest.mark.parametrize(("command", "redacted"), REDACTED_WHERE_GIVEN)
def test_a_short_password_is_taken_out_of_any_text_where_it_was_given(command: str, redacted: str) -> None:
    """Searched for in the whole text, a short value is everywhere (root in -uroot): it was found and
    kept in every text but the server's command."""
    assert find_secret_in_command(command) is not None
    assert redact_text(command) == redacted


@pytest.mark.parametrize("command", COMMANDS_GIVING_NONE)
def test_the_same_flags_of_other_programs_and_references_are_no_secret(tmp_path: Path, command: str) -> None:
    assert find_secret_in_command(command) is None
    assert redact_text(command) == command
    (grant,) = _collect(tmp_path, {"x": {"command": command}}).grants
    assert grant.attributes["command"] == command


def test_a_password_a_program_s_own_flag_gives_in_args_fails_secret_001(tmp_path: Path, catalogs) -> None:
    """``args`` are the program's words: the flag before a value is read as the ``command`` says."""
    servers = {
        "ssh": {"command": "sshpass", "args": ["-p", PASSWORD, "ssh", "deploy@host"]},
        "cache": {"command": "/usr/local/bin/redis-cli", "args": ["-h", "cache", "-a", PASSWORD]},
        "api": {"command": "curl", "args": ["-sS", "-u", f"admin:{PASSWORD}", "https://api.example.com"]},
        "db": {"command": "mysql", "args": ["-uroot", f"-p{PASSWORD}", "orders"]},
        "wrapped": {"command": "bash", "args": ["-c", f"sshpass -p {PASSWORD} ssh deploy@host"]},
        "port": {"command": "ssh", "args": ["-p", "22222222", "deploy@host"]},
        "asks": {"command": "mysql", "args": ["-u", "root", "-p", "orders_production"]},
        "ref": {"command": "redis-cli", "args": ["-a", "${REDIS_PASSWORD}"]},
    }
    servers |= {
        "queue": {"command": "rabbitmqctl", "args": ["add_user", "agent", PASSWORD]},
        "oracle": {"command": "sqlplus", "args": ["-s", f"scott/{PASSWORD}@orcl", "@report.sql"]},
    }
    inventory = _collect(tmp_path, servers)
    assert _places(inventory) == [
        "api args[2]", "cache args[3]", "db args[1]", "oracle args[1]", "queue args[2]", "ssh args[1]",
        "wrapped args[1]",
    ]  # fmt: skip
    assert _secret_001(inventory, catalogs) == "fail"
    assert PASSWORD not in repr(inventory)


@pytest.mark.parametrize(
    "command",
    [
        "serve --password 'Tr0ub4dor battery staple'",
        'serve --password "Tr0ub4dor battery staple" --port 8080',
        "serve --password='Tr0ub4dor battery staple'",
        "bash -c \"serve --passphrase 'Tr0ub4dor battery staple'\"",
        "sshpass -p 'Tr0ub4dor battery staple' ssh deploy@host",
    ],
)
def test_a_quoted_value_of_several_words_is_taken_out_whole(tmp_path: Path, command: str) -> None:
    """Its first word alone was found, and the rest of the passphrase was kept in every output; a
    first word too short to be a secret alone hid the whole passphrase."""
    found = find_secret_in_command(command)
    assert found is not None and found.value == "Tr0ub4dor battery staple"
    short = command.replace("Tr0ub4dor", "P@ss0")
    assert find_secret_in_command(short) is not None and "battery" not in redact_text(short)
    assert "battery" not in redact_text(command) and "Tr0ub4dor" not in redact_text(command)
    inventory = _collect(tmp_path, {"x": {"command": command}})
    assert _places(inventory) == ["x command"]
    (grant,) = inventory.grants
    assert "battery" not in grant.attributes["command"] and "Tr0ub4dor" not in grant.attributes["command"]


@pytest.mark.parametrize(
    ("command", "redacted"),
    [
        ("serve --password 'Tr0ub4dor battery staple'", "serve --password '[REDACTED]'"),
        ('serve --password "Hk3Lm9Pq2Rz7" --port 8080', 'serve --password "[REDACTED]" --port 8080'),
    ],
)
def test_a_quoted_value_is_redacted_inside_its_quotes(command: str, redacted: str) -> None:
    """The opening quote went with the value, and the closing one was left alone."""
    assert redact_text(command) == redacted


def test_a_command_of_many_quoted_secrets_is_cleaned_in_linear_time() -> None:
    """Each quoted value was taken out of the command with a copy of the whole command: 32,000 of
    them (0.9 MB; a manifest may be 16 MB) took 16 s, and twice as many four times as long."""
    command = " ".join(f"--password 'Xk9mQ{number:07d} w'" for number in range(64_000))
    started = time.perf_counter()
    assert "Xk9mQ" not in _without_secret_words(command)
    assert time.perf_counter() - started < 30


def test_redaction_s_first_test_lets_through_every_program_given_a_password_by_position() -> None:
    """None of these forms has a flag or a secret's name for redaction's cheap first test to see, so
    that test names the programs; a program added to the tables must be added there too."""
    from scanner.program_passwords import _ORACLE_PROGRAMS, _PLAIN_WORD_PASSWORDS
    from scanner.redact import _MAYBE

    for program in sorted({*_PLAIN_WORD_PASSWORDS, *_ORACLE_PROGRAMS}):
        assert _MAYBE.search(f"{program} add_user agent Hk3Lm9Pq2Rz7"), program
