"""Entry points that are not HTTP: Step Functions task handlers, the fan-out's SQS consumers, scheduled work.

Each is a thin Lambda handler around one service function; the function names are the Lambda names
that `infra/template.json`, the ASL substitutions and the embedded stack refer to.
"""
