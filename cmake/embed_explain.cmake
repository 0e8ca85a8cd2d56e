# cmake -DDIR=compiler/diag/explain -DOUT=explain_data.cpp -P embed_explain.cmake
# Writes a C++ table of DIR/*.md (one file per diagnostic code, named after it) for
# fence::explanation() (cli/explain.h).
file(GLOB files ${DIR}/*.md)
list(SORT files)
set(body "// Generated from compiler/diag/explain/*.md by cmake/embed_explain.cmake: do not edit.\n#include \"cli/explain.h\"\n\nnamespace fence::cli {\n\nnamespace {\n\nstruct Entry {\n  std::string_view code;\n  std::string_view text;\n};\n\nconstexpr Entry kEntries[] = {\n")
foreach(f ${files})
  get_filename_component(code ${f} NAME_WE)
  file(READ ${f} text)
  string(FIND "${text}" ")fence_explain\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${f} contains the raw string's delimiter")
  endif()
  string(APPEND body "    {\"${code}\", R\"fence_explain(${text})fence_explain\"},\n")
endforeach()
string(APPEND body "};\n\n}  // namespace\n\nstd::string_view explanation(std::string_view code) {\n  for (const auto& e : kEntries) {\n    if (e.code == code) return e.text;\n  }\n  return {};\n}\n\n}  // namespace fence::cli\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
