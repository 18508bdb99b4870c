"""Step Functions workflows: ASL definitions (the same files deploy to AWS and run locally) and their runtime.

The task handlers the definitions invoke are in `chalicelib.tasks`.
"""
