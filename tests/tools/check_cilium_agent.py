#!/usr/bin/env python3
"""Checks every Cilium policy under the given directories against what Cilium's agent accepts,
beyond its CRD schema (validate_schema.py covers that): the rules of pkg/policy/api's Validate and
Sanitize, the label-selector validation the agent runs on its source-prefixed keys, and the
DNS-proxy rule that toFQDNs needs to enforce anything. An implementation independent of Fence's,
reading the emitted YAML. It first proves that it rejects a known-bad policy of each kind, so a
green run means something; it fails when it found no Cilium policy at all."""
import copy
import ipaddress
import re
import sys

from yaml_docs import documents, report

KINDS = {"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"}
MAX_PORTS = 40
L3_INGRESS = ["fromEndpoints", "fromCIDR", "fromCIDRSet", "fromEntities", "fromNodes", "fromGroups"]
L3_EGRESS = ["toEndpoints", "toCIDR", "toCIDRSet", "toEntities", "toFQDNs", "toServices", "toGroups", "toNodes"]
PROTOCOLS = {"TCP", "UDP", "SCTP", "ANY"}
NAMESPACE_KEY = "k8s:io.kubernetes.pod.namespace"
NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
HTTP_TOKEN = re.compile(r"^[-!#$%&'*+.^_`|~0-9A-Za-z]+$")


def qualified_name_error(key):
    """Kubernetes' IsQualifiedName, which the agent applies to the source-prefixed key."""
    parts = key.split("/")
    if len(parts) > 2:
        return "more than one '/'"
    name = parts[-1]
    if len(parts) == 2 and (not parts[0] or len(parts[0]) > 253 or not DNS_SUBDOMAIN.match(parts[0])):
        return f"prefix {parts[0]!r} is not a DNS subdomain"
    if not name or len(name) > 63 or not NAME_PART.match(name):
        return f"name part {name!r} is not a qualified name"
    return None


def extended_key(key):
    """The form the agent validates: SOURCE.KEY, with `any` for keys that name no source."""
    if ":" in key:
        source, rest = key.split(":", 1)
        return f"{source}.{rest}"
    return f"any.{key}"


def check_selector(sel, where, errors):
    for key, value in (sel.get("matchLabels") or {}).items():
        why = qualified_name_error(extended_key(key))
        if why:
            errors.append(f"{where}: key {key!r}: {why}")
        if value and (len(value) > 63 or not NAME_PART.match(value)):
            errors.append(f"{where}: value {value!r} of {key!r} is not a label value")
    for expr in sel.get("matchExpressions") or []:
        why = qualified_name_error(extended_key(expr["key"]))
        if why:
            errors.append(f"{where}: key {expr['key']!r}: {why}")
        values = expr.get("values") or []
        if expr["operator"] in ("In", "NotIn") and not values:
            errors.append(f"{where}: {expr['operator']} without values")
        if expr["operator"] in ("Exists", "DoesNotExist") and values:
            errors.append(f"{where}: {expr['operator']} with values")


def port_numbers(p):
    """The port numbers a PortProtocol covers (None for a named port), and whether it is port 0."""
    port = p["port"]
    if not isinstance(port, str):
        return "not a string", None
    if SVC_NAME.match(port) and not port.isdigit():
        return None, None
    try:
        first = int(port, 0)
    except ValueError:
        return f"port {port!r} is neither a number nor a name", None
    if not 0 <= first <= 65535:
        return f"port {port} out of range", None
    last = p.get("endPort") or first
    return None, range(first, max(first, last) + 1)


def protocols(p):
    proto = p.get("protocol", "ANY")
    return ["TCP", "UDP"] if proto == "ANY" else [proto]


def check_port_rule(pr, where, ingress, deny, errors, l7_ports):
    ports = pr.get("ports") or []
    if len(ports) > MAX_PORTS:
        errors.append(f"{where}: {len(ports)} ports, the agent takes at most {MAX_PORTS}")
    rules = pr.get("rules") or {}
    if deny and rules:
        errors.append(f"{where}: a deny rule with L7 rules")
    kinds = [k for k in ("http", "dns", "kafka", "l7proto") if rules.get(k)]
    if len(kinds) > 1:
        errors.append(f"{where}: more than one L7 kind ({', '.join(kinds)})")
    for i, p in enumerate(ports):
        pw = f"{where}/ports/{i}"
        if p.get("protocol", "ANY") not in PROTOCOLS:
            errors.append(f"{pw}: protocol {p.get('protocol')!r}")
        problem, numbers = port_numbers(p)
        if problem:
            errors.append(f"{pw}: {problem}")
            continue
        if kinds and numbers is not None and 0 in numbers:
            errors.append(f"{pw}: L7 rules on port 0")
        if "http" in kinds and p.get("protocol") != "TCP":
            errors.append(f"{pw}: HTTP rules on {p.get('protocol', 'ANY')}, not TCP")
        if "dns" in kinds:
            if ingress:
                errors.append(f"{pw}: DNS rules on ingress")
            if numbers is None or list(numbers) != [53]:
                errors.append(f"{pw}: DNS rules need port 53 without a range, not {p['port']}-{p.get('endPort', '')}")
        for kind in kinds:
            for proto in protocols(p):
                for n in numbers if numbers is not None else [p["port"]]:
                    l7_ports.setdefault((proto, n), set()).add(kind)
    for i, h in enumerate(rules.get("http") or []):
        for field in ("path", "method", "host"):
            if field in h and not isinstance(h[field], str):
                errors.append(f"{where}/rules/http/{i}: {field} is not a string")
        for header in h.get("headers") or []:
            # The proxy splits at the first space and drops a ':' from the name: "Name: value".
            first, _, rest = header.partition(" ")
            if not HTTP_TOKEN.match(first.rstrip(":")) or bool(rest) != first.endswith(":"):
                errors.append(f"{where}/rules/http/{i}: header {header!r} is not 'Name' or 'Name: value'")
    if ports == [] and rules:
        errors.append(f"{where}: L7 rules without ports")


def check_cidr(c, where, errors):
    net = ipaddress.ip_network(c["cidr"], strict=True)
    for e in c.get("except") or []:
        ex = ipaddress.ip_network(e, strict=True)
        if ex.version != net.version or not ex.subnet_of(net) or ex.prefixlen <= net.prefixlen:
            errors.append(f"{where}: except {e} is not inside {c['cidr']}")


def pattern_covers(pattern, name):
    """Cilium's matchPattern: '*' matches DNS characters within one label."""
    if pattern == "*":
        return True
    rx = "^" + re.escape(pattern.rstrip(".")).replace(r"\*", "[-a-zA-Z0-9_]*") + "$"
    return re.match(rx, name.rstrip("."), re.IGNORECASE) is not None


def dns_covers(selectors, fqdn):
    for s in selectors:
        if "matchName" in s and "matchName" in fqdn and s["matchName"].lower() == fqdn["matchName"].lower():
            return True
        if "matchPattern" in s:
            if "matchName" in fqdn and pattern_covers(s["matchPattern"], fqdn["matchName"]):
                return True
            if "matchPattern" in fqdn and (s["matchPattern"] == "*" or s["matchPattern"].lower() == fqdn["matchPattern"].lower()):
                return True
    return False


def check_policy(doc):
    errors = []
    spec = doc.get("spec") or {}
    sections = [k for k in ("ingress", "ingressDeny", "egress", "egressDeny") if spec.get(k)]
    if not sections:
        errors.append("spec: none of ingress, ingressDeny, egress, egressDeny")
    selector = spec.get("endpointSelector")
    if selector is None:
        errors.append("spec: no endpointSelector")
    else:
        check_selector(selector, "spec/endpointSelector", errors)
        if doc["kind"] == "CiliumNetworkPolicy" and NAMESPACE_KEY in (selector.get("matchLabels") or {}):
            errors.append("spec/endpointSelector: a namespaced policy names a namespace, which the agent removes")
    l7_ports = {}
    fqdns, dns_rules = [], []
    for section in sections:
        ingress = section.startswith("ingress")
        deny = section.endswith("Deny")
        l3 = L3_INGRESS if ingress else L3_EGRESS
        for i, rule in enumerate(spec[section]):
            where = f"spec/{section}/{i}"
            present = [k for k in l3 if rule.get(k)]
            if len(present) > 1:
                errors.append(f"{where}: peers of several kinds ({', '.join(present)}) in one rule")
            if deny and rule.get("toFQDNs"):
                errors.append(f"{where}: toFQDNs in a deny rule")
            for k in ("toEndpoints", "fromEndpoints"):
                for j, sel in enumerate(rule.get(k) or []):
                    check_selector(sel, f"{where}/{k}/{j}", errors)
            for k in ("toCIDRSet", "fromCIDRSet"):
                for j, c in enumerate(rule.get(k) or []):
                    check_cidr(c, f"{where}/{k}/{j}", errors)
            fqdns.extend(rule.get("toFQDNs") or [])
            for j, pr in enumerate(rule.get("toPorts") or []):
                check_port_rule(pr, f"{where}/toPorts/{j}", ingress, deny, errors, l7_ports)
                dns_rules.extend((pr.get("rules") or {}).get("dns") or [])
    for (proto, port), kinds in sorted(l7_ports.items(), key=str):
        if len(kinds) > 1:
            errors.append(f"port {port}/{proto}: L7 rules of several kinds ({', '.join(sorted(kinds))}) for one endpoint")
    for f in fqdns:
        if not dns_covers(dns_rules, f):
            errors.append(f"toFQDNs {f}: no DNS-proxy rule (rules.dns on port 53) covers it, so Cilium would learn no address for it")
    return errors


def self_test():
    good = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "x", "namespace": "y"},
            "spec": {"endpointSelector": {"matchLabels": {"app": "web"}},
                     "egress": [{"toFQDNs": [{"matchName": "api.example.com"}], "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]},
                                {"toEndpoints": [{"matchLabels": {NAMESPACE_KEY: "kube-system", "k8s-app": "kube-dns"}}],
                                 "toPorts": [{"ports": [{"port": "53", "protocol": "UDP"}, {"port": "53", "protocol": "TCP"}],
                                               "rules": {"dns": [{"matchPattern": "*.example.com"}]}}]},
                                {"toEndpoints": [{"matchLabels": {"app": "api"}}],
                                 "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}], "rules": {"http": [{"method": "GET"}]}}]},
                                {"toCIDRSet": [{"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}]}],
                     "egressDeny": [{"toEntities": ["world"], "toPorts": [{"ports": [{"port": "25", "protocol": "TCP"}]}]}]}}
    assert not check_policy(good), check_policy(good)
    e = ["spec", "egress"]

    def at(d, *path):
        for p in path:
            d = d[p]
        return d
    mutations = [
        lambda d: at(d, *e)[0].__setitem__("toCIDRSet", [{"cidr": "1.2.3.0/24"}]),                      # two peer kinds
        lambda d: at(d, *e)[2]["toPorts"][0].__setitem__("ports", [{"port": str(i + 1), "protocol": "TCP"} for i in range(41)]),
        lambda d: at(d, *e)[2]["toPorts"][0]["ports"][0].__setitem__("protocol", "UDP"),                # HTTP on UDP
        lambda d: at(d, *e)[2]["toPorts"][0]["ports"][0].__setitem__("port", "0"),                      # L7 on port 0
        lambda d: at(d, *e)[1]["toPorts"][0]["ports"][0].__setitem__("endPort", 60),                    # DNS on a range
        lambda d: at(d, *e)[1]["toPorts"][0]["ports"][0].__setitem__("port", "5353"),                   # DNS off port 53
        lambda d: at(d, *e)[1]["toPorts"][0]["rules"].__setitem__("http", [{}]),                        # two L7 kinds
        lambda d: at(d, *e)[2]["toPorts"][0]["ports"][0].__setitem__("port", "53"),                     # HTTP and DNS on 53/TCP
        lambda d: at(d, *e)[3]["toCIDRSet"][0].__setitem__("except", ["192.168.0.0/16"]),               # except outside
        lambda d: at(d, *e).pop(1),                                                                      # toFQDNs without DNS proxy
        lambda d: d["spec"]["egressDeny"][0]["toPorts"][0].__setitem__("rules", {"http": [{}]}),        # L7 in a deny
        lambda d: d["spec"]["egressDeny"][0].__setitem__("toFQDNs", [{"matchName": "a.b"}]),            # FQDN in a deny
        lambda d: d["spec"]["endpointSelector"]["matchLabels"].__setitem__("k" * 60, "x"),              # any.KEY too long
        lambda d: at(d, *e)[1]["toEndpoints"][0]["matchLabels"].__setitem__("k8s:io.cilium.k8s.namespace.labels." + "t" * 29, "x"),
        lambda d: d["spec"]["endpointSelector"]["matchLabels"].__setitem__(NAMESPACE_KEY, "y"),
        lambda d: [d["spec"].pop(k) for k in ("egress", "egressDeny")],                                 # no section
        lambda d: at(d, *e)[2]["toPorts"][0]["rules"]["http"][0].__setitem__("headers", ["X-Id:1"]),     # header Cilium misreads
    ]
    for i, mutate in enumerate(mutations):
        bad = copy.deepcopy(good)
        mutate(bad)
        assert check_policy(bad), f"mutation {i} was not caught: {bad}"


def main(dirs):
    self_test()
    count, failures = 0, []
    for path, i, doc in documents(dirs):
        if doc.get("kind") not in KINDS:
            continue
        count += 1
        for problem in check_policy(doc):
            failures.append(f"{path} document {i} ({doc['metadata']['name']}): {problem}")
    return report(count, failures, "Cilium policies checked against the agent's rules")

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
