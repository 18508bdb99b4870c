"""The CloudFormation of a cluster stage: `chalice package --merge-template` passes cfn-lint and
gives every function the resources the embedded stack creates from the same template."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from scripts.embedded import resources

ROOT = resources.ROOT


def test_the_cluster_stage_packages_and_passes_cfn_lint(tmp_path):
    env = {**os.environ, "AWS_DEFAULT_REGION": "eu-west-1"}
    chalice = Path(sys.executable).parent / "chalice"
    subprocess.run([str(chalice), "package", "--stage", "gent", "--merge-template", "infra/template.json",
                    str(tmp_path)], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    template = json.loads((tmp_path / "sam.json").read_text())
    lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(tmp_path / "sam.json")],
                          capture_output=True, text=True, timeout=300)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    functions = {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    assert {"APIHandler", "SweepExpiredHolds"} <= set(functions)
    wanted = resources.function_environment({name: name for name in template["Resources"]})
    for name, function in functions.items():
        variables = function["Properties"]["Environment"]["Variables"]
        for variable, logical_id in wanted.items():
            assert variables.get(variable) == {"Ref": logical_id}, (name, variable)
        assert variables["PODIUM_STAGE"] == "gent"
