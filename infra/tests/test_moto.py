"""Deploys against moto_server: the template with non-default parameters (checked
through each service's API), and the scripts' whole life cycle: deploy.sh,
show-outputs.sh, create-dashboard.sh, destroy.sh, verify-cleanup.sh.

moto creates the stream, table, queue, topic, role, function and event source mapping;
it skips CloudWatch alarms silently, never runs the function, and ignores encryption,
tracing and the architecture: test_template.py checks those in the template."""
import ast
import json
import os
import subprocess
import urllib.parse
import uuid
import zipfile
from pathlib import Path

import boto3
import pytest

from conftest import INFRA, TEMPLATE

SCRIPTS = INFRA / "scripts"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def aws(moto_endpoint):
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
    return lambda service: session.client(service, endpoint_url=moto_endpoint)


@pytest.fixture(scope="module")
def function_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("zip") / "bootstrap.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    return path


def test_the_template_deploys_with_its_parameters(aws, function_zip):
    project = "cfn-" + uuid.uuid4().hex[:8]
    s3 = aws("s3")
    s3.create_bucket(Bucket=project + "-code")
    s3.upload_file(str(function_zip), project + "-code", "bootstrap.zip")
    params = {
        "ProjectName": project,
        "Environment": "staging",
        "KinesisShardCount": "3",
        "LambdaMemorySize": "512",
        "LambdaTimeout": "60",
        "LambdaArchitecture": "x86_64",
        "LambdaCodeS3Bucket": project + "-code",
        "LambdaCodeS3Key": "bootstrap.zip",
        "DynamoDBBillingMode": "PROVISIONED",
        "DynamoDBReadCapacity": "7",
        "DynamoDBWriteCapacity": "9",
        "EnableNotifications": "true",
        "NotificationEmail": "ops@example.com",
    }
    cfn = aws("cloudformation")
    stack = project + "-stack"
    cfn.create_stack(
        StackName=stack,
        TemplateBody=TEMPLATE.read_text(),
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
    )
    try:
        cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        _check_deployment(aws, cfn, stack, project)
    finally:
        cfn.delete_stack(StackName=stack)
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    assert f"{project}-staging-events" not in aws("kinesis").list_streams()["StreamNames"]


def _check_deployment(aws, cfn, stack, project):
    outputs = {o["OutputKey"]: o["OutputValue"] for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    prefix = f"{project}-staging"
    assert outputs["KinesisStreamName"] == f"{prefix}-events"
    assert outputs["DynamoDBTableName"] == f"{prefix}-events"
    assert outputs["LambdaFunctionName"] == f"{prefix}-processor"
    assert outputs["DeadLetterQueueUrl"].endswith(f"/{prefix}-dlq")
    assert outputs["DashboardName"] == f"{prefix}-pipeline"
    assert "AlarmTopicArn" in outputs

    stream = aws("kinesis").describe_stream_summary(StreamName=f"{prefix}-events")["StreamDescriptionSummary"]
    assert stream["OpenShardCount"] == 3
    assert stream["RetentionPeriodHours"] == 24

    table = aws("dynamodb").describe_table(TableName=f"{prefix}-events")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert (table["ProvisionedThroughput"]["ReadCapacityUnits"], table["ProvisionedThroughput"]["WriteCapacityUnits"]) == (7, 9)
    assert sorted((k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]) == [("eventKey", "RANGE"), ("userId", "HASH")]

    sqs = aws("sqs")
    attrs = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName=f"{prefix}-dlq")["QueueUrl"], AttributeNames=["All"])["Attributes"]
    assert attrs["MessageRetentionPeriod"] == "1209600"

    lam = aws("lambda")
    fn = lam.get_function_configuration(FunctionName=f"{prefix}-processor")
    assert (fn["Runtime"], fn["Handler"], fn["MemorySize"], fn["Timeout"]) == ("provided.al2023", "bootstrap", 512, 60)
    env = fn["Environment"]["Variables"]
    assert env["TABLE_NAME"] == f"{prefix}-events" and env["DLQ_URL"] == outputs["DeadLetterQueueUrl"]
    mappings = lam.list_event_source_mappings(FunctionName=f"{prefix}-processor")["EventSourceMappings"]
    assert len(mappings) == 1
    m = mappings[0]
    assert m["EventSourceArn"] == outputs["KinesisStreamArn"]
    assert (m["BatchSize"], m["MaximumBatchingWindowInSeconds"], m["StartingPosition"]) == (100, 5, "LATEST")
    assert m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and m["BisectBatchOnFunctionError"] is True
    assert m["DestinationConfig"]["OnFailure"]["Destination"] == outputs["DeadLetterQueueArn"]

    # moto creates the topic but skips AWS::SNS::Subscription, as it skips alarms;
    # test_template.py checks both in the template.
    assert aws("sns").get_topic_attributes(TopicArn=outputs["AlarmTopicArn"])["Attributes"]["TopicArn"]
    role = aws("iam").get_role_policy(RoleName=f"{prefix}-processor", PolicyName="pipeline")
    doc = _policy(role["PolicyDocument"])
    # Outside VPC mode the role has no EC2 permission at all.
    assert {s["Sid"] for s in doc["Statement"]} == {"ReadTheStream", "WriteTheTable", "DeadLetter", "UseThePipelineKey", "WriteItsLogs", "Tracing"}
    # No results bucket given: no results policy, and the workers' policy has no S3 access.
    assert "LoadgenResultsPolicyArn" not in outputs
    worker = _worker_policy(aws, outputs["LoadgenWorkerPolicyArn"])
    assert {s["Sid"] for s in worker["Statement"]} == WORKER_SIDS
    by_sid = {s["Sid"]: s for s in worker["Statement"]}
    assert by_sid["ReadTheStackOutputs"]["Resource"] == cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackId"]
    assert by_sid["ProduceToTheStream"]["Resource"] == outputs["KinesisStreamArn"]


# What the workers' policy grants (LoadgenResultsPolicy adds S3 on the prefix).
WORKER_SIDS = {"ProduceToTheStream", "VerifyTracerItems", "CountDeadLetters", "ReadTheStackOutputs", "ReadThePipelineMetrics", "UseThePipelineKey"}


def _worker_policy(aws, arn):
    iam = aws("iam")
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    return _policy(iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"])


def _network(aws):
    """A VPC with two private subnets in two zones and their route table."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"]["SubnetId"]
        for i, zone in enumerate("ab")
    ]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    return vpc, subnets, table


def _policy(doc):
    """A policy document as moto answers it: as text (JSON, or a Python repr), and with a
    statement under a false `Fn::If` left as null where CloudFormation drops it."""
    if isinstance(doc, str):
        text = urllib.parse.unquote(doc)
        try:
            doc = json.loads(text)
        except ValueError:
            doc = ast.literal_eval(text)
    doc["Statement"] = [s for s in doc["Statement"] if s is not None]
    return doc


def _check_vpc_mode(aws, prefix, vpc, subnets, table):
    fn = aws("lambda").get_function_configuration(FunctionName=f"{prefix}-processor")
    assert sorted(fn["VpcConfig"]["SubnetIds"]) == sorted(subnets)
    ec2 = aws("ec2")
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]}
    function_sg, endpoint_sg = groups[f"{prefix}-processor"], groups[f"{prefix}-endpoints"]
    assert fn["VpcConfig"]["SecurityGroupIds"] == [function_sg["GroupId"]]
    # moto ignores a security group's inline rules: test_template.py checks them.
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]
    by_service = {e["ServiceName"].rsplit(".", 1)[1]: e for e in endpoints}
    assert sorted(by_service) == ["dynamodb", "kinesis-streams", "kms", "logs", "sqs"], sorted(by_service)
    assert by_service["dynamodb"]["VpcEndpointType"] == "Gateway" and by_service["dynamodb"]["RouteTableIds"] == [table]
    for service in ("kinesis-streams", "kms", "logs", "sqs"):
        e = by_service[service]
        assert e["VpcEndpointType"] == "Interface" and sorted(e["SubnetIds"]) == sorted(subnets), e
        assert [g["GroupId"] for g in e["Groups"]] == [endpoint_sg["GroupId"]], e
    for e in endpoints:
        statement = _policy(e["PolicyDocument"])["Statement"]
        assert len(statement) == 1 and statement[0]["Resource"].startswith("arn:aws:"), (e["ServiceName"], statement)
    role = aws("iam").get_role_policy(RoleName=f"{prefix}-processor", PolicyName="pipeline")
    sids = {s["Sid"] for s in _policy(role["PolicyDocument"])["Statement"]}
    assert {"DescribeTheVpc", "ManageNetworkInterfaces"} <= sids, sids


def test_the_template_deploys_in_vpc_mode(aws, function_zip):
    project = "vpc-" + uuid.uuid4().hex[:8]
    vpc, subnets, table = _network(aws)
    aws("s3").create_bucket(Bucket=project + "-code")
    aws("s3").upload_file(str(function_zip), project + "-code", "bootstrap.zip")
    params = {
        "ProjectName": project, "LambdaCodeS3Bucket": project + "-code", "LambdaCodeS3Key": "bootstrap.zip",
        "EnableVpc": "true", "VpcId": vpc, "VpcSubnetIds": ",".join(subnets), "VpcRouteTableIds": table,
    }
    cfn = aws("cloudformation")
    stack = project + "-stack"
    cfn.create_stack(
        StackName=stack, TemplateBody=TEMPLATE.read_text(), Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()],
    )
    try:
        cfn.get_waiter("stack_create_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        _check_vpc_mode(aws, f"{project}-dev", vpc, subnets, table)
    finally:
        cfn.delete_stack(StackName=stack)
    cfn.get_waiter("stack_delete_complete").wait(StackName=stack, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    # (moto leaves VPC endpoints behind when their stack is deleted; AWS removes them.)


def _run(script, *args, env, check=True):
    p = subprocess.run([str(SCRIPTS / script), *args], env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    if check:
        assert p.returncode == 0, f"{script} {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}"
    return p


@pytest.fixture(scope="module")
def script_env(moto_endpoint):
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="x",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL=moto_endpoint,
        AWS_EC2_METADATA_DISABLED="true",
    )
    env["PATH"] = f"{Path(__file__).resolve().parents[2] / '.venv-infra' / 'bin'}:{env['PATH']}"
    return env


def test_the_scripts_deploy_show_and_destroy(script_env, function_zip, aws):
    project = "sh-" + uuid.uuid4().hex[:8]
    stack = f"{project}-dev-pipeline"
    common = ["--project", project, "--environment", "dev"]
    results = ["--loadgen-results", f"s3://{project}-results/loads/"]
    out = _run("deploy.sh", *common, "--shards", "2", "--zip", str(function_zip), "--notify", "ops@example.com", *results, env=script_env)
    assert f"{project}-dev-events" in out.stdout and "AlarmTopicArn" in out.stdout, out.stdout
    assert "loadgen --stream" in out.stdout
    # The workers' policy grants S3 on the results prefix, and only there.
    arn = next(line.split()[-1] for line in out.stdout.splitlines() if "LoadgenResultsPolicyArn" in line)
    results = {s["Sid"]: s for s in _worker_policy(aws, arn)["Statement"]}
    assert set(results) == {"WriteAndReadTheResults", "ListTheResults"}, sorted(results)
    assert results["WriteAndReadTheResults"]["Resource"] == f"arn:aws:s3:::{project}-results/loads/*"
    assert results["ListTheResults"]["Resource"] == f"arn:aws:s3:::{project}-results"
    assert results["ListTheResults"]["Condition"] == {"StringLike": {"s3:prefix": "loads/*"}}

    env_out = _run("show-outputs.sh", "--stack-name", stack, "--format", "env", env=script_env).stdout
    assert f"KINESIS_STREAM_NAME={project}-dev-events" in env_out, env_out
    assert "DYNAMODB_TABLE_NAME=" in env_out and "DEAD_LETTER_QUEUE_URL=" in env_out, env_out

    # Deploying again with nothing changed is not an error.
    _run("deploy.sh", *common, "--shards", "2", "--zip", str(function_zip), "--notify", "ops@example.com", env=script_env)
    dash = _run("create-dashboard.sh", "--stack-name", stack, env=script_env).stdout
    assert f"dashboards:name={project}-dev-pipeline" in dash

    left = _run("verify-cleanup.sh", *common, env=script_env, check=False)
    assert left.returncode == 1, "a deployed pipeline is not clean"
    for thing in ("Kinesis stream", "DynamoDB table", "SQS queue", "Lambda function", "event source mapping", "IAM role", "SNS topic"):
        assert thing in left.stderr, f"verify-cleanup.sh should list the {thing}:\n{left.stderr}"

    refused = _run("destroy.sh", "--stack-name", stack, env=script_env, check=False)
    assert refused.returncode == 2 and "--yes" in refused.stderr, "no deletion without confirmation"
    _run("destroy.sh", "--stack-name", stack, "--yes", "--delete-artifacts", env=script_env)
    clean = _run("verify-cleanup.sh", *common, env=script_env)
    assert "clean" in clean.stdout


def test_test_pipeline_runs_loadgen_against_the_deployed_stack(script_env, function_zip, tmp_path):
    """moto stores the events but never runs the function: loadgen must find every
    sampled event missing from the table and say so (exit 3 with --max-lost 0)."""
    loadgen = Path(__file__).resolve().parents[2] / "target" / "debug" / "loadgen"
    assert loadgen.is_file(), f"no {loadgen}: build it first (cargo build -p loadgen; scripts/test.sh does)"
    project = "tp-" + uuid.uuid4().hex[:8]
    stack = f"{project}-dev-pipeline"
    _run("deploy.sh", "--project", project, "--zip", str(function_zip), env=script_env)
    try:
        env = dict(script_env, LOADGEN=str(loadgen))
        out = tmp_path / "run"
        p = _run("test-pipeline.sh", "--stack-name", stack, "--rps", "50", "--duration", "2s", "--out", str(out),
                 "--", "--settle", "2s", "--quiet", env=env, check=False)
        assert p.returncode == 3, f"exit {p.returncode}:\n{p.stdout}\n{p.stderr}"
        assert "Verdict: DOES NOT HOLD" in p.stdout and "0 of 100 sampled events reached the table" in p.stdout, p.stdout
        assert (out / "report.html").is_file() and (out / "result.json").is_file()
    finally:
        _run("destroy.sh", "--stack-name", stack, "--yes", "--delete-artifacts", env=script_env)


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.sh") if p.name != "common.sh"))
def test_scripts_have_help_and_reject_bad_options(script, script_env):
    help_ = _run(script, "--help", env=script_env)
    assert "Usage: infra/scripts/" + script in help_.stdout, help_.stdout
    bad = _run(script, "--no-such-option", env=script_env, check=False)
    assert bad.returncode == 2 and "unknown option '--no-such-option'" in bad.stderr, bad.stderr


def test_scripts_name_a_missing_stack(script_env):
    for script in ("show-outputs.sh", "destroy.sh", "create-dashboard.sh", "test-pipeline.sh"):
        extra = ["--yes"] if script == "destroy.sh" else []
        p = _run(script, "--stack-name", "no-such-stack", *extra, env=script_env, check=False)
        assert p.returncode == 1 and "stack 'no-such-stack' not found" in p.stderr, f"{script}: {p.stderr}"


def test_deploy_sh_in_vpc_mode(script_env, function_zip, aws):
    project = "shv-" + uuid.uuid4().hex[:8]
    vpc, subnets, table = _network(aws)
    stack = f"{project}-dev-pipeline"
    _run("deploy.sh", "--project", project, "--zip", str(function_zip), "--vpc", vpc, "--subnets", ",".join(subnets),
         "--route-tables", table, env=script_env)
    try:
        _check_vpc_mode(aws, f"{project}-dev", vpc, subnets, table)
    finally:
        _run("destroy.sh", "--stack-name", stack, "--yes", "--delete-artifacts", env=script_env)


def test_deploy_rejects_bad_parameters(script_env):
    for args, needle in [
        (["--vpc", "vpc-0123456789abcdef0"], "VPC mode needs --subnets"),
        (["--subnets", "subnet-01234567"], "VPC mode needs --vpc"),
        (["--loadgen-results", "s3://my-bucket/no-slash"], "--loadgen-results needs s3://BUCKET/PREFIX/"),
        (["--loadgen-results", "/tmp/results"], "--loadgen-results needs s3://BUCKET/PREFIX/"),
        (["--vpc", "vpc-01234567", "--subnets", "subnet-01234567", "--route-tables", "rtb-01234567", "--security-group", "web"],
         "--security-group needs a security group id"),
        (["--shards", "0"], "--shards must be a positive whole number"),
        (["--environment", "qa"], "--environment is dev, staging or prod"),
        (["--billing-mode", "ON_DEMAND"], "--billing-mode is PAY_PER_REQUEST or PROVISIONED"),
        (["--notify", "not-an-address"], "--notify needs an e-mail address"),
        (["--project", "Bad_Name"], "--project must be"),
        (["--memory", "64"], "--memory must be 128-10240 MB"),
    ]:
        p = _run("deploy.sh", *args, env=script_env, check=False)
        assert p.returncode == 2 and needle in p.stderr, f"{args}: {p.stderr}"
