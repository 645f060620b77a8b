"""The ``gcp`` source: Google Cloud projects read with application-default credentials.

``gcp:PROJECT`` reads one project; ``--gcp-projects`` several; ``--gcp-parent organizations/ID``
(or ``folders/ID``) every active project below it, through nested folders, from Cloud Asset
Inventory (project by project when the caller may not use it)."""

from __future__ import annotations

from scanner.errors import SourceReadError, UsageError
from scanner.model import Inventory
from scanner.sources import SourceInfo, SourceSpec, register
from scanner.sources.gcp.calls import PERMISSIONS


def _first_line(error: Exception) -> str:
    return (str(error).splitlines() or [""])[0][:200]


def collect(spec: SourceSpec) -> Inventory:
    import google.auth.exceptions

    from scanner.console import progress
    from scanner.sources.gcp.clients import default_clients
    from scanner.sources.gcp.collector import GcpScope, collect_gcp
    from scanner.sources.gcp.projects import AGENT_ENGINE_REGIONS

    options = spec.options
    projects = tuple(options.get("gcp_projects") or ()) + ((spec.argument,) if spec.argument else ())
    parent = options.get("gcp_parent")
    if not projects and not parent:
        raise UsageError("gcp: name a project (gcp:PROJECT or --gcp-projects) or --gcp-parent organizations/ID")
    if parent and not parent.startswith(("organizations/", "folders/")):
        raise UsageError(f"gcp: --gcp-parent must be organizations/ID or folders/ID, not {parent!r}")
    try:
        clients = options.get("gcp_clients") or default_clients()
        regions = tuple(options.get("gcp_regions") or AGENT_ENGINE_REGIONS)
        scope = GcpScope(projects=projects, parent=parent, regions=regions, shard=options.get("shard"))
        with progress("GCP projects", options.get("quiet", False)) as advance:
            return collect_gcp(clients, scope, advance)
    except google.auth.exceptions.RefreshError as error:
        raise SourceReadError(
            f"gcp: the credentials were refused ({_first_line(error)}); "
            "sign in again: gcloud auth application-default login"
        ) from None
    except google.auth.exceptions.TransportError as error:
        raise SourceReadError(f"gcp: the token endpoint could not be reached ({_first_line(error)})") from None
    except google.auth.exceptions.DefaultCredentialsError as error:
        raise SourceReadError(f"gcp: no usable credentials ({_first_line(error)})") from None


register(
    SourceInfo(
        name="gcp",
        summary="Google Cloud projects (application-default credentials; PROJECT optional)",
        collect=collect,
        permissions=PERMISSIONS,
        argument="PROJECT",
        shows_progress=True,
        divides_accounts=True,
    )
)
