"""The names a deployed topology goes by on each platform, derived from the topology's name.

The application id stays the topology's name, as for any run (it is the consumer group and the
prefix of the internal topics, reference §7.1); everything the platforms name (Kubernetes
objects, compose services and volumes, systemd units, the image) gets a DNS-1123 label made from
it: lowercase letters, digits and hyphens, starting and ending with a letter or digit."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# A StatefulSet's pods add "-<ordinal>" and their controller-revision-hash label adds ~11 more
# characters to the set's name, under Kubernetes' 63: 40 leaves room for both.
MAX_NAME = 40


def dns_label(text: str, limit: int = MAX_NAME) -> str:
    """``text`` as a DNS-1123 label of at most ``limit`` characters ("topology" if nothing of
    it is left)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    label = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    label = label[:limit].rstrip("-")
    return label or "topology"


@dataclass(frozen=True)
class DeployNames:
    application_id: str  # the consumer group and topic prefix: the topology's name
    name: str  # the DNS-1123 label every platform object is named after

    @classmethod
    def of(cls, topology_name: str) -> DeployNames:
        return cls(topology_name, dns_label(topology_name))

    @property
    def secret(self) -> str:
        return f"{self.name}-kafka"

    @property
    def unit(self) -> str:
        """The systemd template unit's name; ``<unit>@N.service`` is instance N."""
        return f"topology-studio-{self.name}@.service"

    def instance_unit(self, number: int) -> str:
        return f"topology-studio-{self.name}@{number}.service"

    def image(self, version: str) -> str:
        return f"{self.name}:{version}"

    def service(self, number: int) -> str:
        """A compose service (one per instance)."""
        return f"{self.name}-{number}"
