"""Step Functions workflows: ASL definitions (the same files deploy to AWS and run locally) and their tasks."""
