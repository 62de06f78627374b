#!/usr/bin/env python3
"""The CDK (Python) app: one stack, synthesised without bootstrap resources (the
function's code comes from S3 by parameter, as in the CloudFormation template, so no
assets are published) and without CDK metadata."""
import os

import aws_cdk as cdk

from pipeline.stack import PipelineStack

app = cdk.App(analytics_reporting=False)
PipelineStack(
    app,
    os.environ.get("STACK_NAME", "retail-analytics-dev-pipeline"),
    synthesizer=cdk.BootstraplessSynthesizer(),
    description="Retail click-stream pipeline: Kinesis -> Rust Lambda -> DynamoDB, with DLQ, alarms and dashboard (CDK Python)",
)
app.synth()
