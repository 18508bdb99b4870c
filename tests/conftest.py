"""Shared test set-up: the repository root on the path, fake AWS credentials everywhere."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Never let a test reach a real AWS account.
for _name, _value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                      "AWS_DEFAULT_REGION": "eu-west-1", "PODIUM_STAGE": "demo",
                      "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_SERVICE_NAME": "podium",
                      "POWERTOOLS_METRICS_NAMESPACE": "Podium"}.items():
    os.environ[_name] = _value
os.environ.pop("AWS_PROFILE", None)
