"""The retail click-stream pipeline, as infra/cloudformation/pipeline.yaml describes it:
the same parameters, conditions, logical IDs and outputs (infra/tests compares the
synthesised template with it). L2 constructs where they map onto one resource;
CloudFormation conditions (billing mode, notifications) through their L1 children."""
from pathlib import Path

from aws_cdk import (
    Annotations,
    CfnCondition,
    CfnOutput,
    CfnParameter,
    CfnResource,
    CfnRule,
    CfnRuleAssertion,
    Duration,
    Fn,
    Stack,
)
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "pipeline.json"

FUNCTION_SKIPS = [
    {
        "id": "CKV_AWS_116",
        "comment": "Failed records go to the SQS queue through the event source mapping's on-failure destination; "
        "a function DLQ applies to asynchronous invocations only, which a stream consumer never gets.",
    },
    {
        "id": "CKV_AWS_117",
        "comment": "VPC mode is a parameter (EnableVpc, off by default); off, the function reaches only Kinesis, "
        "DynamoDB, SQS and CloudWatch and a VPC would add endpoint cost and cold-start latency.",
    },
    {
        "id": "CKV_AWS_115",
        "comment": "Concurrency is bounded by the event source mapping (shards x parallelization factor); a reserved "
        "limit below that would throttle the stream's own consumer.",
    },
]


def named(construct, logical_id: str):
    """Gives a construct's CloudFormation resource the template's logical ID."""
    construct.node.default_child.override_logical_id(logical_id)
    return construct


class PipelineStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        project_name = CfnParameter(
            self, "ProjectName", type="String", default="retail-analytics", allowed_pattern="^[a-z][a-z0-9-]{1,30}$",
            description="Prefix of every resource name (lower case letters, digits, hyphens).",
        )
        environment = CfnParameter(
            self, "Environment", type="String", default="dev", allowed_values=["dev", "staging", "prod"],
            description="Deployment environment, part of every resource name.",
        )
        shard_count = CfnParameter(
            self, "KinesisShardCount", type="Number", default=1, min_value=1, max_value=500,
            description="Shards of the stream; each takes 1,000 records/s or 1 MiB/s (loadgen plan says how many).",
        )
        memory_size = CfnParameter(
            self, "LambdaMemorySize", type="Number", default=256, min_value=128, max_value=10240,
            description="Function memory, MB (CPU scales with it).",
        )
        timeout = CfnParameter(
            self, "LambdaTimeout", type="Number", default=120, min_value=1, max_value=900,
            description="Function timeout, seconds.",
        )
        architecture = CfnParameter(
            self, "LambdaArchitecture", type="String", default="arm64", allowed_values=["arm64", "x86_64"],
            description="Instruction set of the bootstrap binary (build-function.sh builds either).",
        )
        code_bucket = CfnParameter(
            self, "LambdaCodeS3Bucket", type="String", default="retail-analytics-artifacts",
            description="S3 bucket holding the function's bootstrap zip (deploy.sh uploads it).",
        )
        code_key = CfnParameter(
            self, "LambdaCodeS3Key", type="String", default="retail-function/bootstrap.zip",
            description="S3 key of the bootstrap zip.",
        )
        billing_mode = CfnParameter(
            self, "DynamoDBBillingMode", type="String", default="PAY_PER_REQUEST",
            allowed_values=["PAY_PER_REQUEST", "PROVISIONED"],
            description="On-demand, or provisioned with the capacities below.",
        )
        read_capacity = CfnParameter(
            self, "DynamoDBReadCapacity", type="Number", default=5, min_value=1,
            description="Read capacity units (PROVISIONED only).",
        )
        write_capacity = CfnParameter(
            self, "DynamoDBWriteCapacity", type="Number", default=5, min_value=1,
            description="Write capacity units (PROVISIONED only).",
        )
        enable_notifications = CfnParameter(
            self, "EnableNotifications", type="String", default="false", allowed_values=["true", "false"],
            description="Send alarms to an SNS topic.",
        )
        notification_email = CfnParameter(
            self, "NotificationEmail", type="String", default="", allowed_pattern="^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$",
            description="E-mail address subscribed to the alarm topic (with EnableNotifications).",
        )

        enable_vpc = CfnParameter(
            self, "EnableVpc", type="String", default="false", allowed_values=["true", "false"],
            description="Run the function in your VPC's private subnets, reaching AWS only through VPC endpoints "
            "(no internet route needed).",
        )
        vpc_id = CfnParameter(
            self, "VpcId", type="String", default="", allowed_pattern="^$|^vpc-[0-9a-f]{8,17}$",
            description="The VPC (with EnableVpc).",
        )
        vpc_subnet_ids = CfnParameter(
            self, "VpcSubnetIds", type="CommaDelimitedList", default="",
            description="Private subnets for the function's network interfaces and the interface endpoints, two or "
            "more Availability Zones (with EnableVpc).",
        )
        vpc_route_table_ids = CfnParameter(
            self, "VpcRouteTableIds", type="CommaDelimitedList", default="",
            description="Route tables of those subnets, for the DynamoDB gateway endpoint (with EnableVpc).",
        )
        vpc_security_group_id = CfnParameter(
            self, "VpcSecurityGroupId", type="String", default="", allowed_pattern="^$|^sg-[0-9a-f]{8,17}$",
            description="The function's security group; empty creates one that sends only HTTPS (with EnableVpc).",
        )
        results_bucket = CfnParameter(
            self, "LoadgenResultsBucket", type="String", default="", allowed_pattern="^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            description="Bucket the loadgen workers write their results to (loadgen --out s3://BUCKET/PREFIX/); "
            "the stack then creates LoadgenResultsPolicy for that prefix.",
        )
        results_prefix = CfnParameter(
            self, "LoadgenResultsPrefix", type="String", default="loads/", allowed_pattern="^[A-Za-z0-9!_.*'()/-]*$",
            description="Key prefix under LoadgenResultsBucket the workers may write, read and list (with a trailing slash).",
        )
        CfnRule(
            self, "VpcModeNeedsItsNetwork",
            rule_condition=Fn.condition_equals(enable_vpc.value_as_string, "true"),
            assertions=[
                CfnRuleAssertion(
                    assert_=Fn.condition_not(Fn.condition_equals(vpc_id.value_as_string, "")),
                    assert_description="EnableVpc=true needs VpcId.",
                ),
                CfnRuleAssertion(
                    assert_=Fn.condition_not(Fn.condition_each_member_equals(vpc_subnet_ids.value_as_list, "")),
                    assert_description="EnableVpc=true needs VpcSubnetIds (private subnets in two or more Availability Zones).",
                ),
                CfnRuleAssertion(
                    assert_=Fn.condition_not(Fn.condition_each_member_equals(vpc_route_table_ids.value_as_list, "")),
                    assert_description="EnableVpc=true needs VpcRouteTableIds (for the DynamoDB gateway endpoint).",
                ),
            ],
        )

        is_provisioned = CfnCondition(
            self, "IsProvisioned", expression=Fn.condition_equals(billing_mode.value_as_string, "PROVISIONED")
        )
        notifications_enabled = CfnCondition(
            self, "NotificationsEnabled", expression=Fn.condition_equals(enable_notifications.value_as_string, "true")
        )
        subscribe_email = CfnCondition(
            self,
            "SubscribeEmail",
            expression=Fn.condition_and(
                notifications_enabled, Fn.condition_not(Fn.condition_equals(notification_email.value_as_string, ""))
            ),
        )

        vpc_enabled = CfnCondition(self, "VpcEnabled", expression=Fn.condition_equals(enable_vpc.value_as_string, "true"))
        create_vpc_security_group = CfnCondition(
            self,
            "CreateVpcSecurityGroup",
            expression=Fn.condition_and(
                Fn.condition_equals(enable_vpc.value_as_string, "true"),
                Fn.condition_equals(vpc_security_group_id.value_as_string, ""),
            ),
        )

        results_in_s3 = CfnCondition(
            self, "LoadgenResultsInS3", expression=Fn.condition_not(Fn.condition_equals(results_bucket.value_as_string, ""))
        )

        prefix = f"{project_name.value_as_string}-{environment.value_as_string}"
        function_name = f"{prefix}-processor"

        key = named(
            kms.Key(self, "PipelineKey", description=f"{prefix}: stream, table, queue, topic and logs", enable_key_rotation=True),
            "PipelineKey",
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="LogsEncryptTheFunctionLogGroup",
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
                actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                resources=["*"],
                conditions={
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:/aws/lambda/{function_name}"
                    }
                },
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToTheEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
        named(kms.Alias(self, "PipelineKeyAlias", alias_name=f"alias/{prefix}-pipeline", target_key=key), "PipelineKeyAlias")

        stream = named(
            kinesis.Stream(
                self, "EventStream",
                stream_name=f"{prefix}-events",
                shard_count=shard_count.value_as_number,
                stream_mode=kinesis.StreamMode.PROVISIONED,
                retention_period=Duration.hours(24),
                encryption=kinesis.StreamEncryption.KMS,
                encryption_key=key,
            ),
            "EventStream",
        )

        table = named(
            dynamodb.Table(
                self, "EventsTable",
                table_name=f"{prefix}-events",
                partition_key=dynamodb.Attribute(name="userId", type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name="eventKey", type=dynamodb.AttributeType.STRING),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                time_to_live_attribute="expiresAt",
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
                encryption_key=key,
            ),
            "EventsTable",
        )
        # The billing mode is a parameter: set it, and the capacities only when provisioned.
        cfn_table = table.node.default_child
        cfn_table.billing_mode = billing_mode.value_as_string
        cfn_table.provisioned_throughput = Fn.condition_if(
            is_provisioned.logical_id,
            {"ReadCapacityUnits": read_capacity.value_as_number, "WriteCapacityUnits": write_capacity.value_as_number},
            Fn.ref("AWS::NoValue"),
        )

        queue = named(
            sqs.Queue(
                self, "DeadLetterQueue",
                queue_name=f"{prefix}-dlq",
                retention_period=Duration.days(14),
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=key,
                data_key_reuse=Duration.seconds(300),
            ),
            "DeadLetterQueue",
        )

        log_group = named(
            logs.LogGroup(
                self, "FunctionLogGroup",
                log_group_name=f"/aws/lambda/{function_name}",
                retention=logs.RetentionDays.ONE_MONTH,
                encryption_key=key,
            ),
            "FunctionLogGroup",
        )

        # Least privilege, written out: the function's grants are exactly these statements.
        statements = [
            iam.PolicyStatement(
                sid="ReadTheStream",
                actions=[
                    "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
                    "kinesis:GetShardIterator", "kinesis:ListShards",
                ],
                resources=[stream.stream_arn],
            ),
            iam.PolicyStatement(sid="WriteTheTable", actions=["dynamodb:BatchWriteItem"], resources=[table.table_arn]),
            iam.PolicyStatement(
                sid="DeadLetter", actions=["sqs:SendMessage", "sqs:GetQueueAttributes"], resources=[queue.queue_arn]
            ),
            iam.PolicyStatement(sid="UseThePipelineKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[key.key_arn]),
            iam.PolicyStatement(
                sid="WriteItsLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            ),
            iam.PolicyStatement(sid="Tracing", actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]),
        ]
        role = named(
            iam.Role(
                self, "FunctionRole",
                role_name=function_name,
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                inline_policies={"pipeline": iam.PolicyDocument(statements=statements)},
            ),
            "FunctionRole",
        )
        # In a VPC, Lambda manages the function's network interfaces with its role (the
        # actions of AWSLambdaVPCAccessExecutionRole without its logs:*): two statements
        # under VpcEnabled.
        cfn_role: iam.CfnRole = role.node.default_child

        def only_in_vpc(statement):
            return Fn.condition_if(vpc_enabled.logical_id, statement, Fn.ref("AWS::NoValue"))

        cfn_role.add_property_override("Policies.0.PolicyDocument.Statement.6", only_in_vpc({
            "Sid": "DescribeTheVpc", "Effect": "Allow",
            "Action": ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], "Resource": "*",
        }))
        cfn_role.add_property_override("Policies.0.PolicyDocument.Statement.7", only_in_vpc({
            "Sid": "ManageNetworkInterfaces", "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": f"arn:{self.partition}:ec2:{self.region}:{self.account}:*/*",
        }))

        code_bucket_ref = s3.Bucket.from_bucket_name(self, "CodeBucket", code_bucket.value_as_string)
        # deploy.sh uploads every build under a key named by its digest, so new code is a new key.
        Annotations.of(code_bucket_ref).acknowledge_warning(
            "@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified",
            "Each build has its own S3 key (deploy.sh names it by the zip digest).",
        )
        fn = named(
            lambda_.Function(
                self, "ProcessorFunction",
                function_name=function_name,
                description="Scores and stores retail click-stream events from Kinesis into DynamoDB",
                runtime=lambda_.Runtime.PROVIDED_AL2023,
                handler="bootstrap",
                architecture=lambda_.Architecture.custom(architecture.value_as_string),
                code=lambda_.Code.from_bucket(code_bucket_ref, code_key.value_as_string),
                memory_size=memory_size.value_as_number,
                timeout=Duration.seconds(timeout.value_as_number),
                # The role's policy is complete: grants made by constructs must not widen it.
                role=role.without_policy_updates(),
                environment_encryption=key,
                tracing=lambda_.Tracing.ACTIVE,
                log_group=log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                environment={
                    "TABLE_NAME": table.table_name,
                    "DLQ_URL": queue.queue_url,
                    "RETRY_BUDGET_MS": "20000",
                    "WRITE_CONCURRENCY": "8",
                    "MAX_ATTEMPTS": "10",
                    "ITEM_TTL_DAYS": "7",
                },
            ),
            "ProcessorFunction",
        )
        cfn_fn: CfnResource = fn.node.default_child
        # The Role attribute already orders the function after its role (cfn-lint W3005).
        cfn_fn.add_deletion_override("DependsOn")
        cfn_fn.add_metadata("checkov", {"skip": FUNCTION_SKIPS})

        # VPC mode (EnableVpc): the function in private subnets, AWS reached through endpoints.
        function_sg = ec2.CfnSecurityGroup(
            self, "FunctionSecurityGroup",
            group_name=f"{prefix}-processor",
            group_description="The pipeline function; sends HTTPS only (to the VPC endpoints), accepts nothing",
            vpc_id=vpc_id.value_as_string,
            security_group_egress=[ec2.CfnSecurityGroup.EgressProperty(
                ip_protocol="tcp", from_port=443, to_port=443, cidr_ip="0.0.0.0/0",
                description="HTTPS to the VPC endpoints (the subnets have no other route out)",
            )],
        )
        function_sg.cfn_options.condition = create_vpc_security_group
        function_sg_id = Fn.condition_if(
            create_vpc_security_group.logical_id, function_sg.ref, vpc_security_group_id.value_as_string
        ).to_string()
        cfn_fn.add_property_override("VpcConfig", Fn.condition_if(
            vpc_enabled.logical_id,
            {"SubnetIds": vpc_subnet_ids.value_as_list, "SecurityGroupIds": [function_sg_id]},
            Fn.ref("AWS::NoValue"),
        ))
        endpoint_sg = ec2.CfnSecurityGroup(
            self, "EndpointSecurityGroup",
            group_name=f"{prefix}-endpoints",
            group_description="The pipeline interface endpoints; HTTPS from the function only",
            vpc_id=vpc_id.value_as_string,
            security_group_ingress=[ec2.CfnSecurityGroup.IngressProperty(
                ip_protocol="tcp", from_port=443, to_port=443, source_security_group_id=function_sg_id,
                description="HTTPS from the pipeline function",
            )],
            security_group_egress=[ec2.CfnSecurityGroup.EgressProperty(
                ip_protocol="-1", cidr_ip="127.0.0.1/32", description="Nothing (an endpoint only answers)",
            )],
        )
        endpoint_sg.cfn_options.condition = vpc_enabled
        empty_until_vpc_mode = "The VPC parameters are empty by default; the VpcModeNeedsItsNetwork rule refuses EnableVpc=true without them."
        for construct in (cfn_fn, endpoint_sg):
            for check in ("CloudFormation-Validate::F3031", "CloudFormation-Validate::E1150"):
                Annotations.of(construct).acknowledge_warning(check, empty_until_vpc_mode)

        def endpoint(logical_id, service, sid, actions, resource, gateway=False):
            """An endpoint whose policy names the one pipeline resource it serves."""
            placement = (
                {"route_table_ids": vpc_route_table_ids.value_as_list}
                if gateway
                else {"subnet_ids": vpc_subnet_ids.value_as_list, "security_group_ids": [endpoint_sg.ref], "private_dns_enabled": True}
            )
            e = ec2.CfnVPCEndpoint(
                self, logical_id,
                vpc_endpoint_type="Gateway" if gateway else "Interface",
                service_name=f"com.amazonaws.{self.region}.{service}",
                vpc_id=vpc_id.value_as_string,
                policy_document={
                    "Version": "2012-10-17",
                    "Statement": [{"Sid": sid, "Effect": "Allow", "Principal": "*", "Action": actions, "Resource": resource}],
                },
                **placement,
            )
            e.cfn_options.condition = vpc_enabled

        endpoint("DynamoDBEndpoint", "dynamodb", "WriteTheTable", ["dynamodb:BatchWriteItem", "dynamodb:GetItem"], table.table_arn, gateway=True)
        endpoint(
            "KinesisEndpoint", "kinesis-streams", "UseTheStream",
            ["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:PutRecords", "kinesis:GetShardIterator", "kinesis:GetRecords"],
            stream.stream_arn,
        )
        endpoint("SqsEndpoint", "sqs", "DeadLetter", ["sqs:SendMessage", "sqs:GetQueueAttributes"], queue.queue_arn)
        endpoint("LogsEndpoint", "logs", "WriteItsLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], log_group.log_group_arn)
        endpoint("KmsEndpoint", "kms", "UseThePipelineKey", ["kms:Decrypt", "kms:GenerateDataKey"], key.key_arn)

        named(
            lambda_.EventSourceMapping(
                self, "StreamEventSourceMapping",
                target=fn,
                event_source_arn=stream.stream_arn,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=100,
                max_batching_window=Duration.seconds(5),
                parallelization_factor=1,
                report_batch_item_failures=True,
                bisect_batch_on_error=True,
                retry_attempts=10,
                max_record_age=Duration.seconds(3600),
                on_failure=event_sources.SqsDlq(queue),
            ),
            "StreamEventSourceMapping",
        )

        topic = sns.CfnTopic(self, "AlarmTopic", topic_name=f"{prefix}-alarms", kms_master_key_id=key.key_id)
        topic.cfn_options.condition = notifications_enabled
        subscription = sns.CfnSubscription(
            self, "AlarmEmailSubscription", topic_arn=topic.ref, protocol="email", endpoint=notification_email.value_as_string
        )
        subscription.cfn_options.condition = subscribe_email

        by_function = {"FunctionName": fn.function_name}
        minute = Duration.seconds(60)
        alarms = [
            ("FailedEventsAlarm", "failed-events",
             "More than 10 events dead-lettered in a minute (bad JSON, failed validation, rejected writes).",
             cloudwatch.Metric(namespace="RetailEventProcessing", metric_name="FailedEvents", dimensions_map=by_function,
                               statistic="Sum", period=minute), 10, 1),
            ("FunctionErrorsAlarm", "function-errors", "Invocations failed as a whole (the batch is retried, then bisected).",
             cloudwatch.Metric(namespace="AWS/Lambda", metric_name="Errors", dimensions_map=by_function, statistic="Sum",
                               period=minute), 0, 1),
            ("FunctionThrottlesAlarm", "function-throttles", "Invocations throttled (account or reserved concurrency reached).",
             cloudwatch.Metric(namespace="AWS/Lambda", metric_name="Throttles", dimensions_map=by_function, statistic="Sum",
                               period=minute), 0, 1),
            ("IteratorAgeAlarm", "iterator-age", "The consumer is more than a minute behind the stream for five minutes.",
             cloudwatch.Metric(namespace="AWS/Lambda", metric_name="IteratorAge", dimensions_map=by_function,
                               statistic="Maximum", period=minute), 60000, 5),
            ("DeadLetterQueueDepthAlarm", "dlq-depth", "Messages are waiting in the dead-letter queue.",
             cloudwatch.Metric(namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
                               dimensions_map={"QueueName": queue.queue_name}, statistic="Maximum",
                               period=Duration.seconds(300)), 0, 1),
        ]
        for logical_id, name, description, metric, threshold, periods in alarms:
            alarm = named(
                cloudwatch.Alarm(
                    self, logical_id,
                    alarm_name=f"{prefix}-{name}",
                    alarm_description=description,
                    metric=metric,
                    threshold=threshold,
                    evaluation_periods=periods,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                ),
                logical_id,
            )
            alarm.node.default_child.add_property_override(
                "AlarmActions", Fn.condition_if(notifications_enabled.logical_id, [topic.ref], Fn.ref("AWS::NoValue"))
            )

        dashboard = cloudwatch.CfnDashboard(
            self, "PipelineDashboard",
            dashboard_name=f"{prefix}-pipeline",
            dashboard_body=Fn.sub(
                DASHBOARD.read_text(),
                {
                    "Region": self.region,
                    "StreamName": stream.stream_name,
                    "FunctionName": fn.function_name,
                    "TableName": table.table_name,
                    "QueueName": queue.queue_name,
                },
            ),
        )

        # loadgen workers (infra/k8s): what `loadgen --stack` calls on the pipeline, and
        # nothing else; attached to the role the workers' ServiceAccount assumes (IRSA).
        worker_policy = named(
            iam.ManagedPolicy(
                self, "LoadgenWorkerPolicy",
                managed_policy_name=f"{prefix}-loadgen-worker",
                description="loadgen workers driving this pipeline (put records, verify tracer items, read its metrics, write results)",
                statements=[
                    iam.PolicyStatement(
                        sid="ProduceToTheStream",
                        actions=["kinesis:PutRecords", "kinesis:ListShards", "kinesis:DescribeStreamSummary"],
                        resources=[stream.stream_arn],
                    ),
                    iam.PolicyStatement(sid="VerifyTracerItems", actions=["dynamodb:GetItem", "dynamodb:BatchGetItem"], resources=[table.table_arn]),
                    iam.PolicyStatement(sid="CountDeadLetters", actions=["sqs:GetQueueAttributes"], resources=[queue.queue_arn]),
                    iam.PolicyStatement(sid="ReadTheStackOutputs", actions=["cloudformation:DescribeStacks"], resources=[self.stack_id]),
                    # GetMetricData takes no resource (the Service Authorization Reference lists none).
                    iam.PolicyStatement(sid="ReadThePipelineMetrics", actions=["cloudwatch:GetMetricData"], resources=["*"]),
                    iam.PolicyStatement(
                        sid="UseThePipelineKey",
                        actions=["kms:GenerateDataKey", "kms:Decrypt"],
                        resources=[key.key_arn],
                        conditions={"StringEquals": {"kms:ViaService": [f"kinesis.{self.region}.amazonaws.com", f"dynamodb.{self.region}.amazonaws.com"]}},
                    ),
                ],
            ),
            "LoadgenWorkerPolicy",
        )
        # Where the workers write their results: only with a results bucket, only its prefix.
        results_policy = named(
            iam.ManagedPolicy(
                self, "LoadgenResultsPolicy",
                managed_policy_name=f"{prefix}-loadgen-results",
                description="loadgen workers writing, reading and listing their results under one S3 prefix",
                statements=[
                    iam.PolicyStatement(
                        sid="WriteAndReadTheResults",
                        actions=["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                        resources=[f"arn:{self.partition}:s3:::{results_bucket.value_as_string}/{results_prefix.value_as_string}*"],
                    ),
                    iam.PolicyStatement(
                        sid="ListTheResults",
                        actions=["s3:ListBucket"],
                        resources=[f"arn:{self.partition}:s3:::{results_bucket.value_as_string}"],
                        conditions={"StringLike": {"s3:prefix": f"{results_prefix.value_as_string}*"}},
                    ),
                ],
            ),
            "LoadgenResultsPolicy",
        )
        results_policy.node.default_child.cfn_options.condition = results_in_s3

        CfnOutput(self, "KinesisStreamName", value=stream.stream_name, description="Stream to send events to (loadgen --stream).")
        CfnOutput(self, "KinesisStreamArn", value=stream.stream_arn)
        CfnOutput(self, "LambdaFunctionName", value=fn.function_name)
        CfnOutput(self, "LambdaFunctionArn", value=fn.function_arn)
        CfnOutput(self, "DynamoDBTableName", value=table.table_name, description="Table the function writes (loadgen --table).")
        CfnOutput(self, "DeadLetterQueueUrl", value=queue.queue_url, description="Dead-letter queue (loadgen --dlq-url).")
        CfnOutput(self, "DeadLetterQueueArn", value=queue.queue_arn)
        CfnOutput(self, "KmsKeyArn", value=key.key_arn)
        CfnOutput(self, "DashboardName", value=dashboard.ref)
        CfnOutput(
            self, "DashboardUrl",
            value=f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}#dashboards:name={dashboard.ref}",
        )
        CfnOutput(self, "AlarmTopicArn", value=topic.ref, condition=notifications_enabled)
        CfnOutput(
            self, "LoadgenWorkerPolicyArn", value=worker_policy.managed_policy_arn,
            description="Managed policy for the loadgen workers' role (infra/k8s, IRSA).",
        )
        CfnOutput(
            self, "LoadgenResultsPolicyArn", value=results_policy.managed_policy_arn, condition=results_in_s3,
            description="Managed policy for the loadgen workers' results prefix (attach it too).",
        )
