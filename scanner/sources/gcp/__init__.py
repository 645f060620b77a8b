"""The ``gcp`` source: Google Cloud projects read with application-default credentials.

``gcp:PROJECT`` reads one project; ``--gcp-projects`` several; ``--gcp-parent organizations/ID``
(or ``folders/ID``) every active project under it."""

from __future__ import annotations

from scanner.errors import SourceReadError, UsageError
from scanner.model import Inventory
from scanner.sources import SourceInfo, SourceSpec, register

# Read-only predefined roles; docs/permissions/gcp.md explains each.
PERMISSIONS = (
    "roles/iam.securityReviewer",
    "roles/browser",
    "roles/serviceusage.apiKeysViewer",
    "roles/policyanalyzer.activityAnalysisViewer",
    "roles/aiplatform.viewer",
)


def collect(spec: SourceSpec) -> Inventory:
    import google.auth.exceptions

    from scanner.console import progress
    from scanner.sources.gcp.clients import default_clients
    from scanner.sources.gcp.collector import GcpScope, collect_gcp

    options = spec.options
    projects = tuple(options.get("gcp_projects") or ()) + ((spec.argument,) if spec.argument else ())
    parent = options.get("gcp_parent")
    if not projects and not parent:
        raise UsageError("gcp: name a project (gcp:PROJECT or --gcp-projects) or --gcp-parent organizations/ID")
    try:
        clients = options.get("gcp_clients") or default_clients()
    except google.auth.exceptions.DefaultCredentialsError as error:
        raise SourceReadError(f"gcp: no usable credentials ({str(error).splitlines()[0][:200]})") from None
    regions = tuple(options.get("gcp_regions") or ("us-central1",))
    scope = GcpScope(projects=projects, parent=parent, regions=regions, shard=options.get("shard"))
    with progress("GCP projects", options.get("quiet", False)) as advance:
        return collect_gcp(clients, scope, advance)


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
