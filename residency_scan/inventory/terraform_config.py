"""The `configuration` part of a Terraform JSON plan: which provider configuration each resource uses, and what
that configuration says about where resources go.

A plan's `configuration` holds expressions, not values (`terraform show -json`, "Configuration Representation",
https://developer.hashicorp.com/terraform/internals/json-format). Only two kinds are read here:

- `{"constant_value": "eu-west-3"}`: the value itself;
- `{"references": ["var.region"]}`: a single input variable. Its value is the plan's `variables` (root module)
  or the expression the parent module passes in its `module_calls` entry (child modules), else the variable's
  default. The JSON does not distinguish `var.region` from `"${var.region}"` or `lower(var.region)`; an
  expression whose only reference is one whole variable is read as that variable, which is what providers are
  written with. Anything else (`data.aws_region.x.name`, `local.region`, `var.regions["eu"]`, a resource
  attribute) is not evaluated, and the setting is *unknown* with that reason: never a guess.

Provider configurations are keyed as Terraform keys them (`jsonconfig/config.go`, `opaqueProviderKey`): `aws`,
`aws.eu` (alias), `module.x:aws` and `module.x:aws.eu` (declared inside module.x). A resource names its key in
`provider_config_key`; providers passed to a module (`providers = {aws = aws.eu}`) already point at the parent's
block. Older Terraform releases left an implicitly inherited default provider keyed in the child module; the
lookup then walks up to the parent, as Terraform itself does for a default (non-aliased) provider.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from residency_scan.inventory.files import ProblemLog
from residency_scan.inventory.suggest import describe_type, printable

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_MODULE_STEP = re.compile(r'module\.([A-Za-z_][A-Za-z0-9_-]*)(?:\[(?:[0-9]+|\*|"(?:[^"\\]|\\.)*")\])?')
_VARIABLE = re.compile(r"var\.([A-Za-z_][A-Za-z0-9_-]*)")
MAX_SETTING = 128  # a region or zone name; anything longer is not one
ModulePath = tuple[str, ...]


def member(path: str, key: str) -> str:
    """The JSON path of `key` under `path`, as a user would write it: `a.b` or `a["residency:sensitivity"]`."""
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(printable(key, 80))}]"


def module_call_path(module_address: str) -> ModulePath | None:
    """The module calls of an instance address, keys dropped: `module.a["x"].module.b[0]` → ('a', 'b').

    The root module is (); None when the address cannot be read.
    """
    if not module_address:
        return ()
    names: list[str] = []
    position = 0
    while True:
        step = _MODULE_STEP.match(module_address, position)
        if step is None:
            return None
        names.append(step.group(1))
        position = step.end()
        if position == len(module_address):
            return tuple(names)
        if module_address[position] != ".":
            return None
        position += 1


@dataclass(frozen=True)
class Setting:
    """A value the configuration gives (a region, a zone), or why it cannot be known before apply.

    `origin` says where the value comes from, in words a Terraform user recognises; `reason` is set exactly when
    `value` is None.
    """

    value: str | None
    origin: str
    reason: str | None = None


def _unknown(origin: str, reason: str) -> Setting:
    return Setting(None, origin, reason)


class PlanConfiguration:
    """Indexes `configuration` (modules, resources, provider configurations) and the plan's `variables`.

    Structural problems (a `module_calls` that is not an object...) are logged with their JSON path; a resource
    or provider configuration that cannot be found makes the setting unknown rather than failing the load.
    """

    def __init__(self, plan: dict[str, Any], log: ProblemLog) -> None:
        self._log = log
        self._modules: dict[ModulePath, dict[str, Any]] = {}
        self._resources: dict[tuple[ModulePath, str, str, str], dict[str, Any]] = {}
        self._providers: dict[str, dict[str, Any]] = {}
        self._variables = self._object(plan.get("variables"), "variables") or {}
        configuration = self._object(plan.get("configuration"), "configuration")
        if configuration is None:
            return
        providers = self._object(configuration.get("provider_config"), "configuration.provider_config") or {}
        for key, provider in providers.items():
            checked = self._object(provider, member("configuration.provider_config", key))
            if checked is not None:
                self._providers[key] = checked
        root = self._object(configuration.get("root_module"), "configuration.root_module")
        if root is not None:
            self._index_modules(root)

    # ------------------------------------------------------------------------------------------ lookups

    def resource(self, module_address: str, mode: str, resource_type: str, name: str) -> dict[str, Any] | None:
        """The configuration block of a resource instance, or None when the plan does not hold it."""
        path = module_call_path(module_address)
        if path is None:
            return None
        return self._resources.get((path, mode, resource_type, name))

    @staticmethod
    def sets(resource: dict[str, Any], attribute: str) -> bool:
        """Whether the resource block writes `attribute` itself (rather than leaving it to the provider)."""
        expressions = resource.get("expressions")
        return isinstance(expressions, dict) and attribute in expressions

    def provider_setting(self, resource: dict[str, Any], attribute: str, *, when_unset: str = "") -> Setting:
        """What the resource's provider configuration sets `attribute` to (e.g. an AWS provider's region).

        `when_unset` is appended to the reason when the provider block does not set the attribute at all.
        """
        key = resource.get("provider_config_key")
        if not isinstance(key, str) or not key:
            return _unknown("the provider configuration",
                            "the plan does not say which provider configuration this resource uses")
        label = f"provider configuration '{printable(key, 80)}'"
        provider = self._provider(key)
        if provider is None:
            return _unknown(label, f"{label} is not in the plan")
        expressions = provider.get("expressions")
        expression = expressions.get(attribute) if isinstance(expressions, dict) else None
        if expression is None:
            return _unknown(label, f"{label} sets no {attribute}{when_unset}")
        module_address = provider.get("module_address")
        path = module_call_path(module_address if isinstance(module_address, str) else "")
        if path is None:
            return _unknown(label, f"{label} is in a module whose address cannot be read")
        return self._evaluate(expression, path, f"{label} {attribute}")

    # ------------------------------------------------------------------------------------------ evaluation

    def _evaluate(self, expression: object, path: ModulePath, what: str) -> Setting:
        """A provider argument's value: a constant, or one input variable followed up the module tree."""
        for _ in range(len(path) + 1):  # each variable hop goes one module up
            if not isinstance(expression, dict):
                return _unknown(what, f"{what} is not an expression the plan format describes")
            if "constant_value" in expression:
                return _text(expression["constant_value"], what)
            variable = _single_variable(expression.get("references"))
            if variable is None:
                return _unknown(what, f"{what} is computed ({_references(expression)}), which residency-scan "
                                      "does not evaluate: write the region as a constant or a variable")
            what = f"{what} from var.{variable}" + (f" of module.{'.module.'.join(path)}" if path else "")
            if not path:
                return self._root_variable(variable, what)
            parent = self._modules.get(path[:-1], {})
            calls = parent.get("module_calls")
            call = calls.get(path[-1]) if isinstance(calls, dict) else None
            passed = call.get("expressions") if isinstance(call, dict) else None
            if isinstance(passed, dict) and variable in passed:
                expression, path = passed[variable], path[:-1]
                continue
            return _text(_default(self._modules.get(path), variable), what)
        return _unknown(what, f"{what} could not be followed")  # unreachable: the path shortens every hop

    def _root_variable(self, name: str, what: str) -> Setting:
        entry = self._variables.get(name)
        if isinstance(entry, dict) and "value" in entry:
            return _text(entry["value"], what)
        return _text(_default(self._modules.get(()), name), what)

    def _provider(self, key: str) -> dict[str, Any] | None:
        found = self._providers.get(key)
        module, separator, local = key.rpartition(":")
        while found is None and separator and "." not in local:  # only a default provider is inherited
            module = module.rpartition(".module.")[0] if ".module." in module else ""
            parent_key = f"{module}:{local}" if module else local
            found = self._providers.get(parent_key)
            separator = ":" if module else ""
        return found

    # ------------------------------------------------------------------------------------------ indexing

    def _index_modules(self, root: dict[str, Any]) -> None:
        pending: list[tuple[ModulePath, dict[str, Any], str]] = [((), root, "configuration.root_module")]
        while pending:
            path, module, where = pending.pop()
            self._modules[path] = module
            self._index_resources(path, module, where)
            calls = self._object(module.get("module_calls"), f"{where}.module_calls") or {}
            for name, call in calls.items():
                call_where = member(f"{where}.module_calls", name)
                checked = self._object(call, call_where)
                child = None if checked is None else self._object(checked.get("module"), f"{call_where}.module")
                if child is not None:
                    pending.append(((*path, name), child, f"{call_where}.module"))

    def _index_resources(self, path: ModulePath, module: dict[str, Any], where: str) -> None:
        resources = module.get("resources")
        if resources is None:
            return
        if not isinstance(resources, list):
            self._wrong_type(f"{where}.resources", resources, "a list")
            return
        for index, block in enumerate(resources):
            if not isinstance(block, dict):
                self._wrong_type(f"{where}.resources[{index}]", block, "an object")
                continue
            mode, kind, name = block.get("mode"), block.get("type"), block.get("name")
            if isinstance(mode, str) and isinstance(kind, str) and isinstance(name, str):
                self._resources[(path, mode, kind, name)] = block

    def _object(self, value: object, where: str) -> dict[str, Any] | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self._wrong_type(where, value, "an object")
            return None
        return value

    def _wrong_type(self, where: str, value: object, expected: str) -> None:
        self._log.add(f"must be {expected}, not {json_type(value)}", line=None, field=where)


def _single_variable(references: object) -> str | None:
    """The variable name when the expression's only reference is one whole input variable."""
    if not isinstance(references, list) or len(references) != 1 or not isinstance(references[0], str):
        return None
    found = _VARIABLE.fullmatch(references[0])
    return found.group(1) if found else None


def _references(expression: dict[str, Any]) -> str:
    references = expression.get("references")
    if not isinstance(references, list) or not references:
        return "no constant value"
    shown = [printable(ref, 60) for ref in references[:3] if isinstance(ref, str)]
    return "from " + ", ".join(shown) + (", …" if len(references) > 3 else "")


def _default(module: dict[str, Any] | None, name: str) -> object:
    variables = module.get("variables") if module else None
    variable = variables.get(name) if isinstance(variables, dict) else None
    return variable.get("default") if isinstance(variable, dict) else None


def _text(value: object, what: str) -> Setting:
    if isinstance(value, str) and value.strip() and len(value) <= MAX_SETTING and value.isprintable():
        return Setting(value.strip(), what)
    if value is None:
        return _unknown(what, f"{what} has no value in the plan")
    return _unknown(what, f"{what} is {json_type(value)}, not a region or zone name")


def json_type(value: object) -> str:
    """`describe_type` in JSON's words: a JSON object is 'an object', null is 'null'."""
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return describe_type(value)
