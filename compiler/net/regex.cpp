#include "net/regex.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "diag/utf8.h"

namespace fence::net {

namespace {

// Go's repeat limit, which RE2 shares: no count above 1000, and counts nested inside each other
// may not multiply past it.
constexpr std::uint64_t kMaxRepeat = 1000;
// Go refuses expressions nested deeper than this.
constexpr std::size_t kMaxDepth = 1000;

constexpr std::string_view kCategories[] = {"Any", "C",  "Cc", "Cf", "Co", "Cs", "L",  "Ll", "Lm", "Lo", "Lt", "Lu", "M",
                                            "Mc",  "Me", "Mn", "N",  "Nd", "Nl", "No", "P",  "Pc", "Pd", "Pe", "Pf", "Pi",
                                            "Po",  "Ps", "S",  "Sc", "Sk", "Sm", "So", "Z",  "Zl", "Zp", "Zs"};

// Go's unicode.Scripts: every script Go's regexp accepts in \p{...}.
// clang-format off
constexpr std::string_view kScripts[] = {
    "Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian", "Avestan", "Balinese", "Bamum", "Bassa_Vah", "Batak", "Bengali",
    "Bhaiksuki", "Bopomofo", "Brahmi", "Braille", "Buginese", "Buhid", "Canadian_Aboriginal", "Carian", "Caucasian_Albanian", "Chakma", "Cham",
    "Cherokee", "Chorasmian", "Common", "Coptic", "Cuneiform", "Cypriot", "Cypro_Minoan", "Cyrillic", "Deseret", "Devanagari", "Dives_Akuru",
    "Dogra", "Duployan", "Egyptian_Hieroglyphs", "Elbasan", "Elymaic", "Ethiopic", "Georgian", "Glagolitic", "Gothic", "Grantha", "Greek",
    "Gujarati", "Gunjala_Gondi", "Gurmukhi", "Han", "Hangul", "Hanifi_Rohingya", "Hanunoo", "Hatran", "Hebrew", "Hiragana", "Imperial_Aramaic",
    "Inherited", "Inscriptional_Pahlavi", "Inscriptional_Parthian", "Javanese", "Kaithi", "Kannada", "Katakana", "Kawi", "Kayah_Li",
    "Kharoshthi", "Khitan_Small_Script", "Khmer", "Khojki", "Khudawadi", "Lao", "Latin", "Lepcha", "Limbu", "Linear_A", "Linear_B", "Lisu",
    "Lycian", "Lydian", "Mahajani", "Makasar", "Malayalam", "Mandaic", "Manichaean", "Marchen", "Masaram_Gondi", "Medefaidrin", "Meetei_Mayek",
    "Mende_Kikakui", "Meroitic_Cursive", "Meroitic_Hieroglyphs", "Miao", "Modi", "Mongolian", "Mro", "Multani", "Myanmar", "Nabataean",
    "Nag_Mundari", "Nandinagari", "New_Tai_Lue", "Newa", "Nko", "Nushu", "Nyiakeng_Puachue_Hmong", "Ogham", "Ol_Chiki", "Old_Hungarian",
    "Old_Italic", "Old_North_Arabian", "Old_Permic", "Old_Persian", "Old_Sogdian", "Old_South_Arabian", "Old_Turkic", "Old_Uyghur", "Oriya",
    "Osage", "Osmanya", "Pahawh_Hmong", "Palmyrene", "Pau_Cin_Hau", "Phags_Pa", "Phoenician", "Psalter_Pahlavi", "Rejang", "Runic", "Samaritan",
    "Saurashtra", "Sharada", "Shavian", "Siddham", "SignWriting", "Sinhala", "Sogdian", "Sora_Sompeng", "Soyombo", "Sundanese", "Syloti_Nagri",
    "Syriac", "Tagalog", "Tagbanwa", "Tai_Le", "Tai_Tham", "Tai_Viet", "Takri", "Tamil", "Tangsa", "Tangut", "Telugu", "Thaana", "Thai",
    "Tibetan", "Tifinagh", "Tirhuta", "Toto", "Ugaritic", "Vai", "Vithkuqi", "Wancho", "Warang_Citi", "Yezidi", "Yi", "Zanabazar_Square"};
// clang-format on

constexpr std::string_view kPosixClasses[] = {"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
                                              "lower", "print", "punct", "space", "upper", "word",  "xdigit"};

template <std::size_t N>
bool among(const std::string_view (&list)[N], std::string_view s) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_octal(char c) {
  return c >= '0' && c <= '7';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// One UTF-8 sequence; length 0 when it is not valid UTF-8 (overlong, surrogate, too big).
using utf8::decode;

class Checker {
 public:
  explicit Checker(std::string_view re) : re_(re) {}

  std::optional<RegexProblem> run() {
    for (std::size_t i = 0; i < re_.size();) {
      auto r = decode(re_, i);
      if (r.len == 0) return problem("it is not valid UTF-8", i, 1);
      i += r.len;
    }
    frames_.push_back(Frame{std::string_view::npos, 0});
    while (i_ < re_.size() && !error_) step();
    if (error_) return error_;
    if (frames_.size() > 1) return problem("this `(` is never closed", frames_.back().open, 1);
    return std::nullopt;
  }

 private:
  struct Frame {
    std::size_t open;      // where its '(' is
    std::uint64_t weight;  // the largest product of repeat counts among the atoms it holds
  };

  std::optional<RegexProblem> problem(std::string message, std::size_t offset, std::size_t length) {
    error_ = RegexProblem{std::move(message), offset, std::max<std::size_t>(1, std::min(length, re_.size() - std::min(offset, re_.size())))};
    return error_;
  }
  void fail(std::string message, std::size_t offset, std::size_t length) { problem(std::move(message), offset, length); }

  char at(std::size_t k) const { return k < re_.size() ? re_[k] : '\0'; }

  // The atom just read becomes the one a following repetition operator applies to.
  void atom(std::uint64_t weight = 1) {
    fold();
    have_atom_ = true;
    atom_weight_ = weight;
    after_repeat_ = false;
  }
  void fold() {
    if (have_atom_) frames_.back().weight = std::max(frames_.back().weight, atom_weight_);
  }

  void step() {
    char c = re_[i_];
    switch (c) {
      case '(':
        open_group();
        return;
      case ')':
        close_group();
        return;
      case '|':
        fold();
        have_atom_ = false;
        after_repeat_ = false;
        ++i_;
        return;
      case '[':
        char_class();
        return;
      case '*':
      case '+':
      case '?':
        repeat(i_, i_ + 1, std::nullopt);
        return;
      case '{': {
        std::size_t end = 0;
        long lo = 0, hi = 0;
        if (parse_repeat_count(i_, end, lo, hi)) {
          repeat(i_, end, std::make_pair(lo, hi));
        } else {
          atom();  // not a repeat count: a literal '{'
          ++i_;
        }
        return;
      }
      case '\\':
        escape_outside_class();
        return;
      default: {
        auto r = decode(re_, i_);
        atom();
        i_ += r.len;
      }
    }
  }

  void open_group() {
    std::size_t start = i_;
    if (frames_.size() >= kMaxDepth) return fail("the expression nests more than 1000 levels deep", start, 1);
    if (at(i_ + 1) != '?') {
      push(start, i_ + 1);
      return;
    }
    std::size_t j = i_ + 2;
    char c = at(j);
    auto unsupported = [&](std::string_view what, std::size_t len) {
      fail(fmt::format("{} `{}` is not supported: Cilium's expressions are RE2, which has no lookaround, backreferences, "
                       "atomic groups or recursion",
                       what, re_.substr(start, len)),
           start, len);
    };
    if (c == '=' || c == '!') return unsupported("lookahead", 3);
    if (c == '<' && (at(j + 1) == '=' || at(j + 1) == '!')) return unsupported("lookbehind", 4);
    if (c == '>') return unsupported("the atomic group", 3);
    if (c == 'P' && (at(j + 1) == '=' || at(j + 1) == '>')) return unsupported(at(j + 1) == '=' ? "the backreference" : "the recursion", 4);
    if (c == 'R' || c == '&' || is_digit(c) || c == '+') return unsupported("the recursion", 3);
    if (c == 'P' || c == '<') {
      named_group(start, c == 'P' ? j + 1 : j);
      return;
    }
    // Flags, optionally opening a non-capturing group: (?i) (?i-s:...) (?:...)
    bool negated = false, flag_since_minus = false;
    for (; j < re_.size(); ++j) {
      char f = re_[j];
      if (f == 'i' || f == 'm' || f == 's' || f == 'U') {
        flag_since_minus = true;
        continue;
      }
      if (f == '-' && !negated) {
        negated = true;
        flag_since_minus = false;
        continue;
      }
      if ((f == ':' || f == ')') && !(negated && !flag_since_minus)) {
        if (f == ':') {
          push(start, j + 1);
        } else {
          i_ = j + 1;  // flags only: no atom, and a following repetition applies to what came before
          after_repeat_ = false;
        }
        return;
      }
      return fail(fmt::format("`{}` is not a group RE2 knows: the flags are i, m, s and U, as in (?i) or (?i:...)", re_.substr(start, j + 1 - start)),
                  start, j + 1 - start);
    }
    fail("this `(` is never closed", start, 1);
  }

  // (?P<name>...) or (?<name>...): `from` is the position of '<'.
  void named_group(std::size_t start, std::size_t from) {
    if (at(from) != '<') return fail(fmt::format("`{}` is not a group RE2 knows", re_.substr(start, from + 1 - start)), start, from + 1 - start);
    auto close = re_.find('>', from + 1);
    if (close == std::string_view::npos) return fail("this named group's name has no closing `>`", start, re_.size() - start);
    auto name = re_.substr(from + 1, close - from - 1);
    bool ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) { return is_alnum(ch) || ch == '_'; });
    if (!ok) return fail(fmt::format("`{}` is not a valid group name: use letters, digits and '_'", name), start, close + 1 - start);
    if (!names_.insert(std::string(name)).second) return fail(fmt::format("the group name `{}` is used twice", name), start, close + 1 - start);
    push(start, close + 1);
  }

  void push(std::size_t open, std::size_t next) {
    fold();
    frames_.push_back(Frame{open, 0});
    have_atom_ = false;
    after_repeat_ = false;
    i_ = next;
  }

  void close_group() {
    if (frames_.size() == 1) return fail("this `)` closes no group", i_, 1);
    fold();
    auto weight = frames_.back().weight;
    frames_.pop_back();
    have_atom_ = false;
    atom(weight);
    ++i_;
  }

  // {n}, {n,}, {n,m}: false when the text is not a repeat count (then '{' is a literal).
  bool parse_repeat_count(std::size_t start, std::size_t& end, long& lo, long& hi) const {
    std::size_t j = start + 1;
    auto number = [&](long& out) {
      std::size_t from = j;
      while (is_digit(at(j))) ++j;
      if (j == from) return false;
      if (j - from >= 2 && re_[from] == '0') return false;  // Go reads a leading zero as "not a count"
      out = j - from > 8 ? 100000000 : std::stol(std::string(re_.substr(from, j - from)));
      return true;
    };
    if (!number(lo)) return false;
    hi = lo;
    if (at(j) == ',') {
      ++j;
      if (at(j) == '}') {
        hi = -1;
      } else if (!number(hi)) {
        return false;
      }
    }
    if (at(j) != '}') return false;
    end = j + 1;
    return true;
  }

  void repeat(std::size_t start, std::size_t end, std::optional<std::pair<long, long>> count) {
    if (at(end) == '?') ++end;  // non-greedy
    if (after_repeat_) {
      return fail(fmt::format("`{}` repeats a repetition: RE2 does not allow one repetition operator right after another",
                              re_.substr(repeat_start_, end - repeat_start_)),
                  repeat_start_, end - repeat_start_);
    }
    if (!have_atom_) {
      return fail(fmt::format("`{}` has nothing before it to repeat", re_.substr(start, end - start)), start, end - start);
    }
    if (count) {
      auto [lo, hi] = *count;
      if (lo > static_cast<long>(kMaxRepeat) || hi > static_cast<long>(kMaxRepeat)) {
        return fail(fmt::format("`{}` repeats more than 1000 times, the most RE2 allows", re_.substr(start, end - start)), start, end - start);
      }
      if (hi >= 0 && hi < lo) return fail(fmt::format("`{}` has a maximum below its minimum", re_.substr(start, end - start)), start, end - start);
      auto times = static_cast<std::uint64_t>(hi < 0 ? lo : hi);
      auto weight = times == 0 ? 0 : std::max<std::uint64_t>(atom_weight_, 1) * times;
      if (weight > kMaxRepeat) {
        return fail(fmt::format("`{}` makes nested repeat counts multiply past 1000, the most RE2 allows", re_.substr(start, end - start)), start,
                    end - start);
      }
      atom_weight_ = weight;
    }
    after_repeat_ = true;
    repeat_start_ = start;
    i_ = end;
  }

  // One escaped character (not a class): its code point, and the position after it.
  struct Escaped {
    std::uint32_t cp = 0;
    std::size_t next = 0;
  };
  std::optional<Escaped> escaped_char(std::size_t bs) {
    if (bs + 1 >= re_.size()) {
      fail("the expression ends with a lone `\\`", bs, 1);
      return std::nullopt;
    }
    char c = re_[bs + 1];
    if (c >= '1' && c <= '7' && !is_octal(at(bs + 2))) {
      fail(fmt::format("`\\{}` is a backreference, which RE2 does not support", c), bs, 2);
      return std::nullopt;
    }
    if (is_octal(c)) {
      std::uint32_t v = 0;
      std::size_t j = bs + 1;
      for (int k = 0; k < 3 && is_octal(at(j)); ++k, ++j) v = v * 8 + static_cast<std::uint32_t>(at(j) - '0');
      return Escaped{v, j};
    }
    if (c == 'x') {
      std::size_t j = bs + 2;
      std::uint32_t v = 0;
      if (at(j) == '{') {
        ++j;
        std::size_t digits = 0;
        for (; is_hex(at(j)); ++j, ++digits) {
          v = v * 16 + static_cast<std::uint32_t>(hex_value(at(j)));
          if (v > 0x10ffff) break;
        }
        if (digits == 0 || at(j) != '}' || v > 0x10ffff) {
          auto close = re_.find('}', bs);
          fail("`\\x{...}` needs hexadecimal digits up to 10FFFF and a closing `}`", bs,
               close == std::string_view::npos ? re_.size() - bs : close + 1 - bs);
          return std::nullopt;
        }
        return Escaped{v, j + 1};
      }
      if (!is_hex(at(j)) || !is_hex(at(j + 1))) {
        fail("`\\x` needs two hexadecimal digits, or braces: \\x41, \\x{263a}", bs, 2);
        return std::nullopt;
      }
      return Escaped{static_cast<std::uint32_t>(hex_value(at(j)) * 16 + hex_value(at(j + 1))), j + 2};
    }
    static constexpr std::string_view kControls = "afnrtv";
    static constexpr std::uint32_t kControlValues[] = {7, 12, 10, 13, 9, 11};
    if (auto k = kControls.find(c); k != std::string_view::npos) return Escaped{kControlValues[k], bs + 2};
    if (static_cast<unsigned char>(c) < 0x80 && !is_alnum(c)) return Escaped{static_cast<unsigned char>(c), bs + 2};
    auto len = decode(re_, bs + 1).len;
    std::string hint;
    if (c == 'Z') hint = ": RE2 writes the end of the text as `\\z`";
    if (c == 'u' || c == 'U') hint = ": write a code point as `\\x{263a}`";
    if (c == 'b' || c == 'B' || c == 'A' || c == 'z') hint = ": it is an assertion, which cannot stand inside `[...]`";
    fail(fmt::format("`\\{}` is not an escape RE2 knows{}", re_.substr(bs + 1, len), hint), bs, len + 1);
    return std::nullopt;
  }

  // \pL, \p{Greek}, \P{^Lu}: the position after it, or nothing on error.
  std::optional<std::size_t> unicode_class(std::size_t bs) {
    std::size_t j = bs + 2;
    std::string_view name;
    std::size_t next = 0;
    if (at(j) == '{') {
      auto close = re_.find('}', j);
      if (close == std::string_view::npos) {
        fail("`\\p{` has no closing `}`", bs, re_.size() - bs);
        return std::nullopt;
      }
      name = re_.substr(j + 1, close - j - 1);
      if (!name.empty() && name.front() == '^') name.remove_prefix(1);
      next = close + 1;
    } else {
      if (j >= re_.size()) {
        fail("`\\p` needs a class name, as in \\pL or \\p{Greek}", bs, 2);
        return std::nullopt;
      }
      auto len = decode(re_, j).len;
      name = re_.substr(j, len);
      next = j + len;
    }
    if (!among(kCategories, name) && !among(kScripts, name)) {
      fail(fmt::format("`{}` names no Unicode class: use a category such as L or Nd, or a script such as Greek", re_.substr(bs, next - bs)), bs,
           next - bs);
      return std::nullopt;
    }
    return next;
  }

  void escape_outside_class() {
    std::size_t bs = i_;
    char c = at(bs + 1);
    if (c == 'A' || c == 'z' || c == 'b' || c == 'B' || c == 'd' || c == 'D' || c == 's' || c == 'S' || c == 'w' || c == 'W') {
      atom();
      i_ = bs + 2;
      return;
    }
    if (c == 'Q') {  // literal text up to \E
      auto end = re_.find("\\E", bs + 2);
      auto stop = end == std::string_view::npos ? re_.size() : end;
      if (stop > bs + 2) atom();
      i_ = end == std::string_view::npos ? re_.size() : end + 2;
      return;
    }
    if (c == 'p' || c == 'P') {
      if (auto next = unicode_class(bs)) {
        atom();
        i_ = *next;
      }
      return;
    }
    if (auto e = escaped_char(bs)) {
      atom();
      i_ = e->next;
    }
  }

  // One member of a class that can start or end a range: its code point and the position after it.
  std::optional<Escaped> class_char(std::size_t j) {
    if (re_[j] == '\\') return escaped_char(j);
    auto r = decode(re_, j);
    return Escaped{r.cp, j + r.len};
  }

  void char_class() {
    std::size_t open = i_;
    std::size_t j = i_ + 1;
    if (at(j) == '^') ++j;
    bool first = true;
    while (true) {
      if (j >= re_.size()) return fail("this `[` is never closed", open, 1);
      char c = re_[j];
      if (c == ']' && !first) break;
      first = false;
      if (c == '[' && at(j + 1) == ':') {
        auto close = re_.find(":]", j + 2);
        if (close != std::string_view::npos) {
          auto name = re_.substr(j + 2, close - j - 2);
          if (!name.empty() && name.front() == '^') name.remove_prefix(1);
          if (!among(kPosixClasses, name)) {
            return fail(fmt::format("`{}` is not a POSIX class: they are [:alpha:], [:digit:], [:space:] and the like", re_.substr(j, close + 2 - j)),
                        j, close + 2 - j);
          }
          j = close + 2;
          continue;
        }
      }
      if (c == '\\') {
        char e = at(j + 1);
        if (e == 'd' || e == 'D' || e == 's' || e == 'S' || e == 'w' || e == 'W') {
          j += 2;
          continue;
        }
        if (e == 'p' || e == 'P') {
          auto next = unicode_class(j);
          if (!next) return;
          j = *next;
          continue;
        }
      }
      auto lo = class_char(j);
      if (!lo) return;
      std::size_t range_start = j;
      j = lo->next;
      if (at(j) == '-' && j + 1 < re_.size() && re_[j + 1] != ']') {
        auto hi = class_char(j + 1);
        if (!hi) return;
        if (hi->cp < lo->cp) {
          return fail(fmt::format("the range `{}` ends before it starts", re_.substr(range_start, hi->next - range_start)), range_start,
                      hi->next - range_start);
        }
        j = hi->next;
      }
    }
    atom();
    i_ = j + 1;
  }

  std::string_view re_;
  std::size_t i_ = 0;
  std::vector<Frame> frames_;
  bool have_atom_ = false;
  std::uint64_t atom_weight_ = 1;
  bool after_repeat_ = false;
  std::size_t repeat_start_ = 0;
  std::set<std::string, std::less<>> names_;
  std::optional<RegexProblem> error_;
};

}  // namespace

std::optional<RegexProblem> check_go_regex(std::string_view re) {
  Checker c(re);
  return c.run();
}

}  // namespace fence::net
