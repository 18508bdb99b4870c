"""Does each function's role in `infra/template.json` allow what the function did in the embedded stack?

The template's policies name resources by logical id (`Ref`, `Fn::GetAtt`, `Fn::Sub`); the record
of `access.py` names them physically (a table name, a secret's ARN, a queue URL). Both are
brought to logical ids, then every recorded (function, action, resource) must be allowed by one
statement of that function's own role.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

_SUB_NAME = re.compile(r"\$\{(\w+)(?:\.Arn)?\}")
_MACHINE = re.compile(r":(stateMachine|execution):\$\{AWS::StackName\}-(\w+)(.*)$")


@dataclass(frozen=True)
class Grant:
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # logical: "MainTable", "MainTable/index/*", "CheckoutStateMachine", "execution:X"

    def allows(self, action: str, resource: str | None) -> bool:
        if not any(fnmatch.fnmatchcase(action, pattern) for pattern in self.actions):
            return False
        if resource is None:  # the call does not name its resource (a task token): the action on any resource
            return True
        return any(fnmatch.fnmatchcase(resource, pattern) for pattern in self.resources)


def logical_resource(value: Any) -> str:
    """A policy's resource expression as a logical name ('*' stays '*')."""
    if value == "*":
        return "*"
    if isinstance(value, dict) and "Ref" in value:
        return value["Ref"]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return value["Fn::GetAtt"][0]
    if isinstance(value, dict) and "Fn::Sub" in value:
        text = value["Fn::Sub"]
        machine = _MACHINE.search(text)
        if machine:
            kind, name, rest = machine.groups()
            return name if kind == "stateMachine" else f"execution:{name}{rest}"
        if ":ses:" in text:
            return "ses:" + text.rsplit(":", 1)[-1]
        if ":logs:" in text:
            return "logs:" + text.split("log-group:", 1)[-1]
        return _SUB_NAME.sub(lambda m: m.group(1), text)
    return str(value)


def grants_by_function(template: dict) -> dict[str, list[Grant]]:
    """Each Lambda function's statements, from the role its `Role` property names."""
    resources = template["Resources"]
    found: dict[str, list[Grant]] = {}
    for name, resource in resources.items():
        role_ref = resource.get("Properties", {}).get("Role")
        if resource.get("Type") not in ("AWS::Serverless::Function", None) or not isinstance(role_ref, dict):
            continue
        role = resources[role_ref["Fn::GetAtt"][0]]
        grants = []
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if statement.get("Effect") != "Allow":
                    continue
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                grants.append(Grant(tuple(actions), tuple(logical_resource(t) for t in targets)))
        found[name] = grants
    return found


def physical_to_logical(refs: dict[str, str]) -> dict[str, str]:
    """What the code passes to AWS (a name, ARN or URL) → the resource's logical id."""
    names = {}
    for key, value in refs.items():
        logical = key[: -len(".Arn")] if key.endswith(".Arn") else key
        names[str(value)] = logical
    return names


def as_logical(action: str, resource: str, names: dict[str, str]) -> str | None:
    if action.startswith("states:SendTask"):
        return None  # a task token names no resource in the call
    if action.startswith("ses:"):
        return "ses:identity/*" if not resource else "ses:" + resource
    if action == "states:DescribeExecution" and ":execution:" in resource:
        machine_arn = resource.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
        return f"execution:{names.get(machine_arn, machine_arn)}:" + resource.rsplit(":", 1)[1]
    return names.get(resource, resource)


def violations(records: list[dict[str, str]], template: dict, refs: dict[str, str]) -> list[str]:
    """Every recorded call the acting function's role does not allow, as readable lines."""
    grants, names = grants_by_function(template), physical_to_logical(refs)
    problems = []
    for record in records:
        function, action = record["function"], record["action"]
        resource = as_logical(action, record["resource"], names)
        if function not in grants:
            problems.append(f"{function} has no role of its own in the template (it did {action} on {resource})")
        elif not any(grant.allows(action, resource) for grant in grants[function]):
            problems.append(f"{function} did {action} on {resource}, which its role does not allow")
    return sorted(set(problems))
