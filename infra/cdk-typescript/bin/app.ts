// The CDK app: one stack, synthesised without bootstrap resources (the function's code
// comes from S3 by parameter, as in the CloudFormation template, so no assets are
// published) and without CDK metadata, so the template is the pipeline and nothing else.
import { App, BootstraplessSynthesizer } from 'aws-cdk-lib';
import { PipelineStack } from '../lib/pipeline-stack';

const app = new App({ analyticsReporting: false });
new PipelineStack(app, process.env.STACK_NAME ?? 'retail-analytics-dev-pipeline', {
  synthesizer: new BootstraplessSynthesizer(),
  description: 'Retail click-stream pipeline: Kinesis -> Rust Lambda -> DynamoDB, with DLQ, alarms and dashboard (CDK TypeScript)',
});
app.synth();
