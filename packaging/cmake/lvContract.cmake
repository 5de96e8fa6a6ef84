# lvContract.cmake - lv_add_contract(TARGET FILE.lv [HANDLERS DIR]
# [JS_HANDLERS DIR] [OUTPUT_DIR DIR] [OPTIONS ...]): compiles FILE.lv with
# lvc into TARGET.
#
# The generated C (NAME.lv.c, NAME.lv.h) and JS (NAME.lv.js, NAME.lv.d.ts)
# go to OUTPUT_DIR (default: ${CMAKE_CURRENT_BINARY_DIR}/lv), rebuilt when
# FILE.lv or anything it imports changes (lvc's depfile). The handler file
# HANDLERS/NAME_handlers.c (default: the folder of FILE.lv) is yours: lvc
# makes it at configure time when it is missing, so a fresh project
# configures, and merges new endpoints into it on every build; it is never
# an output, so a clean never deletes it. JS_HANDLERS (default: OUTPUT_DIR)
# is where NAME_handlers.js goes. OPTIONS are passed to lvc as they are.
function(lv_add_contract target file)
  cmake_parse_arguments(LV "" "HANDLERS;JS_HANDLERS;OUTPUT_DIR" "OPTIONS" ${ARGN})
  get_filename_component(file "${file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  get_filename_component(base "${file}" NAME_WE)
  if(NOT LV_OUTPUT_DIR)
    set(LV_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/lv")
  endif()
  if(NOT LV_HANDLERS)
    get_filename_component(LV_HANDLERS "${file}" DIRECTORY)
  endif()
  get_filename_component(LV_HANDLERS "${LV_HANDLERS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT LV_JS_HANDLERS)
    set(LV_JS_HANDLERS "${LV_OUTPUT_DIR}")
  endif()
  if(NOT LV_LVC_EXECUTABLE)
    message(FATAL_ERROR "lv_add_contract: LV_LVC_EXECUTABLE is not set (find_package(lv))")
  endif()
  set(cmd "${LV_LVC_EXECUTABLE}" "${file}" -o "${LV_OUTPUT_DIR}"
      --handlers "${LV_HANDLERS}" --js-handlers "${LV_JS_HANDLERS}" ${LV_OPTIONS})
  set(handlers "${LV_HANDLERS}/${base}_handlers.c")
  if(NOT EXISTS "${handlers}")
    file(MAKE_DIRECTORY "${LV_OUTPUT_DIR}" "${LV_JS_HANDLERS}")
    execute_process(COMMAND ${cmd} RESULT_VARIABLE rc ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "lv_add_contract: lvc failed on ${file}:\n${err}")
    endif()
  endif()
  set(outputs "${LV_OUTPUT_DIR}/${base}.lv.c" "${LV_OUTPUT_DIR}/${base}.lv.h"
      "${LV_OUTPUT_DIR}/${base}.lv.js" "${LV_OUTPUT_DIR}/${base}.lv.d.ts")
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${CMAKE_COMMAND} -E make_directory "${LV_OUTPUT_DIR}" "${LV_JS_HANDLERS}"
    COMMAND ${cmd} -M "${LV_OUTPUT_DIR}/${base}.lv.d"
    MAIN_DEPENDENCY "${file}"
    DEPENDS "${LV_LVC_EXECUTABLE}"
    DEPFILE "${LV_OUTPUT_DIR}/${base}.lv.d"
    COMMENT "lvc ${base}.lv"
    VERBATIM)
  target_sources(${target} PRIVATE "${LV_OUTPUT_DIR}/${base}.lv.c" "${handlers}")
  target_include_directories(${target} PRIVATE "${LV_OUTPUT_DIR}")
endfunction()
