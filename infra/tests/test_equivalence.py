"""The five definitions describe one pipeline: Terraform and both CDK synth outputs have
the template's parameters, resources, outputs and settings. The bash scripts deploy the
template itself."""
import pytest

from conftest import load_synth, snake
from describe import TF_CONDITIONS, TF_TYPES, TF_WORKER_POLICY_ONLY_IN_CFN, describe_cfn, describe_terraform


def _dashboard_file():
    from conftest import INFRA

    return (INFRA / "dashboards" / "pipeline.json").read_text()


def _norm_default(v):
    """Defaults compared as text: booleans as CloudFormation writes them, and an empty
    list (Terraform's list(string)) as an empty CommaDelimitedList."""
    if isinstance(v, list):
        return ",".join(map(str, v))
    return str(v).lower() if isinstance(v, bool) else str(v)


@pytest.mark.parametrize("app", ["cdk-typescript", "cdk-python"])
def test_cdk_synth_is_the_template(template, app):
    synth = load_synth(app)
    for section in ("Parameters", "Conditions", "Outputs"):
        assert sorted(synth.get(section, {})) == sorted(template[section]), f"{app}: {section} differ"
    assert synth.get("Rules") == template["Rules"], f"{app}: the rules differ"
    for name, p in template["Parameters"].items():
        s = synth["Parameters"][name]
        for field in ("Type", "Default", "AllowedValues", "AllowedPattern", "MinValue", "MaxValue"):
            assert _norm_default(s.get(field)) == _norm_default(p.get(field)), f"{app}: {name}.{field}"
    for name, o in template["Outputs"].items():
        assert synth["Outputs"][name].get("Condition") == o.get("Condition"), f"{app}: output {name}'s condition"
    types = {k: v["Type"] for k, v in template["Resources"].items()}
    assert {k: v["Type"] for k, v in synth["Resources"].items()} == types, f"{app}: resources differ"
    for k, v in template["Resources"].items():
        assert synth["Resources"][k].get("Condition") == v.get("Condition"), f"{app}: {k}'s condition"
    assert describe_cfn(synth) == describe_cfn(template)
    # The dashboard is the shared file, substituted.
    body = synth["Resources"]["PipelineDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][0]
    assert body == _dashboard_file()


def test_terraform_is_the_template(template, terraform):
    params = {snake(p) for p in template["Parameters"]}
    assert set(terraform["variable"]) == params | {"common_tags"}
    for name, p in template["Parameters"].items():
        default = terraform["variable"][snake(name)]["default"][0]
        assert _norm_default(default) == _norm_default(p["Default"]), f"{snake(name)} default"
    assert set(terraform["output"]) == {snake(o) for o in template["Outputs"]}
    d = describe_terraform(terraform, template)
    for logical_id, spec in template["Resources"].items():
        assert d["types"].get(logical_id) == TF_TYPES[spec["Type"]], f"{logical_id} ({spec['Type']}) as {TF_TYPES[spec['Type']]}.{snake(logical_id)}"
    expected = describe_cfn(template)
    for sid in TF_WORKER_POLICY_ONLY_IN_CFN:
        del expected["worker_policies"]["LoadgenWorkerPolicy"]["statements"][sid]
    for key in expected:
        assert d[key] == expected[key], f"terraform differs in {key}"
    # Conditional resources are conditional in Terraform too.
    for logical_id, spec in template["Resources"].items():
        if "Condition" in spec:
            count = terraform["resource"][TF_TYPES[spec["Type"]]][snake(logical_id)].get("count", [""])[0]
            assert TF_CONDITIONS.get(count) == spec["Condition"], \
                f"{logical_id} is created under {spec['Condition']} in the template, under count = {count!r} in Terraform"
    # The template's VpcModeNeedsItsNetwork rule is the function's precondition.
    precondition = terraform["resource"]["aws_lambda_function"]["processor_function"]["lifecycle"][0]["precondition"][0]
    for name in ("var.enable_vpc", "var.vpc_id", "var.vpc_subnet_ids", "var.vpc_route_table_ids"):
        assert name in precondition["condition"][0], f"the VPC precondition checks {name}"
    dashboard = terraform["resource"]["aws_cloudwatch_dashboard"]["pipeline_dashboard"]["dashboard_body"][0]
    assert "../dashboards/pipeline.json" in dashboard


def test_the_template_dashboard_is_the_shared_file(template):
    body = template["Resources"]["PipelineDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][0]
    assert body.strip() == _dashboard_file().strip()
