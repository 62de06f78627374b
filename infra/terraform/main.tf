# Retail click-stream pipeline: KMS-encrypted Kinesis stream -> Rust Lambda
# (provided.al2023) -> DynamoDB, with an SQS dead-letter queue, CloudWatch alarms
# (optionally to SNS) and a dashboard. Resource names are the snake_case of the
# CloudFormation template's logical IDs (EventStream -> event_stream); infra/tests checks
# that both describe the same pipeline.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  prefix        = "${var.project_name}-${var.environment}"
  function_name = "${local.prefix}-processor"
  log_group     = "/aws/lambda/${local.prefix}-processor"
  provisioned   = var.dynamodb_billing_mode == "PROVISIONED"
  alarm_actions = var.enable_notifications ? [aws_sns_topic.alarm_topic[0].arn] : []
  account_arn   = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  log_group_arn = "arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:log-group:${local.log_group}"
  # VPC mode: the function's security group, given or created (CreateVpcSecurityGroup).
  create_vpc_security_group = var.enable_vpc && var.vpc_security_group_id == ""
  function_security_group   = local.create_vpc_security_group ? aws_security_group.function_security_group[0].id : var.vpc_security_group_id
}

resource "aws_kms_key" "pipeline_key" {
  description         = "${local.prefix}: stream, table, queue, topic and logs"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = local.account_arn }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "LogsEncryptTheFunctionLogGroup"
        Effect    = "Allow"
        Principal = { Service = "logs.${data.aws_region.current.name}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
        Condition = { ArnEquals = { "kms:EncryptionContext:aws:logs:arn" = local.log_group_arn } }
      },
      {
        Sid       = "CloudWatchAlarmsPublishToTheEncryptedTopic"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_kms_alias" "pipeline_key_alias" {
  name          = "alias/${local.prefix}-pipeline"
  target_key_id = aws_kms_key.pipeline_key.key_id
}

resource "aws_kinesis_stream" "event_stream" {
  name             = "${local.prefix}-events"
  shard_count      = var.kinesis_shard_count
  retention_period = 24
  encryption_type  = "KMS"
  kms_key_id       = aws_kms_key.pipeline_key.arn

  stream_mode_details {
    stream_mode = "PROVISIONED"
  }
}

resource "aws_dynamodb_table" "events_table" {
  name           = "${local.prefix}-events"
  billing_mode   = var.dynamodb_billing_mode
  read_capacity  = local.provisioned ? var.dynamodb_read_capacity : null
  write_capacity = local.provisioned ? var.dynamodb_write_capacity : null
  hash_key       = "userId"
  range_key      = "eventKey"

  attribute {
    name = "userId"
    type = "S"
  }
  attribute {
    name = "eventKey"
    type = "S"
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.pipeline_key.arn
  }
}

resource "aws_sqs_queue" "dead_letter_queue" {
  name                              = "${local.prefix}-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = aws_kms_key.pipeline_key.arn
  kms_data_key_reuse_period_seconds = 300
}

resource "aws_cloudwatch_log_group" "function_log_group" {
  #checkov:skip=CKV_AWS_338:A load-test pipeline logs a line per batch at thousands of events a second; 30 days (as in the CloudFormation template) covers the investigation of a run, a year would cost more than the pipeline.
  name              = local.log_group
  retention_in_days = 30
  kms_key_id        = aws_kms_key.pipeline_key.arn
}

resource "aws_iam_role" "function_role" {
  name = local.function_name
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# The role's one inline policy (CloudFormation's Policies: [pipeline]).
resource "aws_iam_role_policy" "function_role_pipeline" {
  name = "pipeline"
  role = aws_iam_role.function_role.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadTheStream"
        Effect   = "Allow"
        Action   = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:ListShards"]
        Resource = aws_kinesis_stream.event_stream.arn
      },
      {
        Sid      = "WriteTheTable"
        Effect   = "Allow"
        Action   = ["dynamodb:BatchWriteItem"]
        Resource = aws_dynamodb_table.events_table.arn
      },
      {
        Sid      = "DeadLetter"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
        Resource = aws_sqs_queue.dead_letter_queue.arn
      },
      {
        Sid      = "UseThePipelineKey"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.pipeline_key.arn
      },
      {
        Sid      = "WriteItsLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.function_log_group.arn}:*"
      },
      {
        Sid      = "Tracing"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = "*"
      },
    ]
  })
}

# VPC mode: Lambda manages the function's network interfaces with its role (the actions
# of AWSLambdaVPCAccessExecutionRole without its logs:*). CloudFormation has these two
# statements in the pipeline policy under the VpcEnabled condition.
resource "aws_iam_role_policy" "function_role_vpc_access" {
  count = var.enable_vpc ? 1 : 0
  name  = "vpc-access"
  role  = aws_iam_role.function_role.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "DescribeTheVpc"
        Effect   = "Allow"
        Action   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
        Resource = "*"
      },
      {
        Sid      = "ManageNetworkInterfaces"
        Effect   = "Allow"
        Action   = ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
        Resource = "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:*/*"
      },
    ]
  })
}

resource "aws_lambda_function" "processor_function" {
  #checkov:skip=CKV_AWS_116:Failed records go to the SQS queue through the event source mapping's on-failure destination; a function DLQ applies to asynchronous invocations only, which a stream consumer never gets.
  #checkov:skip=CKV_AWS_117:VPC mode is a variable (enable_vpc, off by default); off, the function reaches only Kinesis, DynamoDB, SQS and CloudWatch and a VPC would add endpoint cost and cold-start latency.
  #checkov:skip=CKV_AWS_115:Concurrency is bounded by the event source mapping (shards x parallelization factor); a reserved limit below that would throttle the stream's own consumer.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile the pipeline does not own; the zip is built by build-function.sh and uploaded by the deployer, as in the CloudFormation template.
  function_name = local.function_name
  description   = "Scores and stores retail click-stream events from Kinesis into DynamoDB"
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.lambda_architecture]
  s3_bucket     = var.lambda_code_s3_bucket
  s3_key        = var.lambda_code_s3_key
  memory_size   = var.lambda_memory_size
  timeout       = var.lambda_timeout
  role          = aws_iam_role.function_role.arn
  kms_key_arn   = aws_kms_key.pipeline_key.arn

  tracing_config {
    mode = "Active"
  }

  dynamic "vpc_config" {
    for_each = var.enable_vpc ? [1] : []
    content {
      subnet_ids         = var.vpc_subnet_ids
      security_group_ids = [local.function_security_group]
    }
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function_log_group.name
  }

  environment {
    variables = {
      TABLE_NAME        = aws_dynamodb_table.events_table.name
      DLQ_URL           = aws_sqs_queue.dead_letter_queue.url
      RETRY_BUDGET_MS   = "20000"
      WRITE_CONCURRENCY = "8"
      MAX_ATTEMPTS      = "10"
      ITEM_TTL_DAYS     = "7"
    }
  }

  lifecycle {
    precondition {
      condition     = !var.enable_vpc || (var.vpc_id != "" && length(var.vpc_subnet_ids) > 0 && length(var.vpc_route_table_ids) > 0)
      error_message = "enable_vpc = true needs vpc_id, vpc_subnet_ids (private subnets in two or more Availability Zones) and vpc_route_table_ids (for the DynamoDB gateway endpoint)."
    }
  }

  depends_on = [aws_iam_role_policy.function_role_pipeline, aws_iam_role_policy.function_role_vpc_access]
}

resource "aws_lambda_event_source_mapping" "stream_event_source_mapping" {
  event_source_arn                   = aws_kinesis_stream.event_stream.arn
  function_name                      = aws_lambda_function.processor_function.arn
  starting_position                  = "LATEST"
  batch_size                         = 100
  maximum_batching_window_in_seconds = 5
  parallelization_factor             = 1
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = 10
  maximum_record_age_in_seconds      = 3600

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.dead_letter_queue.arn
    }
  }
}

resource "aws_sns_topic" "alarm_topic" {
  count             = var.enable_notifications ? 1 : 0
  name              = "${local.prefix}-alarms"
  kms_master_key_id = aws_kms_key.pipeline_key.id
}

resource "aws_sns_topic_subscription" "alarm_email_subscription" {
  count     = var.enable_notifications && var.notification_email != "" ? 1 : 0
  topic_arn = aws_sns_topic.alarm_topic[0].arn
  protocol  = "email"
  endpoint  = var.notification_email
}

resource "aws_cloudwatch_metric_alarm" "failed_events_alarm" {
  alarm_name          = "${local.prefix}-failed-events"
  alarm_description   = "More than 10 events dead-lettered in a minute (bad JSON, failed validation, rejected writes)."
  namespace           = "RetailEventProcessing"
  metric_name         = "FailedEvents"
  dimensions          = { FunctionName = aws_lambda_function.processor_function.function_name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "function_errors_alarm" {
  alarm_name          = "${local.prefix}-function-errors"
  alarm_description   = "Invocations failed as a whole (the batch is retried, then bisected)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.processor_function.function_name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "function_throttles_alarm" {
  alarm_name          = "${local.prefix}-function-throttles"
  alarm_description   = "Invocations throttled (account or reserved concurrency reached)."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.processor_function.function_name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "iterator_age_alarm" {
  alarm_name          = "${local.prefix}-iterator-age"
  alarm_description   = "The consumer is more than a minute behind the stream for five minutes."
  namespace           = "AWS/Lambda"
  metric_name         = "IteratorAge"
  dimensions          = { FunctionName = aws_lambda_function.processor_function.function_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = 60000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "dead_letter_queue_depth_alarm" {
  alarm_name          = "${local.prefix}-dlq-depth"
  alarm_description   = "Messages are waiting in the dead-letter queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letter_queue.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_dashboard" "pipeline_dashboard" {
  dashboard_name = "${local.prefix}-pipeline"
  dashboard_body = templatefile("${path.module}/../dashboards/pipeline.json", {
    Region       = data.aws_region.current.name
    StreamName   = aws_kinesis_stream.event_stream.name
    FunctionName = aws_lambda_function.processor_function.function_name
    TableName    = aws_dynamodb_table.events_table.name
    QueueName    = aws_sqs_queue.dead_letter_queue.name
  })
}

# ---- VPC mode (enable_vpc): the function in private subnets, AWS reached through endpoints

resource "aws_security_group" "function_security_group" {
  count       = local.create_vpc_security_group ? 1 : 0
  name        = "${local.prefix}-processor"
  description = "The pipeline function; sends HTTPS only (to the VPC endpoints), accepts nothing"
  vpc_id      = var.vpc_id

  egress {
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["0.0.0.0/0"]
    description = "HTTPS to the VPC endpoints (the subnets have no other route out)"
  }
}

resource "aws_security_group" "endpoint_security_group" {
  count       = var.enable_vpc ? 1 : 0
  name        = "${local.prefix}-endpoints"
  description = "The pipeline interface endpoints; HTTPS from the function only"
  vpc_id      = var.vpc_id

  ingress {
    protocol        = "tcp"
    from_port       = 443
    to_port         = 443
    security_groups = [local.function_security_group]
    description     = "HTTPS from the pipeline function"
  }

  egress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = ["127.0.0.1/32"]
    description = "Nothing (an endpoint only answers)"
  }
}

resource "aws_vpc_endpoint" "dynamodb_endpoint" {
  count             = var.enable_vpc ? 1 : 0
  vpc_endpoint_type = "Gateway"
  service_name      = "com.amazonaws.${data.aws_region.current.name}.dynamodb"
  vpc_id            = var.vpc_id
  route_table_ids   = var.vpc_route_table_ids
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "WriteTheTable"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["dynamodb:BatchWriteItem", "dynamodb:GetItem"]
        Resource  = aws_dynamodb_table.events_table.arn
      },
    ]
  })
}

# The interface endpoints, each with a policy naming the one pipeline resource it serves.

resource "aws_vpc_endpoint" "kinesis_endpoint" {
  count               = var.enable_vpc ? 1 : 0
  vpc_endpoint_type   = "Interface"
  service_name        = "com.amazonaws.${data.aws_region.current.name}.kinesis-streams"
  vpc_id              = var.vpc_id
  subnet_ids          = var.vpc_subnet_ids
  security_group_ids  = [aws_security_group.endpoint_security_group[0].id]
  private_dns_enabled = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "UseTheStream"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:PutRecords", "kinesis:GetShardIterator", "kinesis:GetRecords"]
        Resource  = aws_kinesis_stream.event_stream.arn
      },
    ]
  })
}

resource "aws_vpc_endpoint" "sqs_endpoint" {
  count               = var.enable_vpc ? 1 : 0
  vpc_endpoint_type   = "Interface"
  service_name        = "com.amazonaws.${data.aws_region.current.name}.sqs"
  vpc_id              = var.vpc_id
  subnet_ids          = var.vpc_subnet_ids
  security_group_ids  = [aws_security_group.endpoint_security_group[0].id]
  private_dns_enabled = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DeadLetter"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["sqs:SendMessage", "sqs:GetQueueAttributes"]
        Resource  = aws_sqs_queue.dead_letter_queue.arn
      },
    ]
  })
}

resource "aws_vpc_endpoint" "logs_endpoint" {
  count               = var.enable_vpc ? 1 : 0
  vpc_endpoint_type   = "Interface"
  service_name        = "com.amazonaws.${data.aws_region.current.name}.logs"
  vpc_id              = var.vpc_id
  subnet_ids          = var.vpc_subnet_ids
  security_group_ids  = [aws_security_group.endpoint_security_group[0].id]
  private_dns_enabled = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "WriteItsLogs"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource  = "${aws_cloudwatch_log_group.function_log_group.arn}:*"
      },
    ]
  })
}

resource "aws_vpc_endpoint" "kms_endpoint" {
  count               = var.enable_vpc ? 1 : 0
  vpc_endpoint_type   = "Interface"
  service_name        = "com.amazonaws.${data.aws_region.current.name}.kms"
  vpc_id              = var.vpc_id
  subnet_ids          = var.vpc_subnet_ids
  security_group_ids  = [aws_security_group.endpoint_security_group[0].id]
  private_dns_enabled = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "UseThePipelineKey"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource  = aws_kms_key.pipeline_key.arn
      },
    ]
  })
}

# ---- loadgen workers (infra/k8s): what loadgen calls with --stream/--table/--dlq-url,
# and nothing else. Attach it to the role the workers' ServiceAccount assumes (IRSA;
# infra/README.md). The template's policy also grants cloudformation:DescribeStacks on its
# own stack (for `loadgen --stack`); a Terraform deployment has no stack to read.
data "aws_iam_policy_document" "loadgen_worker" {
  statement {
    sid       = "ProduceToTheStream"
    actions   = ["kinesis:PutRecords", "kinesis:ListShards", "kinesis:DescribeStreamSummary"]
    resources = [aws_kinesis_stream.event_stream.arn]
  }
  statement {
    sid       = "VerifyTracerItems"
    actions   = ["dynamodb:GetItem", "dynamodb:BatchGetItem"]
    resources = [aws_dynamodb_table.events_table.arn]
  }
  statement {
    sid       = "CountDeadLetters"
    actions   = ["sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.dead_letter_queue.arn]
  }
  # GetMetricData takes no resource (the Service Authorization Reference lists none).
  statement {
    sid       = "ReadThePipelineMetrics"
    actions   = ["cloudwatch:GetMetricData"]
    resources = ["*"]
  }
  # The stream and the table are encrypted with the pipeline's key: the workers use it only
  # through those services.
  statement {
    sid       = "UseThePipelineKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.pipeline_key.arn]
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["kinesis.${data.aws_region.current.name}.amazonaws.com", "dynamodb.${data.aws_region.current.name}.amazonaws.com"]
    }
  }
}

resource "aws_iam_policy" "loadgen_worker_policy" {
  name        = "${local.prefix}-loadgen-worker"
  description = "loadgen workers driving this pipeline (put records, verify tracer items, read its metrics, write results)"
  policy      = data.aws_iam_policy_document.loadgen_worker.json
}

# Where the workers write their results (loadgen --out s3://, loadgen report s3://): only
# with a results bucket, and only its prefix. Attach it beside loadgen_worker_policy.
data "aws_iam_policy_document" "loadgen_results" {
  statement {
    sid       = "WriteAndReadTheResults"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.loadgen_results_bucket}/${var.loadgen_results_prefix}*"]
  }
  statement {
    sid       = "ListTheResults"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${var.loadgen_results_bucket}"]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.loadgen_results_prefix}*"]
    }
  }
}

resource "aws_iam_policy" "loadgen_results_policy" {
  count       = var.loadgen_results_bucket == "" ? 0 : 1
  name        = "${local.prefix}-loadgen-results"
  description = "loadgen workers writing, reading and listing their results under one S3 prefix"
  policy      = data.aws_iam_policy_document.loadgen_results.json
}
