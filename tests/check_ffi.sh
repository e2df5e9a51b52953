#!/bin/sh
# check_ffi.sh: the public header declares only FFI-safe interfaces.
#
#   sh check_ffi.sh CC HEADER [LAYOUT_TEST ABI_DOC]
#                                        check HEADER (test ffi_header), and
#                                        that every public struct has a row
#                                        S(name, ...) in LAYOUT_TEST and a
#                                        table **name** in ABI_DOC
#   sh check_ffi.sh --selftest CC HEADER each kind of violation, added to a
#                                        copy of HEADER, fails (ffi_selftest)
#
# The header is run through the C preprocessor (comments and macros gone,
# RTN_API expanded to its visibility attribute), then every top-level
# declaration must be one of: an exported function, a typedef'd struct, an
# opaque struct, a typedef'd enum or a typedef'd callback. Allowed types are
# listed, so anything new fails until it is judged (docs/abi.md):
# - parameters and return values: pointers (to char, void or a public type),
#   int, int32_t, uint32_t, int64_t, uint64_t, double, size_t, a callback
#   typedef; never a struct or an enum by value, no unnamed parameters, no
#   variadic functions;
# - struct fields: int32_t, uint32_t, int64_t, uint64_t, double, pointers,
#   function pointers with signatures as above, an embedded public struct;
#   no bit-fields, bool, size_t, int, long, enum types or arrays;
# - enums: every enumerator has an explicit value.
set -u

if [ "${1:-}" = "--selftest" ]; then
    cc=$2
    header=$3
    self=$0
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtn-ffi.XXXXXX") || exit 1
    trap 'rm -rf "$tmp"' EXIT
    fails=0
    if ! sh "$self" "$cc" "$header" >"$tmp/log" 2>&1; then
        echo "FAIL: the header itself is refused:"
        cat "$tmp/log"
        fails=1
    fi
    # bad NAME WORD DECLARATION: HEADER plus DECLARATION must be refused,
    # with WORD in the message.
    bad() {
        cp "$header" "$tmp/retention.h"
        printf '%s\n' "$3" >>"$tmp/retention.h"
        if sh "$self" "$cc" "$tmp/retention.h" >"$tmp/log" 2>&1; then
            echo "FAIL $1: accepted: $3"
            fails=$((fails + 1))
        elif ! grep -q -- "$2" "$tmp/log"; then
            echo "FAIL $1: refused without '$2':"
            cat "$tmp/log"
            fails=$((fails + 1))
        else
            echo "ok   $1: $(grep -- "$2" "$tmp/log" | head -n 1)"
        fi
    }
    bad struct_param 'by value' 'RTN_API int rtn_bad(rtn_value v);'
    bad struct_return 'by value' 'RTN_API rtn_value rtn_bad(int x);'
    bad enum_param 'by value' 'RTN_API int rtn_bad(rtn_metric m);'
    bad bool_param 'not allowed' 'RTN_API int rtn_bad(_Bool b);'
    bad float_return 'not allowed' 'RTN_API float rtn_bad(int x);'
    bad unnamed_param 'unnamed' 'RTN_API int rtn_bad(const rtn_ctx *);'
    bad variadic 'variadic' 'RTN_API int rtn_bad(int n, ...);'
    bad bitfield 'bit-field' 'typedef struct rtn_bad { uint32_t size; uint32_t flag : 1; } rtn_bad;'
    bad size_t_field 'size_t field' 'typedef struct rtn_bad { uint32_t size; size_t n; } rtn_bad;'
    bad int_field 'int field' 'typedef struct rtn_bad { uint32_t size; int n; } rtn_bad;'
    bad bool_field 'not allowed' 'typedef struct rtn_bad { uint32_t size; _Bool b; } rtn_bad;'
    bad enum_field 'enum-typed' 'typedef struct rtn_bad { uint32_t size; rtn_metric m; } rtn_bad;'
    bad array_field 'array' 'typedef struct rtn_bad { uint32_t size; uint32_t a[4]; } rtn_bad;'
    bad callback_field 'by value' 'typedef struct rtn_bad { void (*fn)(rtn_value v, void *user); } rtn_bad;'
    bad implicit_enum 'explicit value' 'typedef enum rtn_bad { RTN_BAD_A = 1, RTN_BAD_B } rtn_bad;'
    bad bare_global 'unrecognised' 'RTN_API extern int rtn_bad_global;'
    if [ "$fails" -ne 0 ]; then
        echo "$fails check(s) of check_ffi.sh wrong"
        exit 1
    fi
    echo "check_ffi.sh refuses every kind of violation and accepts the header"
    exit 0
fi

cc=$1
header=$2
layout=${3:-}
doc=${4:-}
dir=$(dirname "$header")
if [ -n "$layout" ]; then
    missing=0
    for t in $(sed -nE 's/^typedef struct (rtn_[a-z0-9_]+) *\{.*/\1/p' "$header"); do
        grep -q "S($t," "$layout" || { echo "retention.h: struct $t has no layout row in $layout"; missing=1; }
        grep -q "^\*\*$t\*\*" "$doc" || { echo "retention.h: struct $t has no layout table in $doc"; missing=1; }
    done
    [ "$missing" -eq 0 ] || exit 1
fi
# Keep only the header's own lines: the preprocessor's line markers name
# the file each run of lines comes from.
"$cc" -E -x c -std=c11 -I"$dir" "$header" | awk -v want="$header" '
/^# [0-9]+ "/ { f = $3; gsub(/"/, "", f); keep = (f == want); next }
keep { print }
' | awk '
function fail(msg) { print "retention.h: " msg; bad++ }
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
# Split s at top-level occurrences of the one-character separator sep
# (outside parentheses and braces) into parts[1..n]; returns n.
function split_top(s, sep, parts,    i, c, depth, n, cur) {
    n = 0; cur = ""; depth = 0
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "(" || c == "{") depth++
        else if (c == ")" || c == "}") depth--
        if (c == sep && depth == 0) { parts[++n] = cur; cur = "" } else cur = cur c
    }
    if (trim(cur) != "") parts[++n] = cur
    return n
}
# A declarator "TYPE NAME": sets D_TYPE (normalised: no const, "*" kept)
# and D_NAME; D_NAME is "" when there is no name.
function declarator(s,    t) {
    s = trim(s)
    gsub(/\*/, " * ", s); gsub(/[ \t]+/, " ", s); s = trim(s)
    gsub(/(^| )const( |$)/, " ", s); s = trim(s)
    D_NAME = ""
    if (match(s, / [A-Za-z_][A-Za-z0-9_]*$/)) {
        t = trim(substr(s, 1, RSTART))
        if (t != "" && t != "*" && t !~ /^(unsigned|signed|long|short)$/) {
            D_NAME = substr(s, RSTART + 1); s = t
        }
    }
    D_TYPE = s
}
function base_of(t) { gsub(/[ *]/, "", t); return t }
function pointer(t) { return index(t, "*") > 0 }
# Check a type used by value or through a pointer in a signature.
function check_sig_type(t, what,    b) {
    b = base_of(t)
    if (pointer(t)) {
        if (!(b in ptr_ok) && !(b in structs) && !(b in opaque) && !(b in scalar))
            fail(what ": pointer to type \"" b "\" not allowed")
        return
    }
    if (b in structs || b in opaque) fail(what ": struct " b " passed by value")
    else if (b in enums) fail(what ": enum " b " passed by value (use int or int32_t)")
    else if (!(b in scalar) && !(b in callbacks)) fail(what ": type \"" t "\" not allowed")
}
# Check "RET NAME(PARAMS)" pieces of a function or a function pointer.
function check_signature(ret, params, what,    n, p, i, d) {
    check_sig_type(ret, what " return")
    params = trim(params)
    if (params == "void") return
    if (params == "") { fail(what ": () without void"); return }
    n = split_top(params, ",", p)
    for (i = 1; i <= n; i++) {
        d = trim(p[i])
        if (d == "...") { fail(what ": variadic"); continue }
        if (index(d, "(")) { fail(what ": parameter \"" d "\": use a callback typedef"); continue }
        declarator(d)
        if (D_NAME == "") fail(what ": unnamed parameter \"" d "\"")
        else check_sig_type(D_TYPE, what " parameter " D_NAME)
    }
}
function check_struct(name, body,    n, f, i, d, b, m) {
    n = split_top(body, ";", f)
    for (i = 1; i <= n; i++) {
        d = trim(f[i])
        if (d == "") continue
        if (match(d, /\( *\* *[A-Za-z_][A-Za-z0-9_]* *\) *\(/)) {
            m = substr(d, RSTART, RLENGTH)
            gsub(/[(* )]/, "", m)
            check_signature(substr(d, 1, RSTART - 1),
                            substr(d, RSTART + RLENGTH, length(d) - RSTART - RLENGTH),
                            "function pointer " name "." m)
            continue
        }
        if (index(d, ":")) { fail("struct " name ": bit-field \"" d "\""); continue }
        if (index(d, "[")) { fail("struct " name ": array field \"" d "\""); continue }
        declarator(d)
        b = base_of(D_TYPE)
        if (D_NAME == "") fail("struct " name ": cannot read field \"" d "\"")
        else if (pointer(D_TYPE)) check_sig_type(D_TYPE, "struct " name "." D_NAME)
        else if (b in enums) fail("struct " name "." D_NAME ": enum-typed field (use int32_t)")
        else if (b == "size_t") fail("struct " name "." D_NAME ": size_t field (platform-dependent width)")
        else if (b == "int") fail("struct " name "." D_NAME ": int field (use int32_t)")
        else if (!(b in field_ok) && !(b in structs)) fail("struct " name "." D_NAME ": type \"" D_TYPE "\" not allowed")
    }
}
function check_enum(name, body,    n, e, i) {
    n = split_top(body, ",", e)
    for (i = 1; i <= n; i++)
        if (trim(e[i]) != "" && index(e[i], "=") == 0)
            fail("enum " name ": enumerator \"" trim(e[i]) "\" without an explicit value")
}
BEGIN {
    split("int int32_t uint32_t int64_t uint64_t double size_t void", a, " ")
    for (i in a) scalar[a[i]] = 1
    split("int32_t uint32_t int64_t uint64_t double", a, " ")
    for (i in a) field_ok[a[i]] = 1
    split("char void", a, " ")
    for (i in a) ptr_ok[a[i]] = 1
}
{ text = text " " $0 }
END {
    gsub(/__attribute__\(\(visibility\("default"\)\)\)/, "RTN_API", text)
    gsub(/[ \t]+/, " ", text)
    n = split_top(text, ";", decl)
    # Names first, so a type may be used before the declaration that defines it.
    for (i = 1; i <= n; i++) {
        d = trim(decl[i])
        if (match(d, /^typedef struct [a-z0-9_]+ *\{/)) { split(d, w, /[ {]+/); structs[w[3]] = 1 }
        else if (match(d, /^typedef struct [a-z0-9_]+ [a-z0-9_]+$/)) { split(d, w, " "); opaque[w[4]] = 1 }
        else if (match(d, /^typedef enum [a-z0-9_]+ *\{/)) { split(d, w, /[ {]+/); enums[w[3]] = 1 }
        else if (match(d, /^typedef [^(]*\( *\* *[a-z0-9_]+ *\)/)) {
            m = substr(d, RSTART, RLENGTH); sub(/^[^(]*\( *\* */, "", m); sub(/ *\)$/, "", m)
            callbacks[m] = 1
        }
    }
    nf = 0
    for (i = 1; i <= n; i++) {
        d = trim(decl[i])
        if (d == "") continue
        if (match(d, /^typedef (struct|enum) [a-z0-9_]+ *\{.*\} *[a-z0-9_]+$/)) {
            kind = (d ~ /^typedef struct/) ? "struct" : "enum"
            split(d, w, /[ {]+/)
            body = d; sub(/^[^{]*\{/, "", body); sub(/\}[^}]*$/, "", body)
            if (kind == "struct") check_struct(w[3], body); else check_enum(w[3], body)
        } else if (d ~ /^typedef struct [a-z0-9_]+ [a-z0-9_]+$/) {
            continue
        } else if (match(d, /^typedef [^(]*\( *\* *[a-z0-9_]+ *\) *\(.*\)$/)) {
            ret = d; sub(/^typedef /, "", ret); sub(/\(.*$/, "", ret)
            m = d; sub(/^[^(]*\( *\* */, "", m); sub(/ *\).*$/, "", m)
            params = d; sub(/^[^)]*\) *\(/, "", params); sub(/\)$/, "", params)
            check_signature(ret, params, "callback " m)
        } else if (match(d, /^RTN_API [^(]*[ *]rtn_[a-z0-9_]+ *\(.*\)$/)) {
            head = d; sub(/^RTN_API /, "", head); sub(/ *\(.*$/, "", head)
            declarator(head)
            params = d; sub(/^[^(]*\(/, "", params); sub(/\)$/, "", params)
            check_signature(D_TYPE, params, "function " D_NAME)
            nf++
        } else {
            fail("unrecognised declaration \"" d "\"")
        }
    }
    if (nf == 0) fail("no exported function found")
    if (bad) { print bad " FFI rule violation(s)"; exit 1 }
    print nf " functions and every public struct, enum and callback follow the FFI rules"
}
'
