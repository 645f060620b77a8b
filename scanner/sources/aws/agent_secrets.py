"""Plaintext secrets in a Bedrock agent's configuration: the free text of each version it is judged
on (its instruction and prompt override templates; its action groups' descriptions and inline API
schemas) is scanned whole. A found secret becomes a ``plaintext_secret`` credential the agent holds,
named after the version and field it is in; only a fingerprint of the value is kept. The fields
scanned are listed in the agent's ``texts_scanned``: what a pass rests on.
"""

from __future__ import annotations

from typing import Any

from scanner.model import Agent, Credential
from scanner.secret_detection import find_secrets_in_text, plaintext_credential

Texts = list[tuple[str, str]]  # (field, text)


def version_texts(detail: dict[str, Any]) -> Texts:
    """The instruction and prompt templates of GetAgent's ``agent`` or GetAgentVersion's ``agentVersion``."""
    texts: list[tuple[str, Any]] = [("instruction", detail.get("instruction"))]
    prompts = (detail.get("promptOverrideConfiguration") or {}).get("promptConfigurations") or []
    for index, prompt in enumerate(prompts):
        name = prompt.get("promptType") or index
        field = f"promptOverrideConfiguration.promptConfigurations[{name}].basePromptTemplate"
        texts.append((field, prompt.get("basePromptTemplate")))
    return _texts(texts)


def action_group_texts(group: dict[str, Any]) -> Texts:
    """The description and inline OpenAPI schema of GetAgentActionGroup's ``agentActionGroup``."""
    name = group.get("actionGroupName", group.get("actionGroupId", "action_group"))
    return _texts(
        [
            (f"actionGroups[{name}].description", group.get("description")),
            (f"actionGroups[{name}].apiSchema.payload", (group.get("apiSchema") or {}).get("payload")),
        ]
    )


def _texts(texts: list[tuple[str, Any]]) -> Texts:
    return [(field, text) for field, text in texts if isinstance(text, str) and text]


SECRETS_PER_TEXT = 20


def plaintext_secrets(agent: Agent, version: str, texts: Texts) -> list[Credential]:
    """A credential for each secret found in the texts of one version of the agent; the fields
    scanned are recorded in the agent's ``texts_scanned`` (version -> fields)."""
    agent.attributes.setdefault("texts_scanned", {})[version] = [field for field, _ in texts]
    found = []
    for field, text in texts:
        # one secret fails the agent; a text that holds thousands is named by its first few
        for ordinal, secret in enumerate(find_secrets_in_text(text)[:SECRETS_PER_TEXT], 1):
            place = f"{version}.{field}" + (f"#{ordinal}" if ordinal > 1 else "")
            location = {"version": version, "field": field}
            found.append(plaintext_credential(agent.uid, place, f"version {version} {field}", secret, location))
    return found
