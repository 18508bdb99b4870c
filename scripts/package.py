"""`scripts/package STAGE [OUT]`: the CloudFormation of a cluster stage (see docs/deploy.md)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def stage_parameters(stage: str) -> dict[str, str]:
    """CloudFormation parameters that follow from the stage's `.chalice/config.json` entry."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    if stage not in config.get("stages", {}):
        raise SystemExit(f"no stage {stage!r} in .chalice/config.json")
    env = {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}
    parameters = {"MetricsNamespace": env.get("POWERTOOLS_METRICS_NAMESPACE", "Podium")}
    for key, name in (
        ("api_throttling_rate_limit", "ApiThrottlingRateLimit"),
        ("api_throttling_burst_limit", "ApiThrottlingBurstLimit"),
    ):
        value = config["stages"][stage].get("podium", {}).get(key)
        if value is not None:
            parameters[name] = str(value)
    return parameters


def answer_every_method(template: dict) -> dict:
    """Give every path of the packaged API an ANY method into the same function as its own methods.

    API Gateway answers a method a path does not have as if the path did not exist
    (MISSING_AUTHENTICATION_TOKEN: no gateway response type tells the two apart), so the other methods
    are sent to the app, whose router answers 405 with `Allow` (a problem, as every refusal). Declared
    methods take precedence over ANY. Added here, from the definition chalice generated, so the list
    of paths can never drift from the routes."""
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    for methods in paths.values():
        declared = [
            method
            for method in methods.values()
            if isinstance(method, dict) and "x-amazon-apigateway-integration" in method
        ]
        if not declared or "x-amazon-apigateway-any-method" in methods:
            continue
        any_method = {
            "responses": {"405": {"description": "this path has no such method"}},
            "x-amazon-apigateway-integration": declared[0]["x-amazon-apigateway-integration"],
        }
        parameters = [p for p in declared[0].get("parameters", []) if p.get("in") == "path"]
        if parameters:
            any_method["parameters"] = parameters
        methods["x-amazon-apigateway-any-method"] = any_method
    return template


def package(stage: str, out: Path, lint: bool = True) -> Path:
    out = out.resolve()
    if out.exists():
        shutil.rmtree(out)
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1")}
    subprocess.run(
        [str(BIN / "chalice"), "package", "--stage", stage, "--merge-template", "infra/template.json", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    template = answer_every_method(json.loads((out / "sam.json").read_text()))
    (out / "sam.json").write_text(json.dumps(template, indent=2) + "\n")
    # `aws cloudformation package` uploads each DefinitionUri relative to the template: put the ASL files there.
    for resource in template["Resources"].values():
        uri = resource.get("Properties", {}).get("DefinitionUri")
        if resource.get("Type") == "AWS::Serverless::StateMachine" and isinstance(uri, str):
            target = out / uri
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / uri, target)
    parameters = stage_parameters(stage)
    (out / "parameters.json").write_text(
        json.dumps([{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()], indent=2) + "\n"
    )
    if lint:
        subprocess.run([str(BIN / "cfn-lint"), str(out / "sam.json")], check=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/package", description=__doc__)
    parser.add_argument("stage")
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("--no-lint", action="store_true")
    args = parser.parse_args(argv)
    out = package(args.stage, args.out or ROOT / "build" / args.stage, lint=not args.no_lint)
    overrides = " ".join(f"{k}={v}" for k, v in stage_parameters(args.stage).items())
    print(f"""Packaged stage {args.stage} in {out} (cfn-lint {"skipped" if args.no_lint else "passed"}). Deploy with:
  cd {out}
  aws cloudformation package --template-file sam.json --s3-bucket <artifact bucket> --output-template-file packaged.yaml
  aws cloudformation deploy --template-file packaged.yaml --stack-name podium-{args.stage} \\
      --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --parameter-overrides {overrides}""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
