# Runs `${FENCE} codes --markdown` and fails unless its output equals the file ${EXPECTED}.
execute_process(COMMAND ${FENCE} codes --markdown OUTPUT_VARIABLE actual RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "fence codes --markdown exited ${rc}")
endif()
file(READ ${EXPECTED} expected)
if(NOT actual STREQUAL expected)
  message(FATAL_ERROR "${EXPECTED} is out of date: regenerate it with `fence codes --markdown > ${EXPECTED}`")
endif()
