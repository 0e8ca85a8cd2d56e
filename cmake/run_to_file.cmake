# cmake -DFENCE=path/to/fence -DARGS=arg,arg -DOUT=file -P run_to_file.cmake: runs fence with the
# arguments, its standard output into OUT; fails the build when fence fails.
string(REPLACE "," ";" args "${ARGS}")
execute_process(COMMAND ${FENCE} ${args} OUTPUT_FILE ${OUT}.tmp RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "fence ${args} failed: ${rc}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
