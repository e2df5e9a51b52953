# RetentionExports.cmake: reads lib/retention.exports, the one list of the
# symbols the shared library exports and the version node each belongs to,
# and writes the linker version script from it. Used by the build and by
# tests/check_exports.cmake (script mode).

# rtn_read_exports(<file>): sets RTN_EXPORT_NODES (the nodes in order),
# RTN_EXPORT_SYMBOLS (every symbol) and RTN_EXPORT_NODE_<symbol> (its node).
# Format: "# ..." comments and blank lines are ignored; "[rtn_M.N]"
# opens a version node; every other line is one rtn_ symbol of that node.
function(rtn_read_exports file)
  file(STRINGS ${file} lines)
  set(nodes "")
  set(syms "")
  set(node "")
  foreach(l IN LISTS lines)
    string(STRIP "${l}" l)
    if(l STREQUAL "" OR l MATCHES "^#")
      continue()
    elseif(l MATCHES "^\\[(rtn_[0-9]+\\.[0-9]+)\\]$")
      set(node ${CMAKE_MATCH_1})
      if(node IN_LIST nodes)
        message(FATAL_ERROR "${file}: version node ${node} opened twice")
      endif()
      list(APPEND nodes ${node})
    elseif(l MATCHES "^rtn_[a-z0-9_]+$")
      if(node STREQUAL "")
        message(FATAL_ERROR "${file}: symbol ${l} before any [rtn_M.N] node")
      endif()
      if(l IN_LIST syms)
        message(FATAL_ERROR "${file}: symbol ${l} listed twice")
      endif()
      list(APPEND syms ${l})
      set(RTN_EXPORT_NODE_${l} ${node} PARENT_SCOPE)
    else()
      message(FATAL_ERROR "${file}: not a comment, a [rtn_M.N] node or an rtn_ symbol: '${l}'")
    endif()
  endforeach()
  set(RTN_EXPORT_NODES ${nodes} PARENT_SCOPE)
  set(RTN_EXPORT_SYMBOLS ${syms} PARENT_SCOPE)
endfunction()

# rtn_write_version_script(<exports> <out>): one node per [rtn_M.N],
# each inheriting the one before it; everything not listed is local. The
# file is rewritten only when its text changes, so the library relinks only
# then.
function(rtn_write_version_script exports out)
  rtn_read_exports(${exports})
  set(text "/* Generated from lib/retention.exports at configure time; edit that file. */\n")
  set(prev "")
  foreach(node IN LISTS RTN_EXPORT_NODES)
    string(APPEND text "${node} {\n  global:\n")
    foreach(s IN LISTS RTN_EXPORT_SYMBOLS)
      if(RTN_EXPORT_NODE_${s} STREQUAL node)
        string(APPEND text "    ${s};\n")
      endif()
    endforeach()
    if(prev STREQUAL "")
      string(APPEND text "  local:\n    *;\n};\n")
    else()
      string(APPEND text "} ${prev};\n")
    endif()
    set(prev ${node})
  endforeach()
  set(old "")
  if(EXISTS ${out})
    file(READ ${out} old)
  endif()
  if(NOT old STREQUAL text)
    file(WRITE ${out} "${text}")
  endif()
endfunction()
