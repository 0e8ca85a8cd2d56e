// Object names shared by every target: readable, stable, and valid DNS subdomains.
#pragma once

#include <string>
#include <string_view>

#include "net/selector.h"

namespace fence::lower {

// Every object Fence writes carries this label (value "fence") and this annotation (its sources).
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kSourceAnnotation = "fence.dev/source";

// A DNS-subdomain-safe slug for a pod selector: the workload name for `app=web-api`, "all-pods"
// for every pod, a slug of the selector otherwise. At most 200 characters.
std::string subject_slug(const net::LabelSelector& pods);
// Eight hex digits of a stable hash (FNV-1a), for telling apart names that collide.
std::string short_hash(std::string_view text);
// Lower-cases and replaces what a DNS subdomain cannot hold; never empty.
std::string slugify(std::string_view text, std::size_t max_len);

}  // namespace fence::lower
