// fmt's out-of-line functions, for a binary that does not link libfmt.so (FENCE_STATIC_DEPS):
// this file is compiled in fmt's header-only mode, where those functions are inline; taking
// their addresses makes the compiler emit them here (as weak definitions), and the rest of Fence,
// compiled against the shared library's declarations, links to them. A function Fence starts to
// use that is missing here shows up as an undefined fmt::v9 symbol when linking: add it below.
#include <fmt/format.h>

namespace fence::fmt_in_binary {

struct Functions {
  std::string (*vformat)(fmt::string_view, fmt::format_args);
  void (*vprint)(fmt::string_view, fmt::format_args);
  void (*vprint_file)(std::FILE*, fmt::string_view, fmt::format_args);
  void (*throw_format_error)(const char*);
  void (*assert_fail)(const char*, int, const char*);
  bool (*is_printable)(uint32_t);
  fmt::detail::dragonbox::decimal_fp<double> (*to_decimal_double)(double) noexcept;
  fmt::detail::dragonbox::decimal_fp<float> (*to_decimal_float)(float) noexcept;
  fmt::detail::thousands_sep_result<char> (*thousands_sep)(fmt::detail::locale_ref);
  char (*decimal_point)(fmt::detail::locale_ref);
  void (fmt::detail::buffer<char>::*append)(const char*, const char*);
};

extern const Functions kFunctions;
const Functions kFunctions{
    &fmt::vformat,
    &fmt::vprint,
    &fmt::vprint,
    &fmt::detail::throw_format_error,
    &fmt::detail::assert_fail,
    &fmt::detail::is_printable,
    &fmt::detail::dragonbox::to_decimal<double>,
    &fmt::detail::dragonbox::to_decimal<float>,
    &fmt::detail::thousands_sep_impl<char>,
    &fmt::detail::decimal_point_impl<char>,
    &fmt::detail::buffer<char>::append<char>,
};

}  // namespace fence::fmt_in_binary
