"""Where a planned resource will be: its region, read from the plan in the order that is most likely true.

A plan's `change.after` omits what Terraform will only know after apply and lists it in `change.after_unknown`
(https://developer.hashicorp.com/terraform/internals/json-format, "Change Representation"). An unknown region is
reported as unknown, with the reason, and is never replaced by a guess. The orders:

- **AWS**: the resource's `region` attribute (per-resource region of provider v6, or the computed bucket region
  of v5) > the region in its ARN (resources that already exist) > the region of the provider configuration the
  resource uses (alias- and module-aware, constant or input variable). If the resource block itself sets `region`
  to a value known after apply, the provider's region is *not* used: the resource overrides it. Resources of
  global services (IAM, CloudFront, Route 53…, see `terraform_kinds`) are located as "global".
- **AzureRM**: the resource's `location`. The provider has no default location, so a resource type without one
  (a subnet, a role assignment) is unknown, with that reason.
- **Google**: the resource's `region`, `location` or `zone` (a zone such as europe-west1-b is given as is: the
  region table maps it to its region and records the zone) > the provider configuration's `region` (or `zone`)
  for a resource type that has that argument. A type with none of the three is global or located by its parent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from residency_scan.inventory.terraform_config import MAX_SETTING, PlanConfiguration, Setting
from residency_scan.inventory.terraform_kinds import is_aws_global

KNOWN_AFTER_APPLY = "known after apply"
_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:(?P<region>[a-z0-9-]*):(?P<account>[0-9]{12})?:")
_AZURE_SUBSCRIPTION = re.compile(r"/subscriptions/(?P<id>[0-9a-fA-F-]{36})/")
_GOOGLE_ATTRIBUTES = ("region", "location", "zone")
_AWS_UNSET = (" (the AWS provider would take it from AWS_REGION or the AWS profile when Terraform runs: set region "
              "in the provider block)")


@dataclass(frozen=True)
class PlannedResource:
    """One managed resource instance that will exist after apply, as the plan describes it.

    `after_unknown` is True when the whole object is unknown (a deferred change), else the per-attribute map.
    """

    where: str  # JSON path of the resource change, for problems
    address: str
    module_address: str
    type: str
    name: str
    cloud: str  # aws | azure | gcp
    actions: tuple[str, ...]
    after: dict[str, Any]
    after_unknown: dict[str, Any] | bool
    deferred: str | None = None

    def unknown(self, attribute: str) -> bool:
        if self.after_unknown is True:
            return True
        return isinstance(self.after_unknown, dict) and self.after_unknown.get(attribute) is True

    def has(self, attribute: str) -> bool:
        """Whether the resource type has `attribute` (the plan lists every attribute of the schema)."""
        return attribute in self.after or self.unknown(attribute)

    def text(self, attribute: str, limit: int = MAX_SETTING) -> str | None:
        """A known, printable, bounded text attribute; None otherwise."""
        if self.unknown(attribute):
            return None
        value = self.after.get(attribute)
        if isinstance(value, str) and value.strip() and len(value) <= limit and value.isprintable():
            return value.strip()
        return None

    def unreadable(self, attribute: str) -> Setting | None:
        """An unknown Setting when the attribute has a value that is not a usable name (too long, control
        characters, not text): a resource that says something unreadable is not located by its provider."""
        value = self.after.get(attribute)
        if value is None or self.unknown(attribute) or self.text(attribute):
            return None
        what = f"the resource's {attribute}"
        return Setting(None, what, f"{what} is not a region, location or zone name")


def locate_planned(resource: PlannedResource, configuration: PlanConfiguration) -> Setting:
    """The region (or zone) the resource will be in, where that comes from, or why it is unknown."""
    block = configuration.resource(resource.module_address, "managed", resource.type, resource.name)
    if resource.cloud == "aws":
        return _aws(resource, block, configuration)
    if resource.cloud == "azure":
        return _azure(resource)
    return _google(resource, block, configuration)


def account_of(resource: PlannedResource) -> str | None:
    """The account the resource belongs to, when the plan knows it: AWS account, Azure subscription, GCP project."""
    if resource.cloud == "aws":
        arn = _ARN.match(resource.text("arn", 2048) or "")
        return arn.group("account") if arn else None
    if resource.cloud == "azure":
        subscription = _AZURE_SUBSCRIPTION.match(resource.text("id", 2048) or "")
        return subscription.group("id").lower() if subscription else None
    return resource.text("project")


def resource_name(resource: PlannedResource) -> str:
    """What the provider calls the resource when the plan knows it (ARN, Azure id, self link), else its address."""
    keys = {"aws": ("arn",), "azure": ("id",), "gcp": ("self_link", "id")}[resource.cloud]
    return next((found for key in keys if (found := resource.text(key, 2048))), resource.address)


def _aws(resource: PlannedResource, block: dict[str, Any] | None, configuration: PlanConfiguration) -> Setting:
    if is_aws_global(resource.type):
        return Setting("global", f"{resource.type}, a global AWS service without regions")
    if (unreadable := resource.unreadable("region")) is not None:
        return unreadable
    region = resource.text("region")
    if region:
        return Setting(region, "the resource's region attribute")
    arn = _ARN.match(resource.text("arn", 2048) or "")
    if arn and arn.group("region"):
        return Setting(arn.group("region"), "the resource's ARN")
    if block is None:
        return _no_block(resource)
    if resource.unknown("region") and configuration.sets(block, "region"):
        return _after_apply("the resource's region attribute")
    return configuration.provider_setting(block, "region", when_unset=_AWS_UNSET)


def _azure(resource: PlannedResource) -> Setting:
    if (unreadable := resource.unreadable("location")) is not None:
        return unreadable
    location = resource.text("location")
    if location:
        return Setting(location, "the resource's location")
    if resource.unknown("location"):
        return _after_apply("the resource's location")
    if "location" in resource.after:
        return Setting(None, "the resource's location", "the resource's location is not set in the plan")
    return Setting(None, resource.type, f"{resource.type} has no location attribute: Azure locates it through the "
                                        "resource it belongs to")


def _google(resource: PlannedResource, block: dict[str, Any] | None, configuration: PlanConfiguration) -> Setting:
    for attribute in _GOOGLE_ATTRIBUTES:
        if (unreadable := resource.unreadable(attribute)) is not None:
            return unreadable
        value = resource.text(attribute)
        if value:
            return Setting(value, f"the resource's {attribute}")
    unknown = [attribute for attribute in _GOOGLE_ATTRIBUTES if resource.unknown(attribute)]
    set_here = block is not None and any(configuration.sets(block, attribute) for attribute in unknown)
    if unknown and (set_here or "location" in unknown or block is None):
        return _after_apply(f"the resource's {unknown[0]}")
    for attribute in ("region", "zone"):
        if resource.has(attribute):
            if block is None:
                return _no_block(resource)
            return configuration.provider_setting(block, attribute)
    return Setting(None, resource.type, f"{resource.type} has no region, location or zone: a global Google Cloud "
                                        "resource, or one located through the resource it belongs to")


def _after_apply(what: str) -> Setting:
    return Setting(None, what, f"{what} is {KNOWN_AFTER_APPLY}")


def _no_block(resource: PlannedResource) -> Setting:
    return Setting(None, "the configuration", "the plan's configuration has no block for this resource, so the "
                                              "provider configuration that places it is unknown")
