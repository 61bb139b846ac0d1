#!/usr/bin/env python3
"""Generates C marshalling code from a .rpc message description.

A drop-in for the generator libevent installs under the same name: the same
command line, the same language and generated code with the same names, types
and wire encoding (it calls the evtag_* functions of event2/tag.h in the same
order with the same tags), so that messages are interchangeable with code that
libevent's generator produced.

The language:

    /* comments */  // comments
    #include <...> / #include "..." / #if / #ifdef / #ifndef / #elif / #else /
    #endif          copied into the C file, in order, before the header
    #define / #undef  copied into the header
    struct NAME {
        [optional | array] TYPE FIELD = TAG;
        ...
    }

TYPE is int, int64, string, bytes, `bytes FIELD[LENGTH]` (fixed size; LENGTH
a number or a macro) or struct[OTHER].  A field is required unless it is
optional or an array; arrays may hold int, int64, string and struct fields.
TAG is a decimal or 0x number, unique in its struct.  The `;` after a
struct's last field may be left out.  OTHER must be a struct of the file, or
of another generated file when the file has an #include line.

--print-enums prints each struct's tag enum and writes nothing (libevent's
generator has no such option).

Where libevent's generated code crashes or leaks on bad input, ours returns -1
(or NULL) instead; the differences are listed where they are generated.
"""

import argparse
import os
import re
import sys
import tempfile

PROGRAM = "event_rpcgen.py"

# The largest tag: tags become enum constants, which C wants to fit an int,
# and NAME_MAX_TAGS (the last field's tag + 1) must fit too.
MAX_TAG = 0x7FFFFFFE
# The largest fixed byte field, so that a struct stays a sane size.
MAX_FIXED_LENGTH = 0x7FFFFFFF

C_KEYWORDS = frozenset(
    """auto break case char const continue default do double else enum extern
    float for goto if inline int long register restrict return short signed
    sizeof static struct switch typedef union unsigned void volatile while
    _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn
    _Static_assert _Thread_local""".split()
)

# What a field holds; arrays may hold only these kinds.
ARRAY_KINDS = ("int", "int64", "string", "struct")

IDENT_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
IDENT_CHARS = IDENT_START | frozenset("0123456789")
DIGITS = frozenset("0123456789")
NUMBER_RE = re.compile(r"(0[xX][0-9A-Fa-f]+|0|[1-9][0-9]*)\Z", re.ASCII)


class RpcError(Exception):
    """A mistake in the .rpc file, reported as FILE:LINE: what."""

    def __init__(self, path, line, what):
        super().__init__("%s:%d: %s" % (path, line, what))
        self.line = line
        self.what = what


# ---------------------------------------------------------------- tokens


class Token:
    __slots__ = ("kind", "text", "line")

    def __init__(self, kind, text, line):
        self.kind = kind  # "word", "number", "punct", "directive", "end"
        self.text = text
        self.line = line

    def __repr__(self):
        return "Token(%r, %r, %d)" % (self.kind, self.text, self.line)


def tokenize(text, path):
    """Splits the file into words, numbers, punctuation and whole
    preprocessor lines, dropping comments."""
    tokens = []
    pos = 0
    line = 1
    at_line_start = True
    length = len(text)
    while pos < length:
        char = text[pos]
        if char == "\n":
            line += 1
            pos += 1
            at_line_start = True
            continue
        if char in " \t\r\f\v":
            pos += 1
            continue
        if text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end == -1:
                raise RpcError(path, line, "comment is not closed")
            line += text.count("\n", pos, end)
            pos = end + 2
            continue
        if text.startswith("//", pos):
            end = text.find("\n", pos)
            pos = length if end == -1 else end
            continue
        if char == "#":
            if not at_line_start:
                raise RpcError(path, line, "'#' must start a line")
            directive, pos, newlines = read_directive(text, pos, path, line)
            tokens.append(Token("directive", directive, line))
            line += newlines
            continue
        at_line_start = False
        if char in IDENT_START:
            end = pos + 1
            while end < length and text[end] in IDENT_CHARS:
                end += 1
            tokens.append(Token("word", text[pos:end], line))
            pos = end
            continue
        if char in DIGITS:
            end = pos + 1
            while end < length and text[end] in IDENT_CHARS:
                end += 1
            tokens.append(Token("number", text[pos:end], line))
            pos = end
            continue
        if char in "{}[];=":
            tokens.append(Token("punct", char, line))
            pos += 1
            continue
        raise RpcError(path, line, "unexpected character %r" % char)
    tokens.append(Token("end", "", line))
    return tokens


def read_directive(text, pos, path, line):
    """Reads a preprocessor line from '#' to the end of its line: comments
    dropped, white space collapsed.  Returns (directive, end, newlines)."""
    out = []
    newlines = 0
    length = len(text)
    while pos < length and text[pos] != "\n":
        if text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end == -1:
                raise RpcError(path, line, "comment is not closed")
            newlines += text.count("\n", pos, end)
            out.append(" ")
            pos = end + 2
            continue
        if text.startswith("//", pos):
            end = text.find("\n", pos)
            pos = length if end == -1 else end
            break
        out.append(text[pos])
        pos += 1
    directive = " ".join("".join(out).split())
    # "# include" is "#include" to the C preprocessor.
    directive = re.sub(r"^#\s*", "#", directive)
    return directive, pos, newlines


# ---------------------------------------------------------------- model


class Field:
    """One field of a struct."""

    def __init__(self, name, kind, tag, line):
        self.name = name
        self.kind = kind  # int, int64, string, bytes, fixed, struct
        self.tag = tag
        self.line = line
        self.optional = False
        self.array = False
        self.length = None  # fixed: the C text of its length
        self.ref = None  # struct: the referenced struct's name


class Struct:
    def __init__(self, name, line):
        self.name = name
        self.line = line
        self.fields = []


class Description:
    """Everything a .rpc file says."""

    def __init__(self, path):
        self.path = path
        self.structs = []
        self.header_lines = []  # #define, #undef: to the header
        self.code_lines = []  # #include and conditionals: to the C file


# ---------------------------------------------------------------- parser


class Parser:
    def __init__(self, text, path):
        self.path = path
        self.tokens = tokenize(text, path)
        self.pos = 0
        self.desc = Description(path)

    def peek(self):
        return self.tokens[self.pos]

    def take(self):
        token = self.tokens[self.pos]
        if token.kind != "end":
            self.pos += 1
        return token

    def error(self, token, what):
        return RpcError(self.path, token.line, what)

    def expect(self, text, context):
        token = self.take()
        if token.kind != "punct" or token.text != text:
            raise self.error(token, "expected '%s' %s, found %s" % (text, context, describe(token)))
        return token

    def parse(self):
        conditionals = []
        while True:
            token = self.peek()
            if token.kind == "end":
                break
            if token.kind == "directive":
                self.take()
                self.directive(token, conditionals)
            elif token.kind == "word" and token.text == "struct":
                self.desc.structs.append(self.struct())
            else:
                raise self.error(token, "expected 'struct' or a preprocessor line, found %s" % describe(token))
        if conditionals:
            raise RpcError(self.path, conditionals[-1], "#if without #endif")
        check(self.desc)
        return self.desc

    def directive(self, token, conditionals):
        text = token.text
        word = re.match(r"#([A-Za-z]*)", text).group(1)
        if word == "include":
            if not re.match(r'#include ?(<[^<>]+>|"[^"]+")\Z', text):
                raise self.error(token, "#include needs <file> or \"file\"")
            self.desc.code_lines.append(text)
        elif word in ("if", "ifdef", "ifndef"):
            conditionals.append(token.line)
            self.desc.code_lines.append(text)
        elif word in ("elif", "else", "endif"):
            if not conditionals:
                raise self.error(token, "#%s without #if" % word)
            if word == "endif":
                conditionals.pop()
            self.desc.code_lines.append(text)
        elif word in ("define", "undef"):
            if not re.match(r"#%s [A-Za-z_]" % word, text):
                raise self.error(token, "#%s needs a macro name" % word)
            self.desc.header_lines.append(text)
        else:
            raise self.error(token, "unsupported preprocessor line: %s" % text)

    def struct(self):
        start = self.take()  # "struct"
        name = self.take()
        if name.kind != "word":
            raise self.error(name, "expected a struct name after 'struct', found %s" % describe(name))
        check_identifier(self.path, name, "struct name")
        self.expect("{", "after 'struct %s'" % name.text)
        struct = Struct(name.text, start.line)
        while True:
            token = self.peek()
            if token.kind == "punct" and token.text == "}":
                self.take()
                break
            if token.kind == "punct" and token.text == ";":
                self.take()
                continue
            if token.kind == "end":
                raise self.error(start, "struct %s is not closed with '}'" % name.text)
            if token.kind == "directive":
                raise self.error(token, "preprocessor line inside struct %s" % name.text)
            struct.fields.append(self.field(struct))
            after = self.peek()
            if after.kind == "punct" and after.text == ";":
                self.take()
            elif not (after.kind == "punct" and after.text == "}"):
                raise self.error(after, "expected ';' after field, found %s" % describe(after))
        return struct

    def field(self, struct):
        first = self.peek()
        optional = array = False
        while first.kind == "word" and first.text in ("optional", "array"):
            self.take()
            if first.text == "optional":
                if optional:
                    raise self.error(first, "'optional' given twice")
                optional = True
            else:
                if array:
                    raise self.error(first, "'array' given twice")
                array = True
            first = self.peek()
        type_token = self.take()
        if type_token.kind != "word":
            raise self.error(type_token, "expected a field type, found %s" % describe(type_token))
        ref = None
        if type_token.text == "struct":
            self.expect("[", "after 'struct' in a field type")
            ref_token = self.take()
            if ref_token.kind != "word":
                raise self.error(ref_token, "expected a struct name in struct[...], found %s" % describe(ref_token))
            check_identifier(self.path, ref_token, "struct name")
            ref = ref_token.text
            self.expect("]", "after struct[%s" % ref)
            kind = "struct"
        elif type_token.text in ("int", "int64", "string", "bytes"):
            kind = type_token.text
        else:
            raise self.error(type_token, "unknown type '%s' (int, int64, string, bytes or struct[NAME])" % type_token.text)
        name = self.take()
        if name.kind != "word":
            raise self.error(name, "expected a field name, found %s" % describe(name))
        check_identifier(self.path, name, "field name")
        length = None
        token = self.peek()
        if token.kind == "punct" and token.text == "[":
            self.take()
            if kind != "bytes":
                raise self.error(token, "only bytes fields have a length: %s" % name.text)
            size = self.take()
            if size.kind == "punct" and size.text == "]":
                length = None  # bytes x[] is variable-length, as in libevent
            else:
                if size.kind == "number":
                    if not NUMBER_RE.match(size.text):
                        raise self.error(size, "bad length '%s'" % size.text)
                    value = int(size.text, 0)
                    if value < 1 or value > MAX_FIXED_LENGTH:
                        raise self.error(size, "length of %s must be 1 to %d" % (name.text, MAX_FIXED_LENGTH))
                elif size.kind != "word":
                    raise self.error(size, "expected a length in %s[...], found %s" % (name.text, describe(size)))
                length = size.text
                self.expect("]", "after the length of %s" % name.text)
        token = self.take()
        if not (token.kind == "punct" and token.text == "="):
            raise self.error(token, "expected '= TAG' after field %s, found %s" % (name.text, describe(token)))
        tag_token = self.take()
        if tag_token.kind != "number" or not NUMBER_RE.match(tag_token.text):
            raise self.error(tag_token, "expected a tag number for field %s, found %s" % (name.text, describe(tag_token)))
        tag = int(tag_token.text, 0)
        if tag > MAX_TAG:
            raise self.error(tag_token, "tag %s of field %s is larger than %d" % (tag_token.text, name.text, MAX_TAG))

        if kind == "bytes" and length is not None:
            kind = "fixed"
        field = Field(name.text, kind, tag, name.line)
        field.optional = optional
        field.array = array
        field.length = length
        field.ref = ref
        if optional and array:
            raise self.error(first, "field %s cannot be both optional and an array" % name.text)
        if array and kind not in ARRAY_KINDS:
            raise self.error(first, "field %s: arrays of bytes are not supported" % name.text)
        for other in struct.fields:
            if other.name == field.name:
                raise self.error(name, "field %s is defined twice in struct %s (first at line %d)" % (name.text, struct.name, other.line))
            if other.tag == field.tag:
                raise self.error(tag_token, "field %s has the same tag %d as field %s (line %d)" % (name.text, tag, other.name, other.line))
        return field


def describe(token):
    if token.kind == "end":
        return "end of file"
    if token.kind == "directive":
        return "preprocessor line"
    return "'%s'" % token.text


def check_identifier(path, token, what):
    if token.text in C_KEYWORDS:
        raise RpcError(path, token.line, "%s '%s' is a C keyword" % (what, token.text))


def check(desc):
    """Whole-file checks: unknown structs, and C names that would clash."""
    known = {}
    for struct in desc.structs:
        if struct.name in known:
            raise RpcError(desc.path, struct.line, "struct %s is defined twice (first at line %d)" % (struct.name, known[struct.name].line))
        known[struct.name] = struct
    has_include = any(line.startswith("#include") for line in desc.code_lines)
    for struct in desc.structs:
        for field in struct.fields:
            # A struct of another generated file is fine when the file includes
            # a header (libevent's generator does not check at all).
            if field.kind == "struct" and field.ref not in known and not has_include:
                raise RpcError(desc.path, field.line, "field %s refers to unknown struct %s" % (field.name, field.ref))
    # Every C name the output defines, with where it comes from.
    taken = {}

    def claim(space, name, line, origin):
        key = (space, name)
        if key in taken:
            first_line, first_origin = taken[key]
            raise RpcError(desc.path, line, "%s makes the C name '%s', which %s (line %d) makes too" % (origin, name, first_origin, first_line))
        taken[key] = (line, origin)

    for struct in desc.structs:
        origin = "struct %s" % struct.name
        for tag_name in (struct.name, struct.name + "_access_", struct.name.lower() + "_"):
            claim("tag", tag_name, struct.line, origin)
        for suffix in ("new", "new_with_arg", "free", "clear", "marshal", "unmarshal", "complete",
                       "unmarshal_depth_", "evtag_unmarshal_depth_", "base_", "copy_into_"):
            claim("id", "%s_%s" % (struct.name, suffix), struct.line, origin)
        for prefix in ("evtag_marshal_", "evtag_unmarshal_"):
            claim("id", prefix + struct.name, struct.line, origin)
        claim("id", "%s_MAX_TAGS" % struct.name.upper(), struct.line, origin)
        for field in struct.fields:
            origin = "field %s of struct %s" % (field.name, struct.name)
            claim("id", tag_name_of(struct, field), field.line, origin)
            for suffix in ("assign", "get", "add", "grow_"):
                claim("id", "%s_%s_%s" % (struct.name, field.name, suffix), field.line, origin)


def tag_name_of(struct, field):
    return ("%s_%s" % (struct.name, field.name)).upper()


# ---------------------------------------------------------------- C output


def element_type(field):
    """The C type of one value of the field (of one element for arrays)."""
    if field.kind == "int":
        return "ev_uint32_t"
    if field.kind == "int64":
        return "ev_uint64_t"
    if field.kind == "string":
        return "char *"
    if field.kind == "struct":
        return "struct %s *" % field.ref
    raise AssertionError(field.kind)


def ptr(ctype):
    """ctype followed by '*', spaced the way C is usually written."""
    return ctype + "*" if ctype.endswith("*") else ctype + " *"


def const_param(field):
    """The type with which a value is passed in: pointed-to data is const."""
    return "const " + element_type(field)


def signatures(struct, field):
    """(assign, get, add) as (return type, parameter list) pairs; add is
    None for fields that are not arrays."""
    me = "struct %s *" % struct.name
    if field.array:
        value = const_param(field)
        assign = ("int", [me, "int", value])
        get = ("int", [me, "int", ptr(element_type(field))])
        if field.kind == "struct":
            add = (element_type(field), [me])
        else:
            add = (ptr(element_type(field)), [me, value])
        return assign, get, add
    if field.kind in ("int", "int64"):
        return ("int", [me, const_param(field)]), ("int", [me, ptr(element_type(field))]), None
    if field.kind in ("string", "struct"):
        return ("int", [me, const_param(field)]), ("int", [me, ptr(element_type(field))]), None
    if field.kind == "fixed":
        return ("int", [me, "const ev_uint8_t *"]), ("int", [me, "ev_uint8_t **"]), None
    if field.kind == "bytes":
        return (("int", [me, "const ev_uint8_t *", "ev_uint32_t"]),
                ("int", [me, "ev_uint8_t **", "ev_uint32_t *"]), None)
    raise AssertionError(field.kind)


def declare(ret, name, params):
    sep = "" if ret.endswith("*") else " "
    return "%s%s%s(%s)" % (ret, sep, name, ", ".join(params))


def members(field):
    n = field.name
    if field.array:
        return ["%s%s_data;" % (ptr(element_type(field)), n), "int %s_length;" % n, "int %s_num_allocated;" % n]
    if field.kind == "fixed":
        return ["ev_uint8_t %s_data[%s];" % (n, field.length)]
    if field.kind == "bytes":
        return ["ev_uint8_t *%s_data;" % n, "ev_uint32_t %s_length;" % n]
    ctype = element_type(field)
    sep = "" if ctype.endswith("*") else " "
    return ["%s%s%s_data;" % (ctype, sep, n)]


def guard_name(header_path):
    base = os.path.basename(header_path)
    return "EVENT_RPCGEN_%s_INCLUDED_" % re.sub(r"[^A-Za-z0-9_]", "_", base).upper()


def generate_header(desc, header_path):
    out = []
    w = out.append
    w("/* Generated by %s from %s; do not edit. */" % (PROGRAM, os.path.basename(desc.path)))
    guard = guard_name(header_path)
    w("#ifndef %s" % guard)
    w("#define %s" % guard)
    w("")
    if desc.header_lines:
        out.extend(desc.header_lines)
        w("")
    w("#include <event2/util.h>")
    w("#include <event2/rpc.h>")
    w("")
    w("struct evbuffer;")
    # Every struct named, so that no prototype declares one in its parameter
    # list (a struct of another file too; libevent's header lacks those).
    named = []
    for struct in desc.structs:
        named.append(struct.name)
    for struct in desc.structs:
        for field in struct.fields:
            if field.kind == "struct" and field.ref not in named:
                named.append(field.ref)
    for name in named:
        w("struct %s;" % name)
    w("")
    for struct in desc.structs:
        s = struct.name
        w("/* The tags of struct %s's fields */" % s)
        w("enum %s_ {" % s.lower())
        for field in struct.fields:
            w("  %s = %d," % (tag_name_of(struct, field), field.tag))
        w("  %s_MAX_TAGS" % s.upper())
        w("};")
        w("")
        w("struct %s_access_ {" % s)
        if not struct.fields:
            w("  void *unused_;  /* no fields: C wants at least one member */")
        for field in struct.fields:
            for op, sig in zip(("assign", "get", "add"), signatures(struct, field)):
                if sig is not None:
                    w("  %s;" % declare(sig[0], "(*%s_%s)" % (field.name, op), sig[1]))
        w("};")
        w("")
        w("struct %s {" % s)
        w("  struct %s_access_ *base;" % s)
        if struct.fields:
            w("")
        for field in struct.fields:
            for member in members(field):
                w("  " + member)
        if struct.fields:
            w("")
        for field in struct.fields:
            w("  ev_uint8_t %s_set;" % field.name)
        w("};")
        w("")
        w("struct %s *%s_new(void);" % (s, s))
        w("struct %s *%s_new_with_arg(void *);" % (s, s))
        w("void %s_free(struct %s *);" % (s, s))
        w("void %s_clear(struct %s *);" % (s, s))
        w("void %s_marshal(struct evbuffer *, const struct %s *);" % (s, s))
        w("int %s_unmarshal(struct %s *, struct evbuffer *);" % (s, s))
        w("int %s_complete(struct %s *);" % (s, s))
        w("void evtag_marshal_%s(struct evbuffer *, ev_uint32_t," % s)
        w("    const struct %s *);" % s)
        w("int evtag_unmarshal_%s(struct evbuffer *, ev_uint32_t," % s)
        w("    struct %s *);" % s)
        for field in struct.fields:
            for op, sig in zip(("assign", "get", "add"), signatures(struct, field)):
                if sig is not None:
                    w("%s;" % declare(sig[0], "%s_%s_%s" % (s, field.name, op), sig[1]))
        w("")
    w("#endif /* %s */" % guard)
    return "\n".join(out) + "\n"


class CodeWriter:
    """Collects C lines with indentation."""

    def __init__(self):
        self.lines = []
        self.depth = 0

    def __call__(self, *lines):
        for line in lines:
            if not line:
                self.lines.append("")
            elif line.startswith("#"):
                self.lines.append(line)
            else:
                if line.startswith("}"):
                    self.depth -= 1
                self.lines.append("  " * self.depth + line)
                if line.endswith("{"):
                    self.depth += 1

    def text(self):
        return "\n".join(self.lines) + "\n"


def generate_code(desc, header_path):
    known = {struct.name for struct in desc.structs}
    fields = [field for struct in desc.structs for field in struct.fields]
    kinds = {field.kind for field in fields}
    needs_dup = "string" in kinds
    needs_bytes = "bytes" in kinds
    # Structs that fields hold, which need a copy helper for assign.
    copied = []
    for field in fields:
        if field.kind == "struct" and field.ref not in copied:
            copied.append(field.ref)

    c = CodeWriter()
    c("/* Generated by %s from %s; do not edit. */" % (PROGRAM, os.path.basename(desc.path)),
      "",
      "#include <stdlib.h>",
      "#include <string.h>",
      "",
      "#include <event2/util.h>",
      "#include <event2/buffer.h>",
      "#include <event2/tag.h>",
      "")
    if desc.code_lines:
        c(*desc.code_lines)
        c("")
    c('#include "%s"' % os.path.basename(header_path), "")
    c("/* How deeply structs may nest in data being unmarshalled: a bound on the",
      " * stack that hostile data can make unmarshalling use. */",
      "#ifndef EVENT_RPCGEN_MAX_DEPTH",
      "#define EVENT_RPCGEN_MAX_DEPTH 64",
      "#endif",
      "")
    for struct in desc.structs:
        s = struct.name
        c("static int %s_unmarshal_depth_(struct %s *, struct evbuffer *, int);" % (s, s))
        c("static int %s_evtag_unmarshal_depth_(struct evbuffer *, ev_uint32_t," % s,
          "    struct %s *, int);" % s)
    for ref in copied:
        c("static int %s_copy_into_(struct %s *, const struct %s *);" % (ref, ref, ref))
    c("")
    if needs_dup:
        c("static char *",
          "rpcgen_strdup_(const char *text)",
          "{",
          "size_t size = strlen(text) + 1;",
          "char *copy = malloc(size);",
          "if (copy != NULL)",
          "  memcpy(copy, text, size);",
          "return copy;",
          "}",
          "")
    if needs_bytes:
        c("/* A copy of len bytes; never NULL for len 0 unless memory is out. */",
          "static ev_uint8_t *",
          "rpcgen_memdup_(const ev_uint8_t *data, ev_uint32_t len)",
          "{",
          "ev_uint8_t *copy = malloc(len > 0 ? len : 1);",
          "if (copy != NULL && len > 0)",
          "  memcpy(copy, data, len);",
          "return copy;",
          "}",
          "",
          "static void",
          "rpcgen_marshal_bytes_(struct evbuffer *evbuf, ev_uint32_t tag,",
          "    const ev_uint8_t *data, ev_uint32_t len)",
          "{",
          "static const ev_uint8_t nothing[1] = { 0 };",
          "if (data == NULL)",
          "  evtag_marshal(evbuf, tag, nothing, 0);",
          "else",
          "  evtag_marshal(evbuf, tag, data, len);",
          "}",
          "")
    for struct in desc.structs:
        generate_struct(c, struct, known)
    for ref in copied:
        c("/* Copies src into dst (cleared first) through the wire encoding, as",
          " * libevent does; src may be dst or part of it, since it is encoded before",
          " * dst is touched.  On failure dst is left cleared. */",
          "static int",
          "%s_copy_into_(struct %s *dst, const struct %s *src)" % (ref, ref, ref),
          "{",
          "int res = -1;",
          "struct evbuffer *wire = evbuffer_new();",
          "if (wire == NULL)",
          "  return -1;",
          "%s_marshal(wire, src);" % ref,
          "%s_clear(dst);" % ref,
          "if (%s_unmarshal(dst, wire) == 0)" % ref,
          "  res = 0;",
          "else",
          "  %s_clear(dst);" % ref,
          "evbuffer_free(wire);",
          "return res;",
          "}",
          "")
    return c.text()


def release(c, field, var):
    """Frees what the field owns."""
    n = field.name
    if field.array:
        if field.kind in ("string", "struct"):
            c("{", "int i;", "for (i = 0; i < %s->%s_length; i++) {" % (var, n))
            if field.kind == "string":
                c("free(%s->%s_data[i]);" % (var, n))
            else:
                c("%s_free(%s->%s_data[i]);" % (field.ref, var, n))
            c("}", "}")
        c("free(%s->%s_data);" % (var, n))
    elif field.kind in ("string", "bytes"):
        c("free(%s->%s_data);" % (var, n))
    elif field.kind == "struct":
        c("if (%s->%s_data != NULL)" % (var, n), "  %s_free(%s->%s_data);" % (field.ref, var, n))


def initialize(c, field, var):
    n = field.name
    if field.array:
        c("%s->%s_data = NULL;" % (var, n), "%s->%s_length = 0;" % (var, n), "%s->%s_num_allocated = 0;" % (var, n))
    elif field.kind in ("int", "int64"):
        c("%s->%s_data = 0;" % (var, n))
    elif field.kind == "fixed":
        c("memset(%s->%s_data, 0, sizeof(%s->%s_data));" % (var, n, var, n))
    elif field.kind == "bytes":
        c("%s->%s_data = NULL;" % (var, n), "%s->%s_length = 0;" % (var, n))
    else:
        c("%s->%s_data = NULL;" % (var, n))
    c("%s->%s_set = 0;" % (var, n))


def marshal_value(c, field, tag, value):
    """Writes one value of the field (one element for arrays)."""
    if field.kind == "int":
        c("evtag_marshal_int(evbuf, %s, %s);" % (tag, value))
    elif field.kind == "int64":
        c("evtag_marshal_int64(evbuf, %s, %s);" % (tag, value))
    elif field.kind == "string":
        c("evtag_marshal_string(evbuf, %s, %s);" % (tag, value))
    elif field.kind == "struct":
        c("evtag_marshal_%s(evbuf, %s, %s);" % (field.ref, tag, value))
    else:
        raise AssertionError(field.kind)


def unmarshal_struct_value(c, field, tag, target, known):
    """Reads one nested struct into a fresh object and stores it in target."""
    ref = field.ref
    c("{", "struct %s *value = %s_new();" % (ref, ref), "if (value == NULL)", "  return -1;")
    if ref in known:
        c("if (%s_evtag_unmarshal_depth_(evbuf, %s, value, depth + 1) == -1) {" % (ref, tag))
    else:
        c("if (evtag_unmarshal_%s(evbuf, %s, value) == -1) {" % (ref, tag))
    c("%s_free(value);" % ref, "return -1;", "}")
    if not field.array:
        c("if (%s != NULL)" % target, "  %s_free(%s);" % (ref, target))
    c("%s = value;" % target, "}")


def generate_struct(c, struct, known):
    s = struct.name
    fields = struct.fields
    c("/*", " * struct %s" % s, " */", "")
    c("static struct %s_access_ %s_base_ = {" % (s, s))
    if not fields:
        c("NULL")
    for field in fields:
        ops = ["assign", "get"] + (["add"] if field.array else [])
        c(*["%s_%s_%s," % (s, field.name, op) for op in ops])
    c("};", "")

    # Creation
    c("struct %s *" % s, "%s_new(void)" % s, "{", "return %s_new_with_arg(NULL);" % s, "}", "")
    c("struct %s *" % s, "%s_new_with_arg(void *unused)" % s, "{",
      "struct %s *msg;" % s, "(void)unused;",
      "msg = malloc(sizeof(*msg));", "if (msg == NULL)", "  return NULL;",
      "msg->base = &%s_base_;" % s)
    for field in fields:
        initialize(c, field, "msg")
    c("return msg;", "}", "")

    # Field access
    for field in fields:
        generate_access(c, struct, field)

    # Clearing and freeing
    c("void", "%s_clear(struct %s *msg)" % (s, s), "{", "if (msg == NULL)", "  return;")
    for field in fields:
        release(c, field, "msg")
        initialize(c, field, "msg")
    c("}", "")
    c("/* libevent's crashes on NULL; ours is a no-op, as free(NULL) is. */",
      "void", "%s_free(struct %s *msg)" % (s, s), "{", "if (msg == NULL)", "  return;")
    for field in fields:
        release(c, field, "msg")
    c("free(msg);", "}", "")

    # Marshalling: the fields in the order of the .rpc file, each with its
    # tag; array elements one after another with the array's tag.
    c("/* A required string or struct that is not set is left out (libevent's",
      " * crashes on it); the receiver then refuses the message as incomplete. */",
      "void", "%s_marshal(struct evbuffer *evbuf, const struct %s *msg)" % (s, s), "{")
    if any(f.array for f in fields):
        c("int i;")
    c("(void)evbuf;  /* unused when there are no fields */")
    c("if (msg == NULL)", "  return;")
    for field in fields:
        n = field.name
        tag = tag_name_of(struct, field)
        data = "msg->%s_data" % n
        if field.array:
            c("if (msg->%s_set) {" % n, "for (i = 0; i < msg->%s_length; i++) {" % n)
            if field.kind == "string":
                # libevent's crashes on a NULL element; ours sends "".
                c("evtag_marshal_string(evbuf, %s, %s[i] != NULL ? %s[i] : \"\");" % (tag, data, data))
            elif field.kind == "struct":
                c("if (%s[i] != NULL)" % data)
                c("  evtag_marshal_%s(evbuf, %s, %s[i]);" % (field.ref, tag, data))
            else:
                marshal_value(c, field, tag, "%s[i]" % data)
            c("}", "}")
            continue
        conditions = []
        if field.optional or field.kind == "struct":
            conditions.append("msg->%s_set" % n)
        if field.kind in ("string", "struct"):
            conditions.append("%s != NULL" % data)
        if conditions:
            c("if (%s)" % " && ".join(conditions))
            c.depth += 1
        if field.kind == "fixed":
            c("evtag_marshal(evbuf, %s, %s, (ev_uint32_t)sizeof(%s));" % (tag, data, data))
        elif field.kind == "bytes":
            c("rpcgen_marshal_bytes_(evbuf, %s, %s, msg->%s_length);" % (tag, data, n))
        else:
            marshal_value(c, field, tag, data)
        if conditions:
            c.depth -= 1
    c("}", "")

    c("void",
      "evtag_marshal_%s(struct evbuffer *evbuf, ev_uint32_t tag," % s,
      "    const struct %s *msg)" % s, "{",
      "struct evbuffer *body;",
      "if (msg == NULL)", "  return;",
      "/* libevent asserts here; without memory there is nothing to write. */",
      "if ((body = evbuffer_new()) == NULL)", "  return;",
      "%s_marshal(body, msg);" % s,
      "evtag_marshal_buffer(evbuf, tag, body);",
      "evbuffer_free(body);", "}", "")

    # Unmarshalling: a sequence of tagged fields; an unknown tag or a second
    # copy of a field that is not an array makes the whole message bad.
    c("int", "%s_unmarshal(struct %s *msg, struct evbuffer *evbuf)" % (s, s), "{",
      "return %s_unmarshal_depth_(msg, evbuf, 0);" % s, "}", "")
    c("static int", "%s_unmarshal_depth_(struct %s *msg, struct evbuffer *evbuf, int depth)" % (s, s), "{",
      "ev_uint32_t tag;",
      "if (msg == NULL || evbuf == NULL || depth > EVENT_RPCGEN_MAX_DEPTH)", "  return -1;",
      "while (evbuffer_get_length(evbuf) > 0) {",
      "if (evtag_peek(evbuf, &tag) == -1)", "  return -1;",
      "switch (tag) {")
    for field in fields:
        n = field.name
        tag = tag_name_of(struct, field)
        c("case %s:" % tag)
        c.depth += 1
        if field.array:
            c("if (msg->%s_length >= msg->%s_num_allocated &&" % (n, n),
              "    %s_%s_grow_(msg) == -1)" % (s, n), "  return -1;")
            slot = "msg->%s_data[msg->%s_length]" % (n, n)
            if field.kind == "int":
                c("if (evtag_unmarshal_int(evbuf, %s, &%s) == -1)" % (tag, slot), "  return -1;")
            elif field.kind == "int64":
                c("if (evtag_unmarshal_int64(evbuf, %s, &%s) == -1)" % (tag, slot), "  return -1;")
            elif field.kind == "string":
                # Whatever a failed read left in the slot is freed: the
                # element is not counted.
                c("%s = NULL;" % slot,
                  "if (evtag_unmarshal_string(evbuf, %s, &%s) == -1) {" % (tag, slot),
                  "free(%s);" % slot, "%s = NULL;" % slot, "return -1;", "}")
            else:
                unmarshal_struct_value(c, field, tag, slot, known)
            c("msg->%s_length++;" % n)
        else:
            c("if (msg->%s_set)" % n, "  return -1;")
            data = "msg->%s_data" % n
            if field.kind == "int":
                c("if (evtag_unmarshal_int(evbuf, %s, &%s) == -1)" % (tag, data), "  return -1;")
            elif field.kind == "int64":
                c("if (evtag_unmarshal_int64(evbuf, %s, &%s) == -1)" % (tag, data), "  return -1;")
            elif field.kind == "string":
                c("free(%s);" % data, "%s = NULL;" % data,
                  "if (evtag_unmarshal_string(evbuf, %s, &%s) == -1)" % (tag, data), "  return -1;")
            elif field.kind == "fixed":
                # The tag's length must be exactly the field's size.
                c("if (evtag_unmarshal_fixed(evbuf, %s, %s, sizeof(%s)) == -1)" % (tag, data, data), "  return -1;")
            elif field.kind == "bytes":
                c("{", "ev_uint32_t len;", "ev_uint8_t *value;",
                  "if (evtag_payload_length(evbuf, &len) == -1 ||",
                  "    len > evbuffer_get_length(evbuf))",
                  "  return -1;",
                  "/* malloc(0) may answer NULL; libevent's then fails. */",
                  "if ((value = malloc(len > 0 ? len : 1)) == NULL)", "  return -1;",
                  "if (evtag_unmarshal_fixed(evbuf, %s, value, len) == -1) {" % tag,
                  "free(value);", "return -1;", "}",
                  "free(%s);" % data, "%s = value;" % data, "msg->%s_length = len;" % n, "}")
            else:
                unmarshal_struct_value(c, field, tag, data, known)
        c("msg->%s_set = 1;" % n, "break;")
        c.depth -= 1
    c("default:")
    c.depth += 1
    c("return -1;")
    c.depth -= 1
    c("}", "}", "return %s_complete(msg);" % s, "}", "")

    c("int",
      "evtag_unmarshal_%s(struct evbuffer *evbuf, ev_uint32_t need_tag," % s,
      "    struct %s *msg)" % s, "{",
      "return %s_evtag_unmarshal_depth_(evbuf, need_tag, msg, 0);" % s, "}", "")
    c("static int",
      "%s_evtag_unmarshal_depth_(struct evbuffer *evbuf, ev_uint32_t need_tag," % s,
      "    struct %s *msg, int depth)" % s, "{",
      "ev_uint32_t tag;", "int res = -1;", "struct evbuffer *body;",
      "if (evbuf == NULL || (body = evbuffer_new()) == NULL)", "  return -1;",
      "if (evtag_unmarshal(evbuf, &tag, body) != -1 && tag == need_tag &&",
      "    %s_unmarshal_depth_(msg, body, depth) == 0)" % s,
      "  res = 0;",
      "evbuffer_free(body);", "return res;", "}", "")

    # Completeness: every required field set, every nested struct complete.
    c("int", "%s_complete(struct %s *msg)" % (s, s), "{")
    if any(f.array and f.kind == "struct" for f in fields):
        c("int i;")
    c("if (msg == NULL)", "  return -1;")
    for field in fields:
        n = field.name
        if not field.optional and not field.array:
            c("if (!msg->%s_set)" % n, "  return -1;")
        if field.kind == "struct" and field.array:
            c("for (i = 0; i < msg->%s_length; i++) {" % n,
              "if (msg->%s_data[i] == NULL || %s_complete(msg->%s_data[i]) == -1)" % (n, field.ref, n),
              "  return -1;", "}")
        elif field.kind == "struct":
            c("if (msg->%s_set &&" % n,
              "    (msg->%s_data == NULL || %s_complete(msg->%s_data) == -1))" % (n, field.ref, n),
              "  return -1;")
    c("return 0;", "}", "")


def generate_access(c, struct, field):
    s = struct.name
    n = field.name
    prefix = "%s_%s" % (s, n)
    data = "msg->%s_data" % n
    if field.array:
        elem = element_type(field)
        c("static int", "%s_grow_(struct %s *msg)" % (prefix, s), "{",
          "int count;", "%s*bigger;" % (elem if elem.endswith("*") else elem + " "),
          "if (msg->%s_num_allocated > 0x3fffffff)" % n, "  return -1;",
          "count = msg->%s_num_allocated > 0 ? msg->%s_num_allocated * 2 : 4;" % (n, n),
          "if ((size_t)count > (size_t)-1 / sizeof(*bigger))", "  return -1;",
          "bigger = realloc(%s, (size_t)count * sizeof(*bigger));" % data,
          "if (bigger == NULL)", "  return -1;",
          "%s = bigger;" % data, "msg->%s_num_allocated = count;" % n, "return 0;", "}", "")
        # add
        if field.kind == "struct":
            c("struct %s *" % field.ref, "%s_add(struct %s *msg)" % (prefix, s), "{",
              "struct %s *value;" % field.ref,
              "if (msg->%s_length >= msg->%s_num_allocated && %s_grow_(msg) == -1)" % (n, n, prefix),
              "  return NULL;",
              "if ((value = %s_new()) == NULL)" % field.ref, "  return NULL;",
              "%s[msg->%s_length++] = value;" % (data, n),
              "msg->%s_set = 1;" % n, "return value;", "}", "")
        elif field.kind == "string":
            c("char **", "%s_add(struct %s *msg, const char *value)" % (prefix, s), "{",
              "char *copy = NULL;",
              "if (msg->%s_length >= msg->%s_num_allocated && %s_grow_(msg) == -1)" % (n, n, prefix),
              "  return NULL;",
              "/* A NULL value makes a NULL element, as in libevent. */",
              "if (value != NULL && (copy = rpcgen_strdup_(value)) == NULL)", "  return NULL;",
              "%s[msg->%s_length] = copy;" % (data, n),
              "msg->%s_set = 1;" % n, "return &%s[msg->%s_length++];" % (data, n), "}", "")
        else:
            c("%s *" % elem, "%s_add(struct %s *msg, const %s value)" % (prefix, s, elem), "{",
              "if (msg->%s_length >= msg->%s_num_allocated && %s_grow_(msg) == -1)" % (n, n, prefix),
              "  return NULL;",
              "%s[msg->%s_length] = value;" % (data, n),
              "msg->%s_set = 1;" % n, "return &%s[msg->%s_length++];" % (data, n), "}", "")
        # assign
        c("int", "%s_assign(struct %s *msg, int off, %s value)" % (prefix, s, const_param(field)), "{",
          "if (!msg->%s_set || off < 0 || off >= msg->%s_length)" % (n, n), "  return -1;")
        if field.kind == "string":
            c("{", "char *copy = NULL;",
              "if (value != NULL && (copy = rpcgen_strdup_(value)) == NULL)", "  return -1;",
              "free(%s[off]);" % data, "%s[off] = copy;" % data, "}")
        elif field.kind == "struct":
            c("if (value == NULL)", "  return -1;",
              "return %s_copy_into_(%s[off], value);" % (field.ref, data))
        else:
            c("%s[off] = value;" % data)
        if field.kind != "struct":
            c("return 0;")
        c("}", "")
        # get
        c("int", "%s_get(struct %s *msg, int offset, %s value)" % (prefix, s, ptr(elem)), "{",
          "if (!msg->%s_set || offset < 0 || offset >= msg->%s_length)" % (n, n), "  return -1;",
          "*value = %s[offset];" % data, "return 0;", "}", "")
        return

    if field.kind in ("int", "int64"):
        ctype = element_type(field)
        c("int", "%s_assign(struct %s *msg, const %s value)" % (prefix, s, ctype), "{",
          "%s = value;" % data, "msg->%s_set = 1;" % n, "return 0;", "}", "")
        c("int", "%s_get(struct %s *msg, %s *value)" % (prefix, s, ctype), "{")
    elif field.kind == "string":
        c("/* The copy is made before the old value goes, so that value may be it. */",
          "int", "%s_assign(struct %s *msg, const char *value)" % (prefix, s), "{",
          "char *copy;",
          "if (value == NULL || (copy = rpcgen_strdup_(value)) == NULL)", "  return -1;",
          "free(%s);" % data, "%s = copy;" % data, "msg->%s_set = 1;" % n, "return 0;", "}", "")
        c("int", "%s_get(struct %s *msg, char **value)" % (prefix, s), "{")
    elif field.kind == "fixed":
        c("int", "%s_assign(struct %s *msg, const ev_uint8_t *value)" % (prefix, s), "{",
          "if (value == NULL)", "  return -1;",
          "memmove(%s, value, sizeof(%s));" % (data, data), "msg->%s_set = 1;" % n, "return 0;", "}", "")
        c("int", "%s_get(struct %s *msg, ev_uint8_t **value)" % (prefix, s), "{")
    elif field.kind == "bytes":
        c("int", "%s_assign(struct %s *msg, const ev_uint8_t *value, ev_uint32_t len)" % (prefix, s), "{",
          "ev_uint8_t *copy;",
          "if (value == NULL && len > 0)", "  return -1;",
          "if ((copy = rpcgen_memdup_(value, len)) == NULL)", "  return -1;",
          "free(%s);" % data, "%s = copy;" % data, "msg->%s_length = len;" % n,
          "msg->%s_set = 1;" % n, "return 0;", "}", "")
        c("int", "%s_get(struct %s *msg, ev_uint8_t **value, ev_uint32_t *plen)" % (prefix, s), "{",
          "if (msg->%s_set != 1)" % n, "  return -1;",
          "*value = %s;" % data, "*plen = msg->%s_length;" % n, "return 0;", "}", "")
        return
    else:  # struct
        ref = field.ref
        c("/* Copies value in through the wire encoding, as libevent does, into the",
          " * field's existing object when there is one (pointers to it stay valid). */",
          "int", "%s_assign(struct %s *msg, const struct %s *value)" % (prefix, s, ref), "{",
          "if (value == NULL)", "  return -1;",
          "if (%s == NULL && (%s = %s_new()) == NULL)" % (data, data, ref), "  return -1;",
          "msg->%s_set = 0;" % n,
          "if (%s_copy_into_(%s, value) == -1)" % (ref, data), "  return -1;",
          "msg->%s_set = 1;" % n, "return 0;", "}", "")
        c("/* As in libevent, getting a struct that is not set creates it. */",
          "int", "%s_get(struct %s *msg, struct %s **value)" % (prefix, s, ref), "{",
          "if (msg->%s_set != 1) {" % n,
          "if (%s == NULL && (%s = %s_new()) == NULL)" % (data, data, ref), "  return -1;",
          "msg->%s_set = 1;" % n, "}",
          "*value = %s;" % data, "return 0;", "}", "")
        return
    c("if (msg->%s_set != 1)" % n, "  return -1;", "*value = %s;" % data, "return 0;", "}", "")


# ---------------------------------------------------------------- driver


def default_outputs(rpc_path, header, impl):
    """libevent's rule: FILE.rpc makes FILE.gen.c and FILE.gen.h next to
    it; given only the C file, the header is its name with .h."""
    if impl is None:
        root, ext = os.path.splitext(rpc_path)
        impl = (root if ext else rpc_path) + ".gen.c"
    if header is None:
        header = os.path.splitext(impl)[0] + ".h"
    return header, impl


def write_atomically(path, text):
    directory = os.path.dirname(path) or "."
    fd, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape") as out:
            out.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def parse_file(path):
    with open(path, "r", encoding="utf-8", errors="surrogateescape") as src:
        text = src.read()
    return Parser(text, path).parse()


def print_enums(desc, out):
    for struct in desc.structs:
        out.write("enum %s_ {\n" % struct.name.lower())
        for field in struct.fields:
            out.write("  %s = %d,\n" % (tag_name_of(struct, field), field.tag))
        out.write("  %s_MAX_TAGS\n};\n" % struct.name.upper())


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog=PROGRAM,
        usage="%(prog)s [-h] [--quiet] [--print-enums] FILE.rpc [[HEADER.h] IMPL.c]",
        description="Generates C marshalling code (FILE.gen.h and FILE.gen.c by "
        "default) from a .rpc message description.  With one output name, it "
        "is the C file and the header is named after it.")
    parser.add_argument("--quiet", action="store_true", help="say nothing on success")
    parser.add_argument("--print-enums", action="store_true",
                        help="print the tag enums to standard output and write no files")
    parser.add_argument("rpc_file", metavar="FILE.rpc")
    parser.add_argument("outputs", nargs="*", metavar="OUTPUT")
    args = parser.parse_args(argv)
    if len(args.outputs) > 2:
        parser.error("at most two output files: [HEADER.h] IMPL.c")
    header = impl = None
    if len(args.outputs) == 1:
        impl = args.outputs[0]
    elif len(args.outputs) == 2:
        header, impl = args.outputs
    header, impl = default_outputs(args.rpc_file, header, impl)
    if not impl.endswith(".c"):
        parser.error("the C file's name must end with .c: %s" % impl)
    if not header.endswith(".h"):
        parser.error("the header's name must end with .h: %s" % header)
    if any(char in os.path.basename(header) for char in '"\\\n'):
        parser.error("the header's name cannot go in an #include line: %r" % header)
    try:
        desc = parse_file(args.rpc_file)
        if args.print_enums:
            print_enums(desc, sys.stdout)
            return 0
        header_text = generate_header(desc, header)
        code_text = generate_code(desc, header)
        write_atomically(header, header_text)
        write_atomically(impl, code_text)
    except RpcError as err:
        sys.stderr.write("%s\n" % err)
        return 1
    except OSError as err:
        where = err.filename if err.filename else args.rpc_file
        sys.stderr.write("%s: %s: %s\n" % (PROGRAM, where, err.strerror or err))
        return 1
    if not args.quiet:
        print("%s: %s -> %s, %s" % (PROGRAM, args.rpc_file, header, impl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
