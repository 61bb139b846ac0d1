//! A C program that prints the struct sizes, field offsets and constants of a layout
//! file (`tests/abi/layout-*.txt`) in the file's own format, as the headers it is
//! compiled against define them.

use std::fmt::Write as _;

/// The probe's source for the lines of `layout`.
pub fn source(layout: &str) -> String {
    let mut probe = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <event2/event.h>\n\
         #include <event2/event_struct.h>\n#include <event2/buffer.h>\n\
         #include <event2/bufferevent.h>\n#include <event2/bufferevent_struct.h>\n\
         #include <event2/http.h>\n#include <event2/http_struct.h>\n\
         #include <event2/dns.h>\n#include <event2/dns_struct.h>\n\
         #include <event2/rpc.h>\n#include <event2/rpc_struct.h>\n\
         #include <event2/keyvalq_struct.h>\n#include <event2/thread.h>\n\
         #include <event2/util.h>\nint main(void) {\n",
    );
    for line in layout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["struct", name, "size", _] => writeln!(
                probe,
                "  printf(\"struct {name} size %zu\\n\", sizeof(struct {name}));"
            ),
            ["struct", field, "offset", _] => {
                let (name, member) = field.split_once('.').unwrap();
                writeln!(
                    probe,
                    "  printf(\"struct {field} offset %zu\\n\", offsetof(struct {name}, {member}));"
                )
            }
            ["const", name, value] if value.starts_with("0x") => writeln!(
                probe,
                "  printf(\"const {name} 0x%08lx\\n\", (unsigned long){name});"
            ),
            ["const", name, _] => {
                writeln!(probe, "  printf(\"const {name} %ld\\n\", (long){name});")
            }
            _ => panic!("unexpected layout line: {line}"),
        }
        .unwrap();
    }
    probe.push_str("  return 0;\n}\n");
    probe
}

/// The lines of `expected` that `actual` (the probe's output) differs in.
pub fn differences(expected: &str, actual: &str) -> Vec<String> {
    let mut differences: Vec<String> = expected
        .lines()
        .zip(actual.lines())
        .filter(|(e, a)| e != a)
        .map(|(e, a)| format!("expected `{e}`, got `{a}`"))
        .collect();
    if expected.lines().count() != actual.lines().count() {
        differences.push(format!(
            "expected {} lines, got {}",
            expected.lines().count(),
            actual.lines().count()
        ));
    }
    differences
}
