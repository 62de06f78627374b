# Named as infra/cloudformation/pipeline.yaml's outputs, in Terraform's naming.

output "kinesis_stream_name" {
  description = "Stream to send events to (loadgen --stream)."
  value       = aws_kinesis_stream.event_stream.name
}

output "kinesis_stream_arn" {
  value = aws_kinesis_stream.event_stream.arn
}

output "lambda_function_name" {
  value = aws_lambda_function.processor_function.function_name
}

output "lambda_function_arn" {
  value = aws_lambda_function.processor_function.arn
}

output "dynamodb_table_name" {
  description = "Table the function writes (loadgen --table)."
  value       = aws_dynamodb_table.events_table.name
}

output "dead_letter_queue_url" {
  description = "Dead-letter queue (loadgen --dlq-url)."
  value       = aws_sqs_queue.dead_letter_queue.url
}

output "dead_letter_queue_arn" {
  value = aws_sqs_queue.dead_letter_queue.arn
}

output "kms_key_arn" {
  value = aws_kms_key.pipeline_key.arn
}

output "dashboard_name" {
  value = aws_cloudwatch_dashboard.pipeline_dashboard.dashboard_name
}

output "dashboard_url" {
  value = "https://${data.aws_region.current.name}.console.aws.amazon.com/cloudwatch/home?region=${data.aws_region.current.name}#dashboards:name=${aws_cloudwatch_dashboard.pipeline_dashboard.dashboard_name}"
}

output "alarm_topic_arn" {
  description = "The alarm topic (null without enable_notifications)."
  value       = try(aws_sns_topic.alarm_topic[0].arn, null)
}

output "loadgen_worker_policy_arn" {
  description = "Managed policy for the loadgen workers' role (infra/k8s, IRSA)."
  value       = aws_iam_policy.loadgen_worker_policy.arn
}

output "loadgen_results_policy_arn" {
  description = "Managed policy for the loadgen workers' results prefix (attach it too; null without loadgen_results_bucket)."
  value       = try(aws_iam_policy.loadgen_results_policy[0].arn, null)
}
