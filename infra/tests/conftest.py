"""Loaders for the five definitions, and the moto_server endpoint."""
import json
import os
import re
from pathlib import Path

import hcl2
import pytest
import yaml

INFRA = Path(__file__).resolve().parents[1]
TEMPLATE = INFRA / "cloudformation" / "pipeline.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref, !Sub, …) as their long forms."""


def _intrinsic(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else ("Condition" if suffix == "Condition" else f"Fn::{suffix}")
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
        return {name: value}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path=TEMPLATE):
    with open(path) as f:
        return yaml.load(f, Loader=_CfnLoader)


def load_synth(app):
    outs = sorted((INFRA / app / "cdk.out").glob("*.template.json"))
    if not outs:
        pytest.fail(f"no synthesised template in infra/{app}/cdk.out: run infra/tests/run.sh (it runs cdk synth first)")
    return json.loads(outs[0].read_text())


def load_terraform():
    merged = {"variable": {}, "resource": {}, "output": {}, "data": {}, "locals": {}}
    for tf in sorted((INFRA / "terraform").glob("*.tf")):
        with open(tf) as f:
            doc = hcl2.load(f)
        for block in ("variable", "output"):
            for entry in doc.get(block, []):
                merged[block].update(entry)
        for block in ("resource", "data"):
            for entry in doc.get(block, []):
                for rtype, by_name in entry.items():
                    merged[block].setdefault(rtype, {}).update(by_name)
        for entry in doc.get("locals", []):
            merged["locals"].update(entry)
    return merged


def snake(name):
    """KinesisShardCount -> kinesis_shard_count; DynamoDBTableName -> dynamodb_table_name."""
    name = name.replace("DynamoDB", "Dynamodb")
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="session")
def template():
    return load_template()


@pytest.fixture(scope="session")
def terraform():
    return load_terraform()


@pytest.fixture(scope="session")
def moto_endpoint():
    port = os.environ.get("MOTO_PORT", "5000")
    endpoint = f"http://127.0.0.1:{port}"
    import urllib.request

    try:
        urllib.request.urlopen(endpoint + "/", timeout=2)
    except OSError as e:
        pytest.fail(f"moto_server is not answering on {endpoint} ({e}): start it with scripts/emulators.sh start")
    return endpoint
