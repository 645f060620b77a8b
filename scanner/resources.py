"""Where the bundled controls, templates and demo fixtures live.

An installed wheel carries them inside the package (``scanner/_bundled``); a source checkout or
an editable install reads them from the repository root, where they are maintained.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def bundled_path(name: str) -> Path:
    installed = _PACKAGE_DIR / "_bundled" / name
    if installed.exists():
        return installed
    return _PACKAGE_DIR.parent / name


def is_bundled(path: Path) -> bool:
    """A file shipped with nhiscan (its controls and catalogs), not one a user supplies."""
    resolved = path.resolve()
    return any(resolved.is_relative_to(root) for root in (_PACKAGE_DIR / "_bundled", bundled_path("controls")))


def controls_dir() -> Path:
    return bundled_path("controls")


def frameworks_dir() -> Path:
    return controls_dir() / "frameworks"


def capabilities_file() -> Path:
    return controls_dir() / "capabilities.yaml"


def templates_dir() -> Path:
    return bundled_path("report_templates")


def demo_inventory_file() -> Path:
    return bundled_path("fixtures/demo") / "inventory.json"


def schema_file(name: str) -> Path:
    return _PACKAGE_DIR / "schemas" / f"{name}.schema.json"
