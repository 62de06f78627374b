"""The five definitions describe one pipeline: Terraform and both CDK synth outputs have
the template's parameters, resources, outputs and settings. The bash scripts deploy the
template itself."""
import pytest

from conftest import load_synth, snake
from describe import TF_TYPES, describe_cfn, describe_terraform


def _dashboard_file():
    from conftest import INFRA

    return (INFRA / "dashboards" / "pipeline.json").read_text()


def _norm_default(v):
    return str(v).lower() if isinstance(v, bool) else str(v)


@pytest.mark.parametrize("app", ["cdk-typescript", "cdk-python"])
def test_cdk_synth_is_the_template(template, app):
    synth = load_synth(app)
    for section in ("Parameters", "Conditions", "Outputs"):
        assert sorted(synth.get(section, {})) == sorted(template[section]), f"{app}: {section} differ"
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
    for key in expected:
        assert d[key] == expected[key], f"terraform differs in {key}"
    # Conditional resources are conditional in Terraform too.
    for logical_id in ("AlarmTopic", "AlarmEmailSubscription"):
        count = terraform["resource"][TF_TYPES[template["Resources"][logical_id]["Type"]]][snake(logical_id)]["count"][0]
        assert "enable_notifications" in count, f"{logical_id} depends on enable_notifications"
    dashboard = terraform["resource"]["aws_cloudwatch_dashboard"]["pipeline_dashboard"]["dashboard_body"][0]
    assert "../dashboards/pipeline.json" in dashboard


def test_the_template_dashboard_is_the_shared_file(template):
    body = template["Resources"]["PipelineDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][0]
    assert body.strip() == _dashboard_file().strip()
