#!/usr/bin/env python3
"""Validates every YAML document under the given directories against the official JSON schema
for its kind, with a real validator (python3-jsonschema). Fails when nothing was validated, and
first proves the validator rejects a known-bad object, so that a green run means something."""
import copy
import ipaddress
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
CNP = ("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy")
CNP_SCHEMAS = {"standard": "clusternetworkpolicy-v1alpha2-standard.json",
               "experimental": "clusternetworkpolicy-v1alpha2-experimental.json"}
_cnp_schemas = {}
_cnp_validators = {}


def strict(schema, top=True):
    """The CRD's schema with every object closed (additionalProperties: false), as the strict
    NetworkPolicy schema is: the API server prunes a field its structural schema does not have,
    silently, so that a peer in the wrong place would be dropped rather than refused."""
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema and not top:
            schema["additionalProperties"] = False
        for k, v in schema.items():
            if k == "properties":
                for name, sub in v.items():
                    if name != "metadata":
                        strict(sub, False)
            elif isinstance(v, dict):
                strict(v, False)
    return schema


def cnp_schema(channel):
    if channel not in _cnp_schemas:
        with open(os.path.join(SCHEMAS, CNP_SCHEMAS[channel]), encoding="utf-8") as f:
            _cnp_schemas[channel] = strict(json.load(f))
        cls = jsonschema.validators.validator_for(_cnp_schemas[channel], default=jsonschema.Draft7Validator)
        cls.check_schema(_cnp_schemas[channel])
        _cnp_validators[channel] = cls(_cnp_schemas[channel])
    return _cnp_schemas[channel]


def is_cidr(v):
    """CEL's isCIDR, and canonical: Fence writes networks without host bits."""
    try:
        ipaddress.ip_network(v, strict=True)
        return "/" in v
    except ValueError:
        return False


# The CEL rules (x-kubernetes-validations) of the ClusterNetworkPolicy schemas, as Python: each
# takes the value the rule is attached to. A rule not listed here fails the test, so that a new
# schema cannot bring in a rule nobody checks.
CEL = {
    "self.start < self.end": lambda v: v["start"] < v["end"],
    "isCIDR(self)": is_cidr,
    "!(self.to.exists(peer, has(peer.networks) || has(peer.nodes) || has(peer.domainNames)) && has(self.protocols) && "
    "self.protocols.exists(protocol, has(protocol.destinationNamedPort)))":
        lambda v: not (any(("networks" in p or "nodes" in p or "domainNames" in p) for p in v["to"])
                       and "protocols" in v and any("destinationNamedPort" in q for q in v["protocols"])),
}


def cel_rules(schema, path="", out=None):
    """Every CEL rule of a schema: (path, rule, message)."""
    out = [] if out is None else out
    for v in schema.get("x-kubernetes-validations", []):
        out.append((path or "/", v["rule"], v.get("message", "")))
    for k, sub in schema.get("properties", {}).items():
        cel_rules(sub, f"{path}.{k}", out)
    if "items" in schema:
        cel_rules(schema["items"], f"{path}[]", out)
    return out


def cel_errors(schema, value, path=""):
    """Walks a document along its schema and evaluates each CEL rule where the document has a value."""
    errs = []
    for v in schema.get("x-kubernetes-validations", []):
        check = CEL.get(v["rule"])
        if check is None:
            errs.append(f"{path or '/'}: a CEL rule this test does not know: {v['rule']}")
        elif not check(value):
            errs.append(f"{path or '/'}: CEL rule fails ({v.get('message', '')}): {v['rule']}")
    if isinstance(value, dict):
        for k, sub in schema.get("properties", {}).items():
            if k in value:
                errs += cel_errors(sub, value[k], f"{path}/{k}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            errs += cel_errors(schema["items"], item, f"{path}/{i}")
    return errs


def cnp_errors(doc):
    """Against the standard channel's schema, or the experimental one's where the object uses its
    fields; the CEL rules of that schema; and what the API documents beyond both (domainNames only
    in Accept rules)."""
    spec = doc.get("spec") or {}
    experimental = any(("domainNames" in p or "nodes" in p) for r in spec.get("egress", []) or [] for p in r.get("to", []) or [])
    channels = ["experimental"] if experimental else ["standard", "experimental"]
    errs = []
    for ch in channels:
        schema = cnp_schema(ch)
        errs += [f"[{ch}] {'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in _cnp_validators[ch].iter_errors(doc)]
        errs += [f"[{ch}] {e}" for e in cel_errors(schema, doc)]
    for i, r in enumerate(spec.get("egress", []) or []):
        if any("domainNames" in p for p in r.get("to", []) or []) and r.get("action") != "Accept":
            errs.append(f"spec/egress/{i}: domainNames in a {r.get('action')} rule: the API supports them in Accept rules only")
    return errs
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
    if key == CNP:
        return cnp_errors(doc)
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
    cnp_self_test()


def cnp_self_test():
    # Every CEL rule of both schemas is one the test evaluates.
    for ch in CNP_SCHEMAS:
        rules = cel_rules(cnp_schema(ch))
        assert rules, f"no CEL rules found in the {ch} schema"
        for path, rule, _ in rules:
            assert rule in CEL, f"{ch} schema {path}: a CEL rule this test does not know: {rule}"
    good = {"apiVersion": CNP[0], "kind": CNP[1], "metadata": {"name": "x"},
            "spec": {"tier": "Admin", "priority": 10, "subject": {"namespaces": {}},
                     "egress": [{"name": "r", "action": "Deny", "to": [{"networks": ["10.0.0.0/8"]}],
                                 "protocols": [{"tcp": {"destinationPort": {"range": {"start": 80, "end": 90}}}}]},
                                {"action": "Accept", "to": [{"pods": {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "db"}}}}],
                                 "protocols": [{"destinationNamedPort": "http"}]}],
                     "ingress": [{"action": "Pass", "from": [{"namespaces": {"matchLabels": {"a": "b"}}}]}]}}
    assert not errors_of(good), errors_of(good)
    exp = copy.deepcopy(good)
    exp["spec"]["egress"][1]["to"].append({"domainNames": ["*.example.com"]})
    exp["spec"]["egress"][1]["protocols"] = [{"tcp": {"destinationPort": {"number": 443}}}]
    assert not errors_of(exp), errors_of(exp)
    for base, mutate in ((good, lambda d: d["spec"]["egress"][0]["protocols"][0]["tcp"]["destinationPort"]["range"].__setitem__("end", 80)),
                         (good, lambda d: d["spec"]["egress"][0]["to"][0]["networks"].__setitem__(0, "10.0.0.1/8")),
                         (good, lambda d: d["spec"]["egress"][0]["to"][0]["networks"].__setitem__(0, "10.0.0.0")),
                         (good, lambda d: d["spec"]["egress"][0]["protocols"].append({"destinationNamedPort": "http"})),
                         (good, lambda d: d["spec"]["ingress"][0]["from"].append({"networks": ["10.0.0.0/8"]})),
                         (good, lambda d: d["spec"]["egress"][0]["to"].append({"domainNames": ["example.com"]})),
                         (exp, lambda d: d["spec"]["egress"][1].__setitem__("action", "Deny")),
                         (good, lambda d: d["spec"]["egress"][0].__setitem__("name", "n" * 101)),
                         (good, lambda d: d["spec"].__setitem__("egress", d["spec"]["egress"] * 13)),
                         (good, lambda d: d["spec"]["egress"][0]["to"].extend([{"namespaces": {}}] * 25)),
                         (good, lambda d: d["spec"]["egress"][0]["to"][0].__setitem__("networks", ["10.%d.0.0/16" % i for i in range(26)])),
                         (good, lambda d: d["spec"]["egress"][0]["protocols"][0]["tcp"].pop("destinationPort")),
                         (good, lambda d: d["spec"].__setitem__("priority", 1001)),
                         (good, lambda d: d["spec"].__setitem__("subject", {"namespaces": {}, "pods": {"podSelector": {}}})),
                         (good, lambda d: d["spec"].__setitem__("tier", "Namespace"))):
        bad = copy.deepcopy(base)
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
