"""Each definition reduced to the same description of the pipeline: what a user of it
gets (resources by the template's logical IDs, and the settings that matter), with
references written as `ref:LogicalId` whatever the tool's syntax. Equal descriptions
mean equivalent pipelines."""
import ast
import re

from conftest import snake

ALARMS = ["FailedEventsAlarm", "FunctionErrorsAlarm", "FunctionThrottlesAlarm", "IteratorAgeAlarm", "DeadLetterQueueDepthAlarm"]


def _cfn_ref(v):
    if isinstance(v, dict):
        if "Ref" in v:
            return f"ref:{v['Ref']}"
        if "Fn::GetAtt" in v:
            target = v["Fn::GetAtt"]
            return f"ref:{target[0] if isinstance(target, list) else target.split('.')[0]}"
    return v


def _actions(a):
    return sorted([a] if isinstance(a, str) else a)


def _pattern(v):
    """A string built from pseudo parameters (`Fn::Sub`, CDK's `Fn::Join`, Terraform's
    `${data...}`) with every substitution written `${}`."""
    if isinstance(v, dict) and "Fn::Sub" in v:
        v = v["Fn::Sub"]
    if isinstance(v, dict) and "Fn::Join" in v:
        sep, parts = v["Fn::Join"]
        v = sep.join(p if isinstance(p, str) else "${}" for p in parts)
    if isinstance(v, str):
        return re.sub(r"\$\{[^}]*\}", "${}", v)
    return v


def _resource(r):
    if isinstance(r, list):
        assert len(r) == 1, r
        r = r[0]
    ref = _cfn_ref(r)
    return _pattern(ref) if isinstance(ref, dict) else ref


def _name(v):
    """A resource name: `${ProjectName}-${Environment}-x` and Terraform's `${local.prefix}-x` alike."""
    return _pattern(v).replace("${}-${}-", "${}-")


def as_list(v):
    """A list attribute as python-hcl2 gives it (wrapped, or unwrapped to one string)."""
    while isinstance(v, list) and len(v) == 1 and isinstance(v[0], list):
        v = v[0]
    return v if isinstance(v, list) else [v]


def _conditional(s):
    """A statement or list item under `Fn::If [Condition, it, AWS::NoValue]`: (condition, it)."""
    if isinstance(s, dict) and "Fn::If" in s:
        cond, yes, no = s["Fn::If"]
        assert no == {"Ref": "AWS::NoValue"}, no
        return cond, yes
    return None, s


# The function's security group: the one given, or the one the stack creates.
FUNCTION_SG = "sg:VpcSecurityGroupId-or-FunctionSecurityGroup"
ENDPOINTS = ["DynamoDBEndpoint", "KinesisEndpoint", "SqsEndpoint", "LogsEndpoint", "KmsEndpoint"]
SECURITY_GROUPS = ["FunctionSecurityGroup", "EndpointSecurityGroup"]


def _cfn_sg(v):
    if v == {"Fn::If": ["CreateVpcSecurityGroup", {"Ref": "FunctionSecurityGroup"}, {"Ref": "VpcSecurityGroupId"}]}:
        return FUNCTION_SG
    return _cfn_ref(v)


def _rule(direction, protocol, from_port, to_port, peer, description):
    protocol = str(protocol)
    if protocol == "-1":
        from_port = to_port = None
    else:
        from_port, to_port = int(from_port), int(to_port)
    return (direction, protocol, from_port, to_port, peer, description)


def _cfn_vpc(r, props):
    fn_cond, vpc = _conditional(props["ProcessorFunction"].get("VpcConfig"))
    sgs = {}
    for g in SECURITY_GROUPS:
        p = props[g]
        rules = [_rule("egress", x["IpProtocol"], x.get("FromPort"), x.get("ToPort"), x.get("CidrIp") or _cfn_sg(x.get("DestinationSecurityGroupId")), x["Description"]) for x in p.get("SecurityGroupEgress", [])]
        rules += [_rule("ingress", x["IpProtocol"], x.get("FromPort"), x.get("ToPort"), x.get("CidrIp") or _cfn_sg(x.get("SourceSecurityGroupId")), x["Description"]) for x in p.get("SecurityGroupIngress", [])]
        sgs[g] = (r[g].get("Condition"), _name(p["GroupName"]), p["GroupDescription"], _cfn_ref(p["VpcId"]), sorted(rules, key=str))
    endpoints = {}
    for e in ENDPOINTS:
        p = props[e]
        statements = sorted((x["Sid"], x["Principal"], tuple(_actions(x["Action"])), _resource(x["Resource"])) for x in p["PolicyDocument"]["Statement"])
        endpoints[e] = (
            r[e].get("Condition"), p["VpcEndpointType"], _pattern(p["ServiceName"]), _cfn_ref(p["VpcId"]),
            _cfn_ref(p.get("RouteTableIds")), _cfn_ref(p.get("SubnetIds")),
            [_cfn_ref(x) for x in p.get("SecurityGroupIds", [])], p.get("PrivateDnsEnabled", False), statements,
        )
    return {
        "function": (fn_cond, _cfn_ref(vpc["SubnetIds"]), [_cfn_sg(x) for x in vpc["SecurityGroupIds"]]),
        "security_groups": sgs,
        "endpoints": endpoints,
    }


def _conditions(c, pattern):
    """A statement's IAM conditions, every value a sorted list of patterns."""
    return {op: {k: sorted(pattern(x) for x in (v if isinstance(v, list) else [v])) for k, v in by_key.items()} for op, by_key in (c or {}).items()}


# The loadgen workers' managed policies: the pipeline's calls, and the results prefix.
WORKER_POLICIES = ["LoadgenWorkerPolicy", "LoadgenResultsPolicy"]


def _cfn_worker_policies(r):
    out = {}
    for logical_id in WORKER_POLICIES:
        p = r[logical_id]["Properties"]
        out[logical_id] = {
            "condition": r[logical_id].get("Condition"),
            "name": _name(p["ManagedPolicyName"]),
            "statements": {
                s["Sid"]: (_actions(s["Action"]), _resource(s["Resource"]), _conditions(s.get("Condition"), _pattern))
                for s in p["PolicyDocument"]["Statement"]
            },
        }
    return out


def describe_cfn(t):
    """The template, or a CDK synth output (the same format)."""
    r = t["Resources"]
    props = {k: v.get("Properties", {}) for k, v in r.items()}
    esm, fn, table, queue = props["StreamEventSourceMapping"], props["ProcessorFunction"], props["EventsTable"], props["DeadLetterQueue"]
    policy = props["FunctionRole"]["Policies"]
    assert [p["PolicyName"] for p in policy] == ["pipeline"]
    statements = [_conditional(x) for x in policy[0]["PolicyDocument"]["Statement"]]
    return {
        "resources": sorted(r),
        "esm": {
            "source": _cfn_ref(esm["EventSourceArn"]),
            "function": _cfn_ref(esm["FunctionName"]),
            "batch_size": esm["BatchSize"],
            "window": esm["MaximumBatchingWindowInSeconds"],
            "start": esm["StartingPosition"],
            "response_types": esm["FunctionResponseTypes"],
            "bisect": esm["BisectBatchOnFunctionError"],
            "retries": esm["MaximumRetryAttempts"],
            "max_age": esm["MaximumRecordAgeInSeconds"],
            "parallelization": esm["ParallelizationFactor"],
            "on_failure": _cfn_ref(esm["DestinationConfig"]["OnFailure"]["Destination"]),
        },
        "function": {
            "runtime": fn["Runtime"],
            "handler": fn["Handler"],
            "tracing": fn["TracingConfig"]["Mode"],
            "log_format": fn["LoggingConfig"]["LogFormat"],
            "log_group": _cfn_ref(fn["LoggingConfig"]["LogGroup"]),
            "role": _cfn_ref(fn["Role"]),
            "kms": _cfn_ref(fn["KmsKeyArn"]),
            "env": {k: _cfn_ref(v) for k, v in fn["Environment"]["Variables"].items()},
        },
        "table": {
            "keys": sorted((k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]),
            "attributes": sorted((a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]),
            "ttl": (table["TimeToLiveSpecification"]["AttributeName"], table["TimeToLiveSpecification"]["Enabled"]),
            "pitr": table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            "sse": (table["SSESpecification"]["SSEEnabled"], _cfn_ref(table["SSESpecification"]["KMSMasterKeyId"])),
        },
        "queue": {
            "retention": int(queue["MessageRetentionPeriod"]),
            "key": _cfn_ref(queue["KmsMasterKeyId"]),
            "data_key_reuse": int(queue["KmsDataKeyReusePeriodSeconds"]),
        },
        "stream": {
            "retention_hours": int(props["EventStream"]["RetentionPeriodHours"]),
            "mode": props["EventStream"]["StreamModeDetails"]["StreamMode"],
            "encryption": (props["EventStream"]["StreamEncryption"]["EncryptionType"], _cfn_ref(props["EventStream"]["StreamEncryption"]["KeyId"])),
        },
        "log_group": {"retention": props["FunctionLogGroup"]["RetentionInDays"], "key": _cfn_ref(props["FunctionLogGroup"]["KmsKeyId"])},
        "key_rotation": props["PipelineKey"]["EnableKeyRotation"],
        "topic_key": _cfn_ref(props["AlarmTopic"]["KmsMasterKeyId"]),
        "subscription": (props["AlarmEmailSubscription"]["Protocol"], _cfn_ref(props["AlarmEmailSubscription"]["TopicArn"])),
        "alarms": {
            a: (
                props[a]["Namespace"],
                props[a]["MetricName"],
                props[a]["Statistic"],
                int(props[a]["Period"]),
                int(props[a]["EvaluationPeriods"]),
                float(props[a]["Threshold"]),
                props[a]["ComparisonOperator"],
                props[a]["TreatMissingData"],
                tuple((d["Name"], _cfn_ref(d["Value"])) for d in props[a]["Dimensions"]),
            )
            for a in ALARMS
        },
        "policy": {s["Sid"]: (_actions(s["Action"]), _resource(s["Resource"]), cond) for cond, s in statements},
        "vpc": _cfn_vpc(r, props),
        "worker_policies": _cfn_worker_policies(r),
    }


# Terraform type of each CloudFormation type.
TF_TYPES = {
    "AWS::KMS::Key": "aws_kms_key",
    "AWS::KMS::Alias": "aws_kms_alias",
    "AWS::Kinesis::Stream": "aws_kinesis_stream",
    "AWS::DynamoDB::Table": "aws_dynamodb_table",
    "AWS::SQS::Queue": "aws_sqs_queue",
    "AWS::Logs::LogGroup": "aws_cloudwatch_log_group",
    "AWS::IAM::Role": "aws_iam_role",
    "AWS::Lambda::Function": "aws_lambda_function",
    "AWS::Lambda::EventSourceMapping": "aws_lambda_event_source_mapping",
    "AWS::SNS::Topic": "aws_sns_topic",
    "AWS::SNS::Subscription": "aws_sns_topic_subscription",
    "AWS::CloudWatch::Alarm": "aws_cloudwatch_metric_alarm",
    "AWS::CloudWatch::Dashboard": "aws_cloudwatch_dashboard",
    "AWS::EC2::SecurityGroup": "aws_security_group",
    "AWS::EC2::VPCEndpoint": "aws_vpc_endpoint",
    "AWS::IAM::ManagedPolicy": "aws_iam_policy",
}
# Terraform resources with no resource of their own in CloudFormation: the role's
# policies (inline in the template), the VPC one holding the template's VpcEnabled
# statements.
TF_EXTRA = {("aws_iam_role_policy", "function_role_pipeline"), ("aws_iam_role_policy", "function_role_vpc_access")}
# A Terraform `count` and the template's condition it stands for.
TF_CONDITIONS = {
    "${var.enable_vpc ? 1 : 0}": "VpcEnabled",
    "${local.create_vpc_security_group ? 1 : 0}": "CreateVpcSecurityGroup",
    "${var.enable_notifications ? 1 : 0}": "NotificationsEnabled",
    '${var.enable_notifications && var.notification_email != "" ? 1 : 0}': "SubscribeEmail",
    '${var.loadgen_results_bucket == "" ? 0 : 1}': "LoadgenResultsInS3",
}
# What the template's LoadgenWorkerPolicy grants that Terraform's cannot: DescribeStacks on
# the template's own stack (`loadgen --stack`); a Terraform deployment has no stack.
TF_WORKER_POLICY_ONLY_IN_CFN = {"ReadTheStackOutputs"}
# The policy document (a data source) of each workers' policy.
TF_POLICY_DOCUMENTS = {"LoadgenWorkerPolicy": "loadgen_worker", "LoadgenResultsPolicy": "loadgen_results"}


def one(v):
    """python-hcl2 wraps every attribute and block in a list."""
    while isinstance(v, list) and len(v) == 1:
        v = v[0]
    return v


def describe_terraform(tf, template):
    """The Terraform configuration, with references mapped back to the template's logical IDs."""
    ids = {snake(k): k for k in template["Resources"]}
    res = tf["resource"]

    params = {snake(k): k for k in template["Parameters"]}

    def ref(v):
        """`${aws_TYPE.NAME[0].ATTR}` (an ARN may end in `:*`, as CloudFormation's log
        group Arn attribute does) -> `ref:LogicalId`; `${var.NAME}` -> `ref:Parameter`."""
        v = one(v) if not (isinstance(v, list) and len(v) == 1 and isinstance(v[0], list)) else v[0]
        if isinstance(v, str):
            m = re.fullmatch(r"\$\{aws_[a-z0-9_]+\.([a-z0-9_]+)(\[0\])?\.[a-z_]+\}(:\*)?", v)
            if m and m.group(1) in ids:
                return f"ref:{ids[m.group(1)]}"
            m = re.fullmatch(r"\$\{var\.([a-z0-9_]+)\}", v)
            if m and m.group(1) in params:
                return f"ref:{params[m.group(1)]}"
            if v == "${local.function_security_group}":
                return FUNCTION_SG
        return v

    def r(rtype, name):
        return {k: v for k, v in res[rtype][name].items() if not k.startswith("__")}

    esm = r("aws_lambda_event_source_mapping", "stream_event_source_mapping")
    fn = r("aws_lambda_function", "processor_function")
    table = r("aws_dynamodb_table", "events_table")
    queue = r("aws_sqs_queue", "dead_letter_queue")
    stream = r("aws_kinesis_stream", "event_stream")
    logs = r("aws_cloudwatch_log_group", "function_log_group")
    def jsonencoded(src):
        src = one(src)
        return ast.literal_eval(src[len("${jsonencode("):-len(")}")])

    policy = jsonencoded(r("aws_iam_role_policy", "function_role_pipeline")["policy"])
    vpc_policy = r("aws_iam_role_policy", "function_role_vpc_access")
    vpc_statements = [(TF_CONDITIONS[one(vpc_policy["count"])], x) for x in jsonencoded(vpc_policy["policy"])["Statement"]]
    topic, sub = r("aws_sns_topic", "alarm_topic"), r("aws_sns_topic_subscription", "alarm_email_subscription")
    fn_log = one(fn["logging_config"])
    alarms = {}
    for a in ALARMS:
        x = r("aws_cloudwatch_metric_alarm", snake(a))
        alarms[a] = (
            one(x["namespace"]), one(x["metric_name"]), one(x["statistic"]), int(one(x["period"])),
            int(one(x["evaluation_periods"])), float(one(x["threshold"])), one(x["comparison_operator"]),
            one(x["treat_missing_data"]), tuple((k, ref(v)) for k, v in one(x["dimensions"]).items()),
        )
    resources = []
    for rtype, by_name in res.items():
        for name in by_name:
            if (rtype, name) in TF_EXTRA:
                continue
            resources.append(ids.get(name, f"{rtype}.{name} (no counterpart in the template)"))
    return {
        "resources": sorted(resources),
        "types": {ids.get(name, name): rtype for rtype, by_name in res.items() for name in by_name},
        "esm": {
            "source": ref(esm["event_source_arn"]),
            "function": ref(esm["function_name"]),
            "batch_size": one(esm["batch_size"]),
            "window": one(esm["maximum_batching_window_in_seconds"]),
            "start": one(esm["starting_position"]),
            "response_types": esm["function_response_types"][0],
            "bisect": one(esm["bisect_batch_on_function_error"]),
            "retries": one(esm["maximum_retry_attempts"]),
            "max_age": one(esm["maximum_record_age_in_seconds"]),
            "parallelization": one(esm["parallelization_factor"]),
            "on_failure": ref(one(one(esm["destination_config"])["on_failure"])["destination_arn"]),
        },
        "function": {
            "runtime": one(fn["runtime"]),
            "handler": one(fn["handler"]),
            "tracing": one(one(fn["tracing_config"])["mode"]),
            "log_format": one(fn_log["log_format"]),
            "log_group": ref(fn_log["log_group"]),
            "role": ref(fn["role"]),
            "kms": ref(fn["kms_key_arn"]),
            "env": {k: ref(v) for k, v in one(one(fn["environment"])["variables"]).items()},
        },
        "table": {
            "keys": sorted([(one(table["hash_key"]), "HASH"), (one(table["range_key"]), "RANGE")]),
            "attributes": sorted((one(a["name"]), one(a["type"])) for a in table["attribute"]),
            "ttl": (one(one(table["ttl"])["attribute_name"]), one(one(table["ttl"])["enabled"])),
            "pitr": one(one(table["point_in_time_recovery"])["enabled"]),
            "sse": (one(one(table["server_side_encryption"])["enabled"]), ref(one(table["server_side_encryption"])["kms_key_arn"])),
        },
        "queue": {
            "retention": int(one(queue["message_retention_seconds"])),
            "key": ref(queue["kms_master_key_id"]),
            "data_key_reuse": int(one(queue["kms_data_key_reuse_period_seconds"])),
        },
        "stream": {
            "retention_hours": int(one(stream["retention_period"])),
            "mode": one(one(stream["stream_mode_details"])["stream_mode"]),
            "encryption": (one(stream["encryption_type"]), ref(stream["kms_key_id"])),
        },
        "log_group": {"retention": int(one(logs["retention_in_days"])), "key": ref(logs["kms_key_id"])},
        "key_rotation": one(r("aws_kms_key", "pipeline_key")["enable_key_rotation"]),
        "topic_key": ref(topic["kms_master_key_id"]),
        "subscription": (one(sub["protocol"]), ref(sub["topic_arn"])),
        "alarms": alarms,
        "policy": {
            s["Sid"]: (_actions(s["Action"]), _pattern(ref(s["Resource"])) if s["Resource"] != "*" else "*", cond)
            for cond, s in [(None, x) for x in policy["Statement"]] + vpc_statements
        },
        "vpc": _terraform_vpc(r, ref, fn, jsonencoded),
        "worker_policies": {p: _terraform_worker_policy(tf, r, ref, p) for p in WORKER_POLICIES},
    }


def _terraform_worker_policy(tf, r, ref, logical_id):
    policy = r("aws_iam_policy", snake(logical_id))
    document = TF_POLICY_DOCUMENTS[logical_id]
    assert one(policy["policy"]) == f"${{data.aws_iam_policy_document.{document}.json}}", policy["policy"]
    doc = tf["data"]["aws_iam_policy_document"][document]

    def conditions(s):
        out = {}
        for c in s.get("condition", []):
            out.setdefault(one(c["test"]), {})[one(c["variable"])] = sorted(_pattern(x) for x in as_list(c["values"]))
        return out

    def resource(s):
        (v,) = as_list(s["resources"])
        return v if v == "*" else _pattern(ref(v))

    return {
        "condition": TF_CONDITIONS[one(policy["count"])] if "count" in policy else None,
        "name": _name(one(policy["name"])),
        "statements": {one(s["sid"]): (_actions(as_list(s["actions"])), resource(s), conditions(s)) for s in doc["statement"]},
    }


def _terraform_vpc(r, ref, fn, jsonencoded):
    vpc = one(fn["dynamic"])["vpc_config"]
    assert one(vpc["for_each"]) == "${var.enable_vpc ? [1] : []}", vpc["for_each"]
    content = one(vpc["content"])
    sgs = {}
    for g in SECURITY_GROUPS:
        p = r("aws_security_group", snake(g))
        rules = []
        for direction in ("egress", "ingress"):
            for x in p.get(direction, []):
                peer = one(x["cidr_blocks"]) if "cidr_blocks" in x else ref(one(x["security_groups"]))
                rules.append(_rule(direction, one(x["protocol"]), one(x["from_port"]), one(x["to_port"]), peer, one(x["description"])))
        sgs[g] = (TF_CONDITIONS[one(p["count"])], _name(one(p["name"])), one(p["description"]), ref(p["vpc_id"]), sorted(rules, key=str))
    endpoints = {}
    for e in ENDPOINTS:
        p = r("aws_vpc_endpoint", snake(e))
        statements = sorted((x["Sid"], x["Principal"], tuple(_actions(x["Action"])), ref(x["Resource"])) for x in jsonencoded(p["policy"])["Statement"])
        sg_ids = [ref(x) for x in as_list(p["security_group_ids"])] if "security_group_ids" in p else []
        endpoints[e] = (
            TF_CONDITIONS[one(p["count"])], one(p["vpc_endpoint_type"]), _pattern(one(p["service_name"])), ref(p["vpc_id"]),
            ref(p["route_table_ids"]) if "route_table_ids" in p else None, ref(p["subnet_ids"]) if "subnet_ids" in p else None,
            sg_ids, one(p.get("private_dns_enabled", False)), statements,
        )
    return {
        "function": ("VpcEnabled", ref(content["subnet_ids"]), [ref(x) for x in as_list(content["security_group_ids"])]),
        "security_groups": sgs,
        "endpoints": endpoints,
    }
