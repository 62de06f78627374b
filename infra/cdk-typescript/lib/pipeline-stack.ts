// The retail click-stream pipeline, as infra/cloudformation/pipeline.yaml describes it:
// the same parameters, conditions, logical IDs and outputs (infra/tests compares the
// synthesised template with it). L2 constructs where they map onto one resource;
// CloudFormation conditions (billing mode, notifications) through their L1 children.
import * as fs from 'fs';
import * as path from 'path';
import {
  Annotations, CfnCondition, CfnOutput, CfnParameter, CfnResource, CfnRule, Duration, Fn, Stack, StackProps,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Gives a construct's CloudFormation resource the template's logical ID. */
function named<T extends Construct>(construct: T, logicalId: string): T {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
  return construct;
}

export class PipelineStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const projectName = new CfnParameter(this, 'ProjectName', {
      type: 'String', default: 'retail-analytics', allowedPattern: '^[a-z][a-z0-9-]{1,30}$',
      description: 'Prefix of every resource name (lower case letters, digits, hyphens).',
    });
    const environment = new CfnParameter(this, 'Environment', {
      type: 'String', default: 'dev', allowedValues: ['dev', 'staging', 'prod'],
      description: 'Deployment environment, part of every resource name.',
    });
    const shardCount = new CfnParameter(this, 'KinesisShardCount', {
      type: 'Number', default: 1, minValue: 1, maxValue: 500,
      description: 'Shards of the stream; each takes 1,000 records/s or 1 MiB/s (loadgen plan says how many).',
    });
    const memorySize = new CfnParameter(this, 'LambdaMemorySize', {
      type: 'Number', default: 256, minValue: 128, maxValue: 10240, description: 'Function memory, MB (CPU scales with it).',
    });
    const timeout = new CfnParameter(this, 'LambdaTimeout', {
      type: 'Number', default: 120, minValue: 1, maxValue: 900, description: 'Function timeout, seconds.',
    });
    const architecture = new CfnParameter(this, 'LambdaArchitecture', {
      type: 'String', default: 'arm64', allowedValues: ['arm64', 'x86_64'],
      description: 'Instruction set of the bootstrap binary (build-function.sh builds either).',
    });
    const codeBucket = new CfnParameter(this, 'LambdaCodeS3Bucket', {
      type: 'String', default: 'retail-analytics-artifacts',
      description: "S3 bucket holding the function's bootstrap zip (deploy.sh uploads it).",
    });
    const codeKey = new CfnParameter(this, 'LambdaCodeS3Key', {
      type: 'String', default: 'retail-function/bootstrap.zip', description: 'S3 key of the bootstrap zip.',
    });
    const billingMode = new CfnParameter(this, 'DynamoDBBillingMode', {
      type: 'String', default: 'PAY_PER_REQUEST', allowedValues: ['PAY_PER_REQUEST', 'PROVISIONED'],
      description: 'On-demand, or provisioned with the capacities below.',
    });
    const readCapacity = new CfnParameter(this, 'DynamoDBReadCapacity', {
      type: 'Number', default: 5, minValue: 1, description: 'Read capacity units (PROVISIONED only).',
    });
    const writeCapacity = new CfnParameter(this, 'DynamoDBWriteCapacity', {
      type: 'Number', default: 5, minValue: 1, description: 'Write capacity units (PROVISIONED only).',
    });
    const enableNotifications = new CfnParameter(this, 'EnableNotifications', {
      type: 'String', default: 'false', allowedValues: ['true', 'false'], description: 'Send alarms to an SNS topic.',
    });
    const notificationEmail = new CfnParameter(this, 'NotificationEmail', {
      type: 'String', default: '', allowedPattern: '^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$',
      description: 'E-mail address subscribed to the alarm topic (with EnableNotifications).',
    });

    const enableVpc = new CfnParameter(this, 'EnableVpc', {
      type: 'String', default: 'false', allowedValues: ['true', 'false'],
      description: "Run the function in your VPC's private subnets, reaching AWS only through VPC endpoints (no internet route needed).",
    });
    const vpcId = new CfnParameter(this, 'VpcId', {
      type: 'String', default: '', allowedPattern: '^$|^vpc-[0-9a-f]{8,17}$', description: 'The VPC (with EnableVpc).',
    });
    const vpcSubnetIds = new CfnParameter(this, 'VpcSubnetIds', {
      type: 'CommaDelimitedList', default: '',
      description: "Private subnets for the function's network interfaces and the interface endpoints, two or more Availability Zones (with EnableVpc).",
    });
    const vpcRouteTableIds = new CfnParameter(this, 'VpcRouteTableIds', {
      type: 'CommaDelimitedList', default: '',
      description: 'Route tables of those subnets, for the DynamoDB gateway endpoint (with EnableVpc).',
    });
    const vpcSecurityGroupId = new CfnParameter(this, 'VpcSecurityGroupId', {
      type: 'String', default: '', allowedPattern: '^$|^sg-[0-9a-f]{8,17}$',
      description: "The function's security group; empty creates one that sends only HTTPS (with EnableVpc).",
    });
    const resultsBucket = new CfnParameter(this, 'LoadgenResultsBucket', {
      type: 'String', default: '', allowedPattern: '^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      description: 'Bucket the loadgen workers write their results to (loadgen --out s3://BUCKET/PREFIX/); the stack then creates LoadgenResultsPolicy for that prefix.',
    });
    const resultsPrefix = new CfnParameter(this, 'LoadgenResultsPrefix', {
      type: 'String', default: 'loads/', allowedPattern: "^[A-Za-z0-9!_.*'()/-]*$",
      description: 'Key prefix under LoadgenResultsBucket the workers may write, read and list (with a trailing slash).',
    });
    new CfnRule(this, 'VpcModeNeedsItsNetwork', {
      ruleCondition: Fn.conditionEquals(enableVpc.valueAsString, 'true'),
      assertions: [
        { assert: Fn.conditionNot(Fn.conditionEquals(vpcId.valueAsString, '')), assertDescription: 'EnableVpc=true needs VpcId.' },
        {
          assert: Fn.conditionNot(Fn.conditionEachMemberEquals(vpcSubnetIds.valueAsList, '')),
          assertDescription: 'EnableVpc=true needs VpcSubnetIds (private subnets in two or more Availability Zones).',
        },
        {
          assert: Fn.conditionNot(Fn.conditionEachMemberEquals(vpcRouteTableIds.valueAsList, '')),
          assertDescription: 'EnableVpc=true needs VpcRouteTableIds (for the DynamoDB gateway endpoint).',
        },
      ],
    });

    const isProvisioned = new CfnCondition(this, 'IsProvisioned', {
      expression: Fn.conditionEquals(billingMode.valueAsString, 'PROVISIONED'),
    });
    const notificationsEnabled = new CfnCondition(this, 'NotificationsEnabled', {
      expression: Fn.conditionEquals(enableNotifications.valueAsString, 'true'),
    });
    const subscribeEmail = new CfnCondition(this, 'SubscribeEmail', {
      expression: Fn.conditionAnd(notificationsEnabled, Fn.conditionNot(Fn.conditionEquals(notificationEmail.valueAsString, ''))),
    });

    const vpcEnabled = new CfnCondition(this, 'VpcEnabled', {
      expression: Fn.conditionEquals(enableVpc.valueAsString, 'true'),
    });
    const createVpcSecurityGroup = new CfnCondition(this, 'CreateVpcSecurityGroup', {
      expression: Fn.conditionAnd(Fn.conditionEquals(enableVpc.valueAsString, 'true'), Fn.conditionEquals(vpcSecurityGroupId.valueAsString, '')),
    });

    const resultsInS3 = new CfnCondition(this, 'LoadgenResultsInS3', {
      expression: Fn.conditionNot(Fn.conditionEquals(resultsBucket.valueAsString, '')),
    });

    const prefix = `${projectName.valueAsString}-${environment.valueAsString}`;
    const functionName = `${prefix}-processor`;

    const key = named(new kms.Key(this, 'PipelineKey', {
      description: `${prefix}: stream, table, queue, topic and logs`,
      enableKeyRotation: true,
    }), 'PipelineKey');
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'LogsEncryptTheFunctionLogGroup',
      principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: {
        ArnEquals: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:/aws/lambda/${functionName}`,
        },
      },
    }));
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublishToTheEncryptedTopic',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }));
    named(new kms.Alias(this, 'PipelineKeyAlias', { aliasName: `alias/${prefix}-pipeline`, targetKey: key }), 'PipelineKeyAlias');

    const stream = named(new kinesis.Stream(this, 'EventStream', {
      streamName: `${prefix}-events`,
      shardCount: shardCount.valueAsNumber,
      streamMode: kinesis.StreamMode.PROVISIONED,
      retentionPeriod: Duration.hours(24),
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: key,
    }), 'EventStream');

    const table = named(new dynamodb.Table(this, 'EventsTable', {
      tableName: `${prefix}-events`,
      partitionKey: { name: 'userId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'eventKey', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
    }), 'EventsTable');
    // The billing mode is a parameter: set it, and the capacities only when provisioned.
    const cfnTable = table.node.defaultChild as dynamodb.CfnTable;
    cfnTable.billingMode = billingMode.valueAsString;
    cfnTable.provisionedThroughput = Fn.conditionIf(isProvisioned.logicalId, {
      ReadCapacityUnits: readCapacity.valueAsNumber,
      WriteCapacityUnits: writeCapacity.valueAsNumber,
    }, Fn.ref('AWS::NoValue'));
    Annotations.of(cfnTable).acknowledgeWarning('CloudFormation-Validate::E3639',
      'The capacities are set by the IsProvisioned condition exactly when the billing mode is PROVISIONED.');

    const queue = named(new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `${prefix}-dlq`,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      dataKeyReuse: Duration.seconds(300),
    }), 'DeadLetterQueue');

    const logGroup = named(new logs.LogGroup(this, 'FunctionLogGroup', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: logs.RetentionDays.ONE_MONTH,
      encryptionKey: key,
    }), 'FunctionLogGroup');

    // Least privilege, written out: the function's grants are exactly these statements.
    const role = named(new iam.Role(this, 'FunctionRole', {
      roleName: functionName,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        pipeline: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'ReadTheStream',
              actions: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
              resources: [stream.streamArn],
            }),
            new iam.PolicyStatement({ sid: 'WriteTheTable', actions: ['dynamodb:BatchWriteItem'], resources: [table.tableArn] }),
            new iam.PolicyStatement({ sid: 'DeadLetter', actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resources: [queue.queueArn] }),
            new iam.PolicyStatement({ sid: 'UseThePipelineKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }),
            new iam.PolicyStatement({ sid: 'WriteItsLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
            new iam.PolicyStatement({ sid: 'Tracing', actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], resources: ['*'] }),
          ],
        }),
      },
    }), 'FunctionRole');
    // In a VPC, Lambda manages the function's network interfaces with its role (the actions
    // of AWSLambdaVPCAccessExecutionRole without its logs:*): two statements under VpcEnabled.
    const cfnRole = role.node.defaultChild as iam.CfnRole;
    const onlyInVpc = (statement: object) => Fn.conditionIf(vpcEnabled.logicalId, statement, Fn.ref('AWS::NoValue'));
    cfnRole.addPropertyOverride('Policies.0.PolicyDocument.Statement.6', onlyInVpc({
      Sid: 'DescribeTheVpc', Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*',
    }));
    cfnRole.addPropertyOverride('Policies.0.PolicyDocument.Statement.7', onlyInVpc({
      Sid: 'ManageNetworkInterfaces',
      Effect: 'Allow',
      Action: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
      Resource: `arn:${this.partition}:ec2:${this.region}:${this.account}:*/*`,
    }));

    const codeBucketRef = s3.Bucket.fromBucketName(this, 'CodeBucket', codeBucket.valueAsString);
    // deploy.sh uploads every build under a key named by its digest, so new code is a new key.
    Annotations.of(codeBucketRef).acknowledgeWarning('@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified',
      'Each build has its own S3 key (deploy.sh names it by the zip digest).');
    const fn = named(new lambda.Function(this, 'ProcessorFunction', {
      functionName,
      description: 'Scores and stores retail click-stream events from Kinesis into DynamoDB',
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: 'bootstrap',
      architecture: lambda.Architecture.custom(architecture.valueAsString),
      code: lambda.Code.fromBucket(codeBucketRef, codeKey.valueAsString),
      memorySize: memorySize.valueAsNumber,
      timeout: Duration.seconds(timeout.valueAsNumber),
      // The role's policy is complete: grants made by constructs must not widen it.
      role: role.withoutPolicyUpdates(),
      environmentEncryption: key,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        TABLE_NAME: table.tableName,
        DLQ_URL: queue.queueUrl,
        RETRY_BUDGET_MS: '20000',
        WRITE_CONCURRENCY: '8',
        MAX_ATTEMPTS: '10',
        ITEM_TTL_DAYS: '7',
      },
    }), 'ProcessorFunction');
    // The Role attribute already orders the function after its role (cfn-lint W3005).
    (fn.node.defaultChild as CfnResource).addDeletionOverride('DependsOn');
    (fn.node.defaultChild as CfnResource).addMetadata('checkov', {
      skip: [
        { id: 'CKV_AWS_116', comment: "Failed records go to the SQS queue through the event source mapping's on-failure destination; a function DLQ applies to asynchronous invocations only, which a stream consumer never gets." },
        { id: 'CKV_AWS_117', comment: 'VPC mode is a parameter (EnableVpc, off by default); off, the function reaches only Kinesis, DynamoDB, SQS and CloudWatch and a VPC would add endpoint cost and cold-start latency.' },
        { id: 'CKV_AWS_115', comment: "Concurrency is bounded by the event source mapping (shards x parallelization factor); a reserved limit below that would throttle the stream's own consumer." },
      ],
    });

    // VPC mode (EnableVpc): the function in private subnets, AWS reached through endpoints.
    const functionSg = new ec2.CfnSecurityGroup(this, 'FunctionSecurityGroup', {
      groupName: `${prefix}-processor`,
      groupDescription: 'The pipeline function; sends HTTPS only (to the VPC endpoints), accepts nothing',
      vpcId: vpcId.valueAsString,
      securityGroupEgress: [{
        ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0',
        description: 'HTTPS to the VPC endpoints (the subnets have no other route out)',
      }],
    });
    functionSg.cfnOptions.condition = createVpcSecurityGroup;
    const functionSgId = Fn.conditionIf(createVpcSecurityGroup.logicalId, functionSg.ref, vpcSecurityGroupId.valueAsString).toString();
    (fn.node.defaultChild as CfnResource).addPropertyOverride('VpcConfig', Fn.conditionIf(vpcEnabled.logicalId, {
      SubnetIds: vpcSubnetIds.valueAsList,
      SecurityGroupIds: [functionSgId],
    }, Fn.ref('AWS::NoValue')));
    const endpointSg = new ec2.CfnSecurityGroup(this, 'EndpointSecurityGroup', {
      groupName: `${prefix}-endpoints`,
      groupDescription: 'The pipeline interface endpoints; HTTPS from the function only',
      vpcId: vpcId.valueAsString,
      securityGroupIngress: [{
        ipProtocol: 'tcp', fromPort: 443, toPort: 443, sourceSecurityGroupId: functionSgId, description: 'HTTPS from the pipeline function',
      }],
      securityGroupEgress: [{ ipProtocol: '-1', cidrIp: '127.0.0.1/32', description: 'Nothing (an endpoint only answers)' }],
    });
    endpointSg.cfnOptions.condition = vpcEnabled;
    const emptyUntilVpcMode = 'The VPC parameters are empty by default; the VpcModeNeedsItsNetwork rule refuses EnableVpc=true without them.';
    for (const c of [fn.node.defaultChild as CfnResource, endpointSg]) {
      for (const check of ['CloudFormation-Validate::F3031', 'CloudFormation-Validate::E1150']) {
        Annotations.of(c).acknowledgeWarning(check, emptyUntilVpcMode);
      }
    }
    // Each endpoint's policy names the one pipeline resource it serves.
    const endpoint = (id: string, service: string, sid: string, actions: string[], resource: string, gateway = false) => {
      const e = new ec2.CfnVPCEndpoint(this, id, {
        vpcEndpointType: gateway ? 'Gateway' : 'Interface',
        serviceName: `com.amazonaws.${this.region}.${service}`,
        vpcId: vpcId.valueAsString,
        ...(gateway
          ? { routeTableIds: vpcRouteTableIds.valueAsList }
          : { subnetIds: vpcSubnetIds.valueAsList, securityGroupIds: [endpointSg.ref], privateDnsEnabled: true }),
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Sid: sid, Effect: 'Allow', Principal: '*', Action: actions, Resource: resource }],
        },
      });
      e.cfnOptions.condition = vpcEnabled;
    };
    endpoint('DynamoDBEndpoint', 'dynamodb', 'WriteTheTable', ['dynamodb:BatchWriteItem', 'dynamodb:GetItem'], table.tableArn, true);
    endpoint('KinesisEndpoint', 'kinesis-streams', 'UseTheStream',
      ['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:PutRecords', 'kinesis:GetShardIterator', 'kinesis:GetRecords'], stream.streamArn);
    endpoint('SqsEndpoint', 'sqs', 'DeadLetter', ['sqs:SendMessage', 'sqs:GetQueueAttributes'], queue.queueArn);
    endpoint('LogsEndpoint', 'logs', 'WriteItsLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], logGroup.logGroupArn);
    endpoint('KmsEndpoint', 'kms', 'UseThePipelineKey', ['kms:Decrypt', 'kms:GenerateDataKey'], key.keyArn);

    named(new lambda.EventSourceMapping(this, 'StreamEventSourceMapping', {
      target: fn,
      eventSourceArn: stream.streamArn,
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(5),
      parallelizationFactor: 1,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 10,
      maxRecordAge: Duration.seconds(3600),
      onFailure: new SqsDlq(queue),
    }), 'StreamEventSourceMapping');

    const topic = new sns.CfnTopic(this, 'AlarmTopic', {
      topicName: `${prefix}-alarms`,
      kmsMasterKeyId: key.keyId,
    });
    topic.cfnOptions.condition = notificationsEnabled;
    const subscription = new sns.CfnSubscription(this, 'AlarmEmailSubscription', {
      topicArn: topic.ref,
      protocol: 'email',
      endpoint: notificationEmail.valueAsString,
    });
    subscription.cfnOptions.condition = subscribeEmail;

    const alarm = (id: string, name: string, description: string, metric: cloudwatch.Metric, threshold: number, evaluationPeriods = 1) => {
      const a = named(new cloudwatch.Alarm(this, id, {
        alarmName: `${prefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }), id);
      (a.node.defaultChild as cloudwatch.CfnAlarm).alarmActions =
        Fn.conditionIf(notificationsEnabled.logicalId, [topic.ref], Fn.ref('AWS::NoValue')) as unknown as string[];
    };
    const byFunction = { FunctionName: fn.functionName };
    const minute = Duration.seconds(60);
    alarm('FailedEventsAlarm', 'failed-events', 'More than 10 events dead-lettered in a minute (bad JSON, failed validation, rejected writes).',
      new cloudwatch.Metric({ namespace: 'RetailEventProcessing', metricName: 'FailedEvents', dimensionsMap: byFunction, statistic: 'Sum', period: minute }), 10);
    alarm('FunctionErrorsAlarm', 'function-errors', 'Invocations failed as a whole (the batch is retried, then bisected).',
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName: 'Errors', dimensionsMap: byFunction, statistic: 'Sum', period: minute }), 0);
    alarm('FunctionThrottlesAlarm', 'function-throttles', 'Invocations throttled (account or reserved concurrency reached).',
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName: 'Throttles', dimensionsMap: byFunction, statistic: 'Sum', period: minute }), 0);
    alarm('IteratorAgeAlarm', 'iterator-age', 'The consumer is more than a minute behind the stream for five minutes.',
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName: 'IteratorAge', dimensionsMap: byFunction, statistic: 'Maximum', period: minute }), 60000, 5);
    alarm('DeadLetterQueueDepthAlarm', 'dlq-depth', 'Messages are waiting in the dead-letter queue.',
      new cloudwatch.Metric({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensionsMap: { QueueName: queue.queueName }, statistic: 'Maximum', period: Duration.seconds(300) }), 0);

    const dashboardBody = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'dashboards', 'pipeline.json'), 'utf8');
    const dashboard = new cloudwatch.CfnDashboard(this, 'PipelineDashboard', {
      dashboardName: `${prefix}-pipeline`,
      dashboardBody: Fn.sub(dashboardBody, {
        Region: this.region,
        StreamName: stream.streamName,
        FunctionName: fn.functionName,
        TableName: table.tableName,
        QueueName: queue.queueName,
      }),
    });

    // loadgen workers (infra/k8s): what `loadgen --stack` calls on the pipeline, and nothing
    // else; attached to the role the workers' ServiceAccount assumes (IRSA).
    const workerPolicy = named(new iam.ManagedPolicy(this, 'LoadgenWorkerPolicy', {
      managedPolicyName: `${prefix}-loadgen-worker`,
      description: 'loadgen workers driving this pipeline (put records, verify tracer items, read its metrics, write results)',
      statements: [
        new iam.PolicyStatement({
          sid: 'ProduceToTheStream',
          actions: ['kinesis:PutRecords', 'kinesis:ListShards', 'kinesis:DescribeStreamSummary'],
          resources: [stream.streamArn],
        }),
        new iam.PolicyStatement({ sid: 'VerifyTracerItems', actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'], resources: [table.tableArn] }),
        new iam.PolicyStatement({ sid: 'CountDeadLetters', actions: ['sqs:GetQueueAttributes'], resources: [queue.queueArn] }),
        new iam.PolicyStatement({ sid: 'ReadTheStackOutputs', actions: ['cloudformation:DescribeStacks'], resources: [this.stackId] }),
        // GetMetricData takes no resource (the Service Authorization Reference lists none).
        new iam.PolicyStatement({ sid: 'ReadThePipelineMetrics', actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'UseThePipelineKey',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': [`kinesis.${this.region}.amazonaws.com`, `dynamodb.${this.region}.amazonaws.com`] } },
        }),
      ],
    }), 'LoadgenWorkerPolicy');
    // Where the workers write their results: only with a results bucket, only its prefix.
    const resultsPolicy = named(new iam.ManagedPolicy(this, 'LoadgenResultsPolicy', {
      managedPolicyName: `${prefix}-loadgen-results`,
      description: 'loadgen workers writing, reading and listing their results under one S3 prefix',
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteAndReadTheResults',
          actions: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'],
          resources: [`arn:${this.partition}:s3:::${resultsBucket.valueAsString}/${resultsPrefix.valueAsString}*`],
        }),
        new iam.PolicyStatement({
          sid: 'ListTheResults',
          actions: ['s3:ListBucket'],
          resources: [`arn:${this.partition}:s3:::${resultsBucket.valueAsString}`],
          conditions: { StringLike: { 's3:prefix': `${resultsPrefix.valueAsString}*` } },
        }),
      ],
    }), 'LoadgenResultsPolicy');
    (resultsPolicy.node.defaultChild as CfnResource).cfnOptions.condition = resultsInS3;

    new CfnOutput(this, 'KinesisStreamName', { value: stream.streamName, description: 'Stream to send events to (loadgen --stream).' });
    new CfnOutput(this, 'KinesisStreamArn', { value: stream.streamArn });
    new CfnOutput(this, 'LambdaFunctionName', { value: fn.functionName });
    new CfnOutput(this, 'LambdaFunctionArn', { value: fn.functionArn });
    new CfnOutput(this, 'DynamoDBTableName', { value: table.tableName, description: 'Table the function writes (loadgen --table).' });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: queue.queueUrl, description: 'Dead-letter queue (loadgen --dlq-url).' });
    new CfnOutput(this, 'DeadLetterQueueArn', { value: queue.queueArn });
    new CfnOutput(this, 'KmsKeyArn', { value: key.keyArn });
    new CfnOutput(this, 'DashboardName', { value: dashboard.ref });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${dashboard.ref}`,
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: topic.ref, condition: notificationsEnabled });
    new CfnOutput(this, 'LoadgenWorkerPolicyArn', {
      value: workerPolicy.managedPolicyArn, description: "Managed policy for the loadgen workers' role (infra/k8s, IRSA).",
    });
    new CfnOutput(this, 'LoadgenResultsPolicyArn', {
      value: resultsPolicy.managedPolicyArn, condition: resultsInS3,
      description: "Managed policy for the loadgen workers' results prefix (attach it too).",
    });
  }
}
