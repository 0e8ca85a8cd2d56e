#!/usr/bin/env python3
"""Validates every YAML document under the given directories against the official JSON schema
for its kind, with a real validator (python3-jsonschema). Fails when nothing was validated, and
first proves the validator rejects a known-bad object, so that a green run means something."""
import copy
import json
import os
import sys

import jsonschema

from yaml_docs import documents, report

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(os.path.dirname(HERE), "schemas")
BY_KIND = {
    ("networking.k8s.io/v1", "NetworkPolicy"): "networkpolicy-networking-v1.json",
    ("cilium.io/v2", "CiliumNetworkPolicy"): "ciliumnetworkpolicy-cilium-v2.json",
    ("cilium.io/v2", "CiliumClusterwideNetworkPolicy"): "ciliumclusterwidenetworkpolicy-cilium-v2.json",
}
# Calico publishes no JSON schema of its resources: their fields are checked by the structural
# tests of tests/unit/test_lower_calico.cpp and by the Calico reference evaluator, which refuses
# any field it does not know (tests/netpol/calico_eval.h, run on every example by property-calico).
NO_SCHEMA_API_VERSIONS = {"projectcalico.org/v3"}
_validators = {}


def validator(kind_key):
    if kind_key not in _validators:
        path = os.path.join(SCHEMAS, BY_KIND[kind_key])
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
        cls.check_schema(schema)
        _validators[kind_key] = cls(schema)
    return _validators[kind_key]


def errors_of(doc):
    key = (doc.get("apiVersion"), doc.get("kind"))
    if key not in BY_KIND:
        return [f"unknown kind {key}"]
    v = validator(key)
    if v is None:
        return [f"no schema for {key}"]
    return [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in v.iter_errors(doc)]


def self_test():
    good = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "x", "namespace": "y"},
            "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                     "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}], "ports": [{"protocol": "TCP", "port": 5432}]}]}}
    assert not errors_of(good), errors_of(good)
    for mutate in (lambda d: d["spec"].__setitem__("policyTypes", "Egress"),
                   lambda d: d["spec"]["egress"][0]["to"][0]["ipBlock"].pop("cidr"),
                   lambda d: d["spec"]["egress"][0]["ports"][0].__setitem__("endPort", "9000"),
                   lambda d: d["spec"].__setitem__("bogusField", 1)):
        bad = copy.deepcopy(good)
        mutate(bad)
        assert errors_of(bad), f"the validator accepted an invalid object: {bad}"
    cnp = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "x", "namespace": "y"},
           "spec": {"endpointSelector": {}, "egress": [{"toEndpoints": [{"matchLabels": {"app": "db"}}],
                                                        "toPorts": [{"ports": [{"port": "5432", "protocol": "TCP"}]}]}]}}
    ccnp = copy.deepcopy(cnp)
    ccnp["kind"] = "CiliumClusterwideNetworkPolicy"
    del ccnp["metadata"]["namespace"]
    for ok in (cnp, ccnp):
        assert not errors_of(ok), errors_of(ok)
    for mutate in (lambda d: d["spec"]["egress"][0]["toPorts"][0]["ports"][0].__setitem__("port", 5432),
                   lambda d: d["spec"]["egress"][0]["toPorts"][0].__setitem__("ports", [{"port": str(i + 1)} for i in range(41)]),
                   lambda d: d["spec"]["egress"][0]["toPorts"][0]["ports"][0].__setitem__("protocol", "ICMP"),
                   lambda d: d["spec"]["egress"][0].__setitem__("toEntities", ["galaxy"]),
                   lambda d: d["spec"].__setitem__("bogusField", 1)):
        for ok in (cnp, ccnp):
            bad = copy.deepcopy(ok)
            mutate(bad)
            assert errors_of(bad), f"the validator accepted an invalid object: {bad}"


def main(dirs):
    self_test()
    count, failures = 0, []
    for path, i, doc in documents(dirs):
        if doc.get("apiVersion") in NO_SCHEMA_API_VERSIONS:
            continue
        count += 1
        for e in errors_of(doc):
            failures.append(f"{path} document {i}: {e}")
    return report(count, failures, "documents validated")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
