# spcc_add_model(TARGET MODEL.onnx [OUTPUT FILE.so] [SHAPE NAME=DIMS...]
#                [TARGET_ISA host|x86-64-v3|x86-64-v4|LEVEL,LEVEL] [OPTIONS flag...])
#
# Compiles MODEL.onnx (relative paths: to the current source directory) with `spcc -o` into
# FILE.so (default TARGET.so; relative paths: to the current binary directory) as a build step,
# and adds the custom target TARGET, built by default, that produces it. The step reruns when the
# model or the spcc executable changes. SHAPE fixes the dims of dynamic inputs (spcc --shape);
# TARGET_ISA selects the instruction set (spcc --target; default host: the best level of the
# building machine; x86-64-v3,x86-64-v4 carries both and runs the best one the loading CPU has);
# OPTIONS are passed to spcc as they are.
#
# The absolute path of the .so is the TARGET's property SPCC_MODEL_FILE, e.g.
#   target_compile_definitions(app PRIVATE MODEL="$<TARGET_PROPERTY:TARGET,SPCC_MODEL_FILE>")
# and also the variable TARGET_MODEL_FILE in the caller's scope.
#
# Needs SPCC_COMPILER, the spcc executable (set by find_package(spcc)).
function(spcc_add_model target model)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "OUTPUT;TARGET_ISA" "SHAPE;OPTIONS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "spcc_add_model(${target}): unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT SPCC_COMPILER)
    message(FATAL_ERROR "spcc_add_model(${target}): SPCC_COMPILER is not set "
                        "(the spcc compiler is not part of this installation)")
  endif()
  cmake_path(ABSOLUTE_PATH model BASE_DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE)
  if(arg_OUTPUT)
    set(output "${arg_OUTPUT}")
  else()
    set(output "${target}.so")
  endif()
  cmake_path(ABSOLUTE_PATH output BASE_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}" NORMALIZE)

  set(flags)
  foreach(shape IN LISTS arg_SHAPE)
    if(NOT shape MATCHES "^[^=]+=.+$")
      message(FATAL_ERROR "spcc_add_model(${target}): SHAPE expects NAME=DIMS (e.g. "
                          "input_ids=1x128), got '${shape}'")
    endif()
    list(APPEND flags "--shape=${shape}")
  endforeach()
  if(arg_TARGET_ISA)
    if(NOT arg_TARGET_ISA MATCHES "^(host|x86-64-v3|x86-64-v4)(,(host|x86-64-v3|x86-64-v4))*$")
      message(FATAL_ERROR "spcc_add_model(${target}): TARGET_ISA must be host, x86-64-v3, "
                          "x86-64-v4 or a comma-separated list of them, got '${arg_TARGET_ISA}'")
    endif()
    list(APPEND flags "--target=${arg_TARGET_ISA}")
  endif()
  list(APPEND flags ${arg_OPTIONS})

  cmake_path(GET output PARENT_PATH output_dir)
  file(MAKE_DIRECTORY "${output_dir}")
  cmake_path(GET model FILENAME model_name)
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${SPCC_COMPILER}" "${model}" -o "${output}" ${flags}
    DEPENDS "${model}" "${SPCC_COMPILER}"
    COMMENT "Compiling model ${model_name} with spcc"
    VERBATIM)
  add_custom_target(${target} ALL DEPENDS "${output}")
  set_target_properties(${target} PROPERTIES SPCC_MODEL_FILE "${output}")
  set(${target}_MODEL_FILE "${output}" PARENT_SCOPE)
endfunction()
