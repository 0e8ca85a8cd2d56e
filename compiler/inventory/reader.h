// Reading manifests into an inventory's model, with yaml-cpp: multi-document YAML streams (what
// kustomize and Helm render), JSON, and `kind: List` (what `kubectl get -o yaml` prints), with
// anchors, aliases and merge keys. Kinds: Namespace, Pod, Deployment, StatefulSet, DaemonSet,
// ReplicaSet, ReplicationController, Job, CronJob (their pods' labels and every container's and
// init container's ports) and Service (selector and ports); other kinds are skipped.
//
// Malformed input is a diagnostic at its line and column, never an exception: E0801 where the
// text is not YAML (the rest of the file is then unread), E0802 where an object that Fence reads
// is not what the API server would accept (that object is left out). Values the API server would
// refuse are refused here too: a label value YAML reads as a number, a protocol in lower case, a
// port out of range.
#pragma once

#include <string>

#include "inventory/inventory.h"

namespace fence::inventory {

// Reads one file. `path` is how diagnostics name it. Nothing is thrown for bad input.
FileContents read_manifests(std::string path, std::string text);

}  // namespace fence::inventory
