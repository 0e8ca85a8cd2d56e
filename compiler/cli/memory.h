// The memory guard: `--max-memory` bounds the bytes fence allocates, so that a program too large
// for the machine ends with a clear error (E0106) instead of an out-of-memory kill. The fence
// executable counts what operator new hands out; past the limit, new throws std::bad_alloc,
// which main() turns into the diagnostic.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fence::cli::memory {

// "4G", "512M", "800k", "1073741824" (bytes; suffixes are powers of 1024); "none" or "0" for no
// limit; "auto" for default_limit(). Nothing when the text is none of these.
std::optional<std::size_t> parse_size(std::string_view text);
// "4 GiB", "512 MiB", ...
std::string format_size(std::size_t bytes);

// Three quarters of the memory this process may use: the machine's, or its control group's
// limit when that is lower.
std::size_t default_limit();

// Sets the limit (0: none) on the bytes live at once.
void set_limit(std::size_t bytes);
std::size_t limit();
// Bytes allocated now, and the most allocated at once so far (give or take what other threads
// allocated or freed since they last added to the count: less than 64 KiB each).
std::size_t in_use();
std::size_t peak();
// For a process that will never set a limit (the language server): allocations are no longer
// counted, which saves two malloc_usable_size calls per object. in_use() and peak() then stop
// meaning anything.
void stop_counting();

}  // namespace fence::cli::memory
