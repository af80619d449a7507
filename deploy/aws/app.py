"""The scoreline stack on AWS as a CDK app: ``npx cdk synth`` / ``npx cdk deploy`` (docs/deploy.md, "On AWS").

Environment-agnostic (no account or region lookups), so ``cdk synth`` needs no credentials or network.
"""

import aws_cdk as cdk
from scoreline_aws.stack import ScorelineStack

app = cdk.App()
ScorelineStack(app, "Scoreline", description="scoreline: store, MLflow, API and Airflow (MWAA) on AWS")
app.synth()
