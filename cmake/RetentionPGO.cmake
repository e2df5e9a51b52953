# Profile-guided optimisation of the library and the tool (RTN_PGO, GCC).
#
# A training tree under <build>/pgo/train builds the library and the tool
# instrumented (-fprofile-generate), the tool writes a generated shop log
# and reports on it, and this tree compiles the library and the tool with
# the profile that run left (-fprofile-use), and links them with link-time
# optimisation. Profiles are named by object
# path relative to each tree (-fprofile-prefix-path), so the two trees'
# objects match. The training reruns, and the objects recompile, whenever a
# source changes. The profile changes only how the code is laid out and
# inlined, never what it computes.
#
# Every profiled source has a profile (the training links them all), so a
# profile that is not found is a warning (an error with RTN_WERROR):
# -Wmissing-profile stays on to say that the two trees' names differ.

set(RTN_PGO_DIR ${PROJECT_BINARY_DIR}/pgo)

# For the training tree: instrument the library and the tool.
function(rtn_pgo_instrument)
  set(flags -fprofile-generate=${RTN_PGO_GENERATE} -fprofile-prefix-path=${PROJECT_BINARY_DIR}
            -fprofile-update=single)
  target_compile_options(retention_objects PRIVATE ${flags})
  target_link_options(retention PRIVATE -fprofile-generate)
  if(TARGET retention_cli)
    target_compile_options(retention_cli PRIVATE ${flags})
    target_link_options(retention_cli PRIVATE -fprofile-generate)
  endif()
endfunction()

# For this tree: train, then compile the library and the tool with the profile.
function(rtn_pgo_use)
  if(NOT CMAKE_C_COMPILER_ID STREQUAL "GNU")
    message(FATAL_ERROR "RTN_PGO needs GCC (the compiler is ${CMAKE_C_COMPILER_ID})")
  endif()
  if(CMAKE_CROSSCOMPILING)
    message(FATAL_ERROR "RTN_PGO runs the tool it builds, which a cross build cannot")
  endif()
  if(NOT TARGET retention_cli)
    message(FATAL_ERROR "RTN_PGO trains on the retention tool: RTN_BUILD_TOOLS must be ON")
  endif()
  if(CMAKE_CONFIGURATION_TYPES)
    message(FATAL_ERROR "RTN_PGO needs a single-configuration generator (Ninja, Makefiles)")
  endif()
  # The training tree compiles with exactly this tree's flags, so that its
  # profile matches the objects it is used for.
  string(TOUPPER "${CMAKE_BUILD_TYPE}" bt)
  include(ExternalProject)
  set(train ${RTN_PGO_DIR}/train)
  set(profile ${RTN_PGO_DIR}/profile)
  set(tool ${train}/tools/retention${CMAKE_EXECUTABLE_SUFFIX})
  ExternalProject_Add(rtn_pgo_train
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    BINARY_DIR ${train}
    CMAKE_ARGS "-DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}" "-DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}"
               "-DCMAKE_C_FLAGS=${CMAKE_C_FLAGS}" "-DCMAKE_C_FLAGS_${bt}=${CMAKE_C_FLAGS_${bt}}"
               -DRTN_WERROR=${RTN_WERROR}
               -DRTN_DEBUG_INFO=${RTN_DEBUG_INFO} -DRTN_PGO=OFF -DRTN_PGO_GENERATE=${profile}
               -DRTN_BUILD_TESTS=OFF -DRTN_BUILD_BENCH=OFF -DRTN_BUILD_EXAMPLES=OFF
               -DRTN_ABI_CHECK=OFF
    BUILD_COMMAND ${CMAKE_COMMAND} --build ${train} --target retention_cli
    BUILD_BYPRODUCTS ${tool}
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON)
  add_custom_command(OUTPUT ${RTN_PGO_DIR}/trained
    COMMAND ${CMAKE_COMMAND} -DTOOL=${tool} -DPROFILE=${profile} -DWORK=${RTN_PGO_DIR}
            -P ${PROJECT_SOURCE_DIR}/cmake/RetentionPGOTrain.cmake
    COMMAND ${CMAKE_COMMAND} -E touch ${RTN_PGO_DIR}/trained
    DEPENDS ${tool} ${PROJECT_SOURCE_DIR}/cmake/RetentionPGOTrain.cmake
    COMMENT "Training run of the instrumented retention tool (RTN_PGO)"
    VERBATIM)
  add_custom_target(rtn_pgo_profile DEPENDS ${RTN_PGO_DIR}/trained)
  add_dependencies(rtn_pgo_profile rtn_pgo_train)
  # With the profile, link-time optimisation of the shared library and the
  # tool: fat objects, so that libretention.a, made of the same objects,
  # still links without it.
  set(flags -fprofile-use=${profile} -fprofile-prefix-path=${PROJECT_BINARY_DIR}
            -fprofile-partial-training -flto=auto -ffat-lto-objects)
  target_link_options(retention PRIVATE -flto=auto)
  target_link_options(retention_cli PRIVATE -flto=auto)
  foreach(t retention_objects retention_cli)
    target_compile_options(${t} PRIVATE ${flags})
    add_dependencies(${t} rtn_pgo_profile)
    get_target_property(srcs ${t} SOURCES)
    get_target_property(dir ${t} SOURCE_DIR)
    foreach(s ${srcs})
      if(NOT IS_ABSOLUTE ${s})
        set(s ${dir}/${s})
      endif()
      set_property(SOURCE ${s} TARGET_DIRECTORY ${t} APPEND PROPERTY OBJECT_DEPENDS ${RTN_PGO_DIR}/trained)
    endforeach()
  endforeach()
  message(STATUS "retention: profile-guided build (trains on a generated 20,000-customer sample)")
endfunction()
