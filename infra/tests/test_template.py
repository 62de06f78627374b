"""What moto_server cannot check (it skips alarms, ignores encryption and tracing): the
template's alarms, IAM and encryption, read from the template."""
from describe import ALARMS, describe_cfn


def test_alarms_watch_the_pipeline_and_notify_when_enabled(template):
    r = template["Resources"]
    d = describe_cfn(template)["alarms"]
    assert d["FailedEventsAlarm"][:8] == ("RetailEventProcessing", "FailedEvents", "Sum", 60, 1, 10.0, "GreaterThanThreshold", "notBreaching")
    assert d["FunctionErrorsAlarm"][:2] == ("AWS/Lambda", "Errors")
    assert d["FunctionThrottlesAlarm"][:2] == ("AWS/Lambda", "Throttles")
    assert d["IteratorAgeAlarm"][:3] == ("AWS/Lambda", "IteratorAge", "Maximum")
    assert d["DeadLetterQueueDepthAlarm"][:2] == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    for a in ALARMS:
        assert r[a]["Type"] == "AWS::CloudWatch::Alarm"
        actions = r[a]["Properties"]["AlarmActions"]
        assert actions == {"Fn::If": ["NotificationsEnabled", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}, a
    assert r["AlarmTopic"]["Condition"] == "NotificationsEnabled"
    assert r["AlarmEmailSubscription"]["Condition"] == "SubscribeEmail"


def test_iam_is_least_privilege(template):
    policy = describe_cfn(template)["policy"]
    for sid, (actions, resource, condition) in policy.items():
        assert all("*" not in a for a in actions), f"{sid}: every action is named"
        if resource == "*":
            # X-Ray and EC2's Describe calls have no resource ARNs.
            assert all(a.startswith("xray:") or a.startswith("ec2:Describe") for a in actions), f"{sid}: only X-Ray and ec2:Describe* may use '*'"
        if any(a.startswith("ec2:") for a in actions):
            assert condition == "VpcEnabled", f"{sid}: network interface permissions only in VPC mode"
        else:
            assert condition is None, f"{sid}: the pipeline's own grants hold in both modes"
    assert policy["ManageNetworkInterfaces"][1] == "arn:${}:ec2:${}:${}:*/*", "ENIs of this account and region only"
    assert policy["WriteTheTable"] == (["dynamodb:BatchWriteItem"], "ref:EventsTable", None)
    assert policy["ReadTheStream"][1] == "ref:EventStream"
    role = template["Resources"]["FunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role, "no managed policies: they grant more than the function needs"


def test_the_loadgen_workers_policy_grants_only_what_loadgen_calls(template):
    """The calls of `loadgen run --stack` (put, verify, count dead letters, read the
    metrics) and of `--out s3://` / `loadgen report s3://`, each on this stack's resource."""
    d = describe_cfn(template)["worker_policies"]
    worker, results = d["LoadgenWorkerPolicy"], d["LoadgenResultsPolicy"]
    assert (worker["name"], worker["condition"]) == ("${}-loadgen-worker", None)
    assert (results["name"], results["condition"]) == ("${}-loadgen-results", "LoadgenResultsInS3"), "S3 only with a results bucket"
    grants = {sid: (actions, resource) for p in (worker, results) for sid, (actions, resource, _) in p["statements"].items()}
    assert grants == {
        "ProduceToTheStream": (["kinesis:DescribeStreamSummary", "kinesis:ListShards", "kinesis:PutRecords"], "ref:EventStream"),
        "VerifyTracerItems": (["dynamodb:BatchGetItem", "dynamodb:GetItem"], "ref:EventsTable"),
        "CountDeadLetters": (["sqs:GetQueueAttributes"], "ref:DeadLetterQueue"),
        "ReadTheStackOutputs": (["cloudformation:DescribeStacks"], "ref:AWS::StackId"),
        "ReadThePipelineMetrics": (["cloudwatch:GetMetricData"], "*"),
        "UseThePipelineKey": (["kms:Decrypt", "kms:GenerateDataKey"], "ref:PipelineKey"),
        "WriteAndReadTheResults": (["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], "arn:${}:s3:::${}/${}*"),
        "ListTheResults": (["s3:ListBucket"], "arn:${}:s3:::${}"),
    }
    # The key only through the services that encrypt with it; the bucket listed only under the prefix.
    assert worker["statements"]["UseThePipelineKey"][2] == {"StringEquals": {"kms:ViaService": ["dynamodb.${}.amazonaws.com", "kinesis.${}.amazonaws.com"]}}
    assert results["statements"]["ListTheResults"][2] == {"StringLike": {"s3:prefix": ["${}*"]}}
    p = template["Resources"]["LoadgenResultsPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert p[0]["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${LoadgenResultsBucket}/${LoadgenResultsPrefix}*"}
    assert template["Conditions"]["LoadgenResultsInS3"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "LoadgenResultsBucket"}, ""]}]}
    assert template["Outputs"]["LoadgenWorkerPolicyArn"]["Value"] == {"Ref": "LoadgenWorkerPolicy"}
    out = template["Outputs"]["LoadgenResultsPolicyArn"]
    assert (out["Condition"], out["Value"]) == ("LoadgenResultsInS3", {"Ref": "LoadgenResultsPolicy"})


def test_everything_at_rest_is_encrypted_with_the_pipeline_key(template):
    d = describe_cfn(template)
    key = "ref:PipelineKey"
    assert d["stream"]["encryption"] == ("KMS", key)
    assert d["table"]["sse"] == (True, key)
    assert d["queue"]["key"] == key
    assert d["log_group"]["key"] == key
    assert d["topic_key"] == key
    assert d["function"]["kms"] == key
    assert d["key_rotation"] is True


def test_the_function_and_mapping_follow_the_contract(template):
    d = describe_cfn(template)
    assert d["function"]["runtime"] == "provided.al2023" and d["function"]["handler"] == "bootstrap"
    assert d["function"]["tracing"] == "Active"
    assert set(d["function"]["env"]) == {"TABLE_NAME", "DLQ_URL", "RETRY_BUDGET_MS", "WRITE_CONCURRENCY", "MAX_ATTEMPTS", "ITEM_TTL_DAYS"}
    assert d["esm"]["batch_size"] == 100 and d["esm"]["window"] == 5 and d["esm"]["start"] == "LATEST"
    assert d["esm"]["response_types"] == ["ReportBatchItemFailures"] and d["esm"]["bisect"] is True
    assert 0 < d["esm"]["retries"] <= 10_000 and 60 <= d["esm"]["max_age"] <= 604_800, "bounded retries and age"
    assert d["esm"]["on_failure"] == "ref:DeadLetterQueue"
    assert d["table"]["keys"] == [("eventKey", "RANGE"), ("userId", "HASH")]
    assert d["table"]["ttl"] == ("expiresAt", True) and d["table"]["pitr"] is True
    assert d["queue"]["retention"] == 14 * 24 * 3600
    params = template["Parameters"]
    assert params["LambdaArchitecture"]["Default"] == "arm64" and params["LambdaMemorySize"]["Default"] == 256
    assert params["LambdaTimeout"]["Default"] == 120 and params["KinesisShardCount"]["Default"] == 1
    assert params["DynamoDBBillingMode"]["Default"] == "PAY_PER_REQUEST" and params["EnableNotifications"]["Default"] == "false"


def test_vpc_mode_reaches_each_service_through_an_endpoint_scoped_to_the_pipeline(template):
    vpc = describe_cfn(template)["vpc"]
    assert vpc["function"] == ("VpcEnabled", "ref:VpcSubnetIds", ["sg:VpcSecurityGroupId-or-FunctionSecurityGroup"])
    served = {}
    for logical_id, (condition, kind, service, _vpc, route_tables, subnets, groups, private_dns, statements) in vpc["endpoints"].items():
        assert condition == "VpcEnabled", logical_id
        if kind == "Gateway":
            assert route_tables == "ref:VpcRouteTableIds" and subnets is None, logical_id
        else:
            assert (subnets, groups, private_dns) == ("ref:VpcSubnetIds", ["ref:EndpointSecurityGroup"], True), logical_id
        for _sid, principal, _actions, resource in statements:
            assert principal == "*" and resource.startswith("ref:"), f"{logical_id}: scoped to one pipeline resource, not {resource}"
            served[service.rsplit(".", 1)[1]] = resource
    assert served == {
        "dynamodb": "ref:EventsTable", "kinesis-streams": "ref:EventStream", "sqs": "ref:DeadLetterQueue",
        "logs": "ref:FunctionLogGroup", "kms": "ref:PipelineKey",
    }
    groups = vpc["security_groups"]
    assert groups["FunctionSecurityGroup"][0] == "CreateVpcSecurityGroup", "created only when none is given"
    assert [r[:5] for r in groups["FunctionSecurityGroup"][4]] == [("egress", "tcp", 443, 443, "0.0.0.0/0")]
    ingress = [r for r in groups["EndpointSecurityGroup"][4] if r[0] == "ingress"]
    assert [r[:5] for r in ingress] == [("ingress", "tcp", 443, 443, "sg:VpcSecurityGroupId-or-FunctionSecurityGroup")]
    rules = template["Rules"]["VpcModeNeedsItsNetwork"]
    assert rules["RuleCondition"] == {"Fn::Equals": [{"Ref": "EnableVpc"}, "true"]}
    assert len(rules["Assertions"]) == 3
