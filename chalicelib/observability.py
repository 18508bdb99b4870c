"""Powertools Logger, Metrics and Tracer, set up once for every handler.

Metrics are emitted with `single_metric` (one EMF record each, flushed at once): no handler needs
`log_metrics` to flush a shared metric set at its end, and a data point counted before a request
fails is not lost.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

logger = Logger()
tracer = Tracer()
metrics = Metrics()

_UNITS = {"Count": MetricUnit.Count, "Milliseconds": MetricUnit.Milliseconds}


def count(name: str, value: float = 1, unit: str = "Count") -> None:
    """Emit one metric data point (EMF) in the stage's namespace."""
    with single_metric(name=name, unit=_UNITS[unit], value=value, namespace=metrics.namespace) as metric:
        metric.add_dimension(name="service", value=logger.service)
