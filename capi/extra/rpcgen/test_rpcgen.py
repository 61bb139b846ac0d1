"""Tests of event_rpcgen.py: the language, its errors, the command line.

Run with `python3 -m unittest discover -s capi/extra/rpcgen`.  Whether the
generated C compiles and works is tested by tests/rpcgen.rs and the
c-tests/rpcgen_*.c programs.
"""

import contextlib
import io
import os
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import event_rpcgen  # noqa: E402

SCRIPT = os.path.join(HERE, "event_rpcgen.py")
TESTDATA = os.path.join(HERE, "testdata")


def parse(text, path="test.rpc"):
    return event_rpcgen.Parser(text, path).parse()


def run_main(args):
    """Runs the generator in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = event_rpcgen.main(args)
        except SystemExit as exit_:
            status = exit_.code
    return status, out.getvalue(), err.getvalue()


class ParsingTest(unittest.TestCase):
    def test_courier_has_every_feature(self):
        with open(os.path.join(TESTDATA, "courier.rpc")) as src:
            desc = parse(src.read(), "courier.rpc")
        self.assertEqual([s.name for s in desc.structs], ["parcel", "label", "leg"])
        parcel, label, leg = desc.structs
        self.assertEqual([(f.name, f.kind, f.tag, f.optional, f.array) for f in parcel.fields], [
            ("sender", "string", 1, False, False),
            ("recipient", "string", 2, False, False),
            ("stamp", "struct", 3, True, False),
            ("route", "struct", 4, False, True),
        ])
        self.assertEqual(parcel.fields[2].ref, "label")
        self.assertEqual(label.fields[0].tag, 0x2A031)
        self.assertEqual(label.fields[0].line, 13)
        self.assertEqual([(f.name, f.kind) for f in leg.fields], [
            ("carrier", "string"), ("manifest", "bytes"), ("checksum", "fixed"),
            ("remarks", "string"), ("distance", "int64"), ("stops", "int"),
        ])
        self.assertEqual(leg.fields[2].length, "20")
        self.assertTrue(leg.fields[3].array)

    def test_directives_are_sorted_between_header_and_code(self):
        desc = parse(
            "#include <a.h>\n#  include \"b.h\" // why\n#ifdef X\n#ifndef Y\n#elif 1\n#else\n#endif\n#endif\n"
            "#define LEN /* c */ 4\n#undef Q\nstruct s { bytes b[LEN] = 1; }\n")
        self.assertEqual(desc.code_lines, ['#include <a.h>', '#include "b.h"', "#ifdef X",
                                           "#ifndef Y", "#elif 1", "#else", "#endif", "#endif"])
        self.assertEqual(desc.header_lines, ["#define LEN 4", "#undef Q"])
        self.assertEqual(desc.structs[0].fields[0].length, "LEN")

    def test_layout_is_free(self):
        desc = parse("struct\ns\n{\noptional\nint\na\n=\n0x10\n;;\narray int b = 2 }")
        fields = desc.structs[0].fields
        self.assertEqual([(f.name, f.tag, f.optional, f.array) for f in fields],
                         [("a", 16, True, False), ("b", 2, False, True)])

    def test_empty_brackets_mean_variable_bytes(self):
        field = parse("struct s { bytes b[] = 1; }").structs[0].fields[0]
        self.assertEqual(field.kind, "bytes")

    def test_empty_struct(self):
        self.assertEqual(parse("struct s {}").structs[0].fields, [])

    def test_struct_of_an_included_file(self):
        desc = parse('#include "other.gen.h"\nstruct s { struct[other] o = 1; }')
        self.assertEqual(desc.structs[0].fields[0].ref, "other")

    def test_comment_lines_are_counted(self):
        desc = parse("/* one\n two\n three */ struct s {\n// x\n int a = 1; }")
        self.assertEqual(desc.structs[0].fields[0].line, 5)


class ErrorTest(unittest.TestCase):
    CASES = [
        # (source, line, part of the message)
        ("struct s {\n  int a = 1;\n  int a = 2;\n}", 3, "field a is defined twice"),
        ("struct s {\n  int a = 1;\n  int b = 1;\n}", 3, "same tag 1"),
        ("struct s { int a = 1; }\nstruct s { int a = 1; }", 2, "struct s is defined twice"),
        ("struct s {\n  float a = 1;\n}", 2, "unknown type 'float'"),
        ("struct s {\n  int a;\n}", 2, "expected '= TAG'"),
        ("struct s {\n  int a = ;\n}", 2, "expected a tag number"),
        ("struct s {\n  int a = 010;\n}", 2, "expected a tag number"),
        ("struct s {\n  int a = 1x;\n}", 2, "expected a tag number"),
        ("struct s {\n  int a = 2147483647;\n}", 2, "larger than"),
        ("struct s {\n  int a = 1 int b = 2;\n}", 2, "expected ';' after field"),
        ("struct s {\n  int a[4] = 1;\n}", 2, "only bytes fields have a length"),
        ("struct s {\n  bytes a[0] = 1;\n}", 2, "length of a must be"),
        ("struct s {\n  bytes a[4 = 1;\n}", 2, "expected ']'"),
        ("struct s {\n  optional array int a = 1;\n}", 2, "both optional and an array"),
        ("struct s {\n  array bytes a = 1;\n}", 2, "arrays of bytes"),
        ("struct s {\n  array bytes a[4] = 1;\n}", 2, "arrays of bytes"),
        ("struct s {\n  optional optional int a = 1;\n}", 2, "'optional' given twice"),
        ("struct s {\n  struct[t] a = 1;\n}", 2, "unknown struct t"),
        ("struct s {\n  struct t a = 1;\n}", 2, "expected '['"),
        ("struct s {\n  int a = 1;\n", 1, "not closed"),
        ("struct s {\n  int a = 1;\n}};", 3, "expected 'struct'"),
        ("struct {\n  int a = 1;\n}", 1, "expected a struct name"),
        ("struct int { int a = 1; }", 1, "C keyword"),
        ("struct s {\n int\n while = 1; }", 3, "C keyword"),
        ("\n\nstruct s { int a = 1; } /* open", 3, "comment is not closed"),
        ("struct s {\n  int a = 1; $\n}", 2, "unexpected character '$'"),
        ("struct s {\n  int \u00e9 = 1;\n}", 2, "unexpected character"),
        ("int a = 1;", 1, "expected 'struct'"),
        ("\n#pragma once\n", 2, "unsupported preprocessor line"),
        ("\n#include stdio.h\n", 2, "#include needs"),
        ("\n#define\n", 2, "#define needs a macro name"),
        ("\n\n#endif\n", 3, "#endif without #if"),
        ("#if 1\n#ifdef X\n#endif\n", 1, "#if without #endif"),
        ("struct s {\n#define X 1\n int a = 1; }", 2, "preprocessor line inside struct s"),
        ("struct s { int a = 1; # x\n}", 1, "'#' must start a line"),
        ("struct s {\n  int max_tags = 1;\n}", 2, "S_MAX_TAGS"),
        ("struct s {\n  int a = 1;\n  int A = 2;\n}", 3, "S_A"),
        ("struct a_b { int c = 1; }\nstruct a {\n  int b_c = 1;\n}", 3, "'A_B_C'"),
        ("struct msg { int a = 1; }\nstruct Msg { int a = 1; }", 2, "msg_"),
    ]

    def test_each_error_names_its_line(self):
        for source, line, what in self.CASES:
            with self.subTest(source=source):
                with self.assertRaises(event_rpcgen.RpcError) as caught:
                    parse(source, "bad.rpc")
                self.assertEqual(caught.exception.line, line, str(caught.exception))
                self.assertIn(what, str(caught.exception))
                self.assertTrue(str(caught.exception).startswith("bad.rpc:%d: " % line))

    def test_error_exit_leaves_no_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            rpc = os.path.join(tmp, "bad.rpc")
            with open(rpc, "w") as out:
                out.write("struct s {\n  int a = 1;\n  junk\n}\n")
            status, stdout, stderr = run_main([rpc])
            self.assertNotEqual(status, 0)
            self.assertEqual(stderr, "%s:3: unknown type 'junk' (int, int64, string, bytes or struct[NAME])\n" % rpc)
            self.assertEqual(sorted(os.listdir(tmp)), ["bad.rpc"])

    def test_error_keeps_old_outputs(self):
        with tempfile.TemporaryDirectory() as tmp:
            rpc = os.path.join(tmp, "bad.rpc")
            with open(rpc, "w") as out:
                out.write("struct s { int a = 1; }\n")
            self.assertEqual(run_main(["--quiet", rpc])[0], 0)
            with open(os.path.join(tmp, "bad.gen.h")) as src:
                before = src.read()
            with open(rpc, "w") as out:
                out.write("struct s { int a = 1; int b = 1; }\n")
            self.assertEqual(run_main(["--quiet", rpc])[0], 1)
            with open(os.path.join(tmp, "bad.gen.h")) as src:
                self.assertEqual(src.read(), before)
            self.assertEqual(sorted(os.listdir(tmp)), ["bad.gen.c", "bad.gen.h", "bad.rpc"])

    def test_missing_file(self):
        status, _, stderr = run_main(["/nonexistent/x.rpc"])
        self.assertEqual(status, 1)
        self.assertIn("/nonexistent/x.rpc", stderr)


class TokenSoupTest(unittest.TestCase):
    """Random sequences of the language's pieces: each is refused with an
    RpcError or generates code; nothing else escapes."""

    PIECES = ["struct", "a", "b", "{", "}", "[", "]", "=", ";", "int", "int64", "string",
              "bytes", "optional", "array", "0", "1", "2", "0x10", "010", "9999999999",
              "\n", "/*", "*/", "//", "#include <x.h>\n", "#define N 4\n", "#if 1\n",
              "#endif\n", "N", "struct[a]", "struct[b]", "$", "0x"]

    def test_token_soup(self):
        rnd = random.Random(20261204)
        accepted = 0
        for _ in range(3000):
            text = " ".join(rnd.choice(self.PIECES) for _ in range(rnd.randint(0, 30)))
            if rnd.random() < 0.5:
                text = "struct a { int x = 1; }\nstruct b { " + text + " }"
            try:
                desc = parse(text)
            except event_rpcgen.RpcError:
                continue
            accepted += 1
            event_rpcgen.generate_header(desc, "f.gen.h")
            event_rpcgen.generate_code(desc, "f.gen.h")
        self.assertGreater(accepted, 10)


class CommandLineTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.dir = os.path.join(self.tmp.name, "with.dots")
        os.mkdir(self.dir)
        self.rpc = os.path.join(self.dir, "proto.rpc")
        with open(self.rpc, "w") as out:
            out.write("struct s { int a = 1; optional string b = 0x20; }\n")

    def files(self):
        return sorted(os.listdir(self.dir))

    def test_default_outputs_sit_next_to_the_description(self):
        status, stdout, stderr = run_main(["--quiet", self.rpc])
        self.assertEqual((status, stdout, stderr), (0, "", ""))
        self.assertEqual(self.files(), ["proto.gen.c", "proto.gen.h", "proto.rpc"])
        with open(os.path.join(self.dir, "proto.gen.c")) as src:
            self.assertIn('#include "proto.gen.h"', src.read())

    def test_one_output_is_the_c_file(self):
        impl = os.path.join(self.dir, "out.c")
        self.assertEqual(run_main(["--quiet", self.rpc, impl])[0], 0)
        self.assertEqual(self.files(), ["out.c", "out.h", "proto.rpc"])

    def test_two_outputs_are_header_and_c_file(self):
        header = os.path.join(self.tmp.name, "h.h")
        impl = os.path.join(self.dir, "c.c")
        self.assertEqual(run_main(["--quiet", self.rpc, header, impl])[0], 0)
        self.assertTrue(os.path.exists(header))
        self.assertEqual(self.files(), ["c.c", "proto.rpc"])
        with open(impl) as src:
            self.assertIn('#include "h.h"', src.read())
        with open(header) as src:
            text = src.read()
        for name in ("struct s {", "enum s_ {", "S_A = 1,", "S_B = 32,", "S_MAX_TAGS",
                     "struct s_access_ {", "int (*a_assign)(struct s *, const ev_uint32_t);",
                     "int s_b_get(struct s *, char **);", "struct s *s_new_with_arg(void *);",
                     "int evtag_unmarshal_s(struct evbuffer *, ev_uint32_t,"):
            self.assertIn(name, text)

    def test_bad_output_names(self):
        for args in ([self.rpc, "x.h"], [self.rpc, "x.c", "y.c"], [self.rpc, "x.h", "y.h"],
                     [self.rpc, "a.h", "b.c", "c.c"], [self.rpc, 'a"b.h', "b.c"], []):
            with self.subTest(args=args):
                status, _, stderr = run_main(args)
                self.assertEqual(status, 2)
                self.assertIn("usage:", stderr)
        self.assertEqual(self.files(), ["proto.rpc"])

    def test_bytes_that_are_not_utf8_pass_through(self):
        with open(self.rpc, "wb") as out:
            out.write(b'#define NAME "\xff"\nstruct s { int a = 1; }\n')
        self.assertEqual(run_main(["--quiet", self.rpc])[0], 0)
        with open(os.path.join(self.dir, "proto.gen.h"), "rb") as src:
            self.assertIn(b'#define NAME "\xff"\n', src.read())

    def test_not_quiet_says_what_it_wrote(self):
        status, stdout, _ = run_main([self.rpc])
        self.assertEqual(status, 0)
        self.assertIn("proto.gen.h", stdout)
        self.assertIn("proto.gen.c", stdout)

    def test_print_enums_writes_no_files(self):
        status, stdout, _ = run_main(["--print-enums", self.rpc])
        self.assertEqual(status, 0)
        self.assertEqual(stdout, "enum s_ {\n  S_A = 1,\n  S_B = 32,\n  S_MAX_TAGS\n};\n")
        self.assertEqual(self.files(), ["proto.rpc"])

    def test_help(self):
        status, stdout, _ = run_main(["-h"])
        self.assertEqual(status, 0)
        self.assertIn("--print-enums", stdout)

    def test_runs_as_a_program(self):
        result = subprocess.run([sys.executable, SCRIPT, "--quiet", self.rpc],
                                capture_output=True, text=True)
        self.assertEqual((result.returncode, result.stdout, result.stderr), (0, "", ""))
        self.assertTrue(os.access(SCRIPT, os.X_OK))
        with open(SCRIPT) as src:
            self.assertEqual(src.readline(), "#!/usr/bin/env python3\n")


class OutputTest(unittest.TestCase):
    def generate(self, name):
        path = os.path.join(TESTDATA, name)
        desc = event_rpcgen.parse_file(path)
        return (event_rpcgen.generate_header(desc, "out.gen.h"),
                event_rpcgen.generate_code(desc, "out.gen.h"))

    def test_directives_land_where_libevent_puts_them(self):
        header, code = self.generate("directives.rpc")
        self.assertIn("#define ADDRESS_LENGTH 16", header)
        self.assertLess(header.index("#define ADDRESS_LENGTH"), header.index("#include <event2/rpc.h>"))
        self.assertNotIn("#include <stdio.h>", header)
        self.assertLess(code.index("#include <stdio.h>"), code.index('#include "out.gen.h"'))
        self.assertLess(code.index("#if 1"), code.index("#include <limits.h>"))
        self.assertIn("ev_uint8_t address_data[ADDRESS_LENGTH];", header)

    def test_every_testdata_file_generates(self):
        for name in sorted(os.listdir(TESTDATA)):
            if name.endswith(".rpc"):
                with self.subTest(name=name):
                    header, code = self.generate(name)
                    self.assertTrue(header.endswith("#endif /* EVENT_RPCGEN_OUT_GEN_H_INCLUDED_ */\n"))
                    self.assertIn("return 0;", code)

    def test_structs_of_other_files_are_declared(self):
        header, code = self.generate("shipment.rpc")
        self.assertLess(header.index("struct parcel;"), header.index("struct shipment_access_ {"))
        self.assertLess(header.index("struct leg;"), header.index("struct shipment_access_ {"))
        self.assertNotIn('#include "courier.gen.h"', header)
        self.assertIn("evtag_unmarshal_parcel(evbuf, SHIPMENT_PARCELS, value)", code)

    def test_same_input_same_output(self):
        self.assertEqual(self.generate("courier.rpc"), self.generate("courier.rpc"))


if __name__ == "__main__":
    unittest.main()
