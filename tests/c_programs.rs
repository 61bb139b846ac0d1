//! Builds and runs every C program in `c-tests/`.
//!
//! Each program is compiled against `include/` and linked against the libraries that
//! `make` built (in `$EVRS_LIBDIR`, by default `build/lib`), then run with a time limit.
//! To prove that its expectations are libevent's and not ours, the same program is also
//! built against the system's libevent 2.1 (Debian's libevent-dev) and must pass there
//! too, unless it says `// test: requires 2.2`. See `c-tests/check.h` for the directives.
//! That binary, built for libevent 2.1, then runs a third time on the build with 2.1's
//! binary interface (`make ABI=2.1`, in `$EVRS_LIBDIR_21`, by default `build/lib-2.1`,
//! when it exists), loaded through `LD_LIBRARY_PATH` in place of the system's; `cross`
//! programs also pair that run with the system's library.
//!
//! Arguments: substrings of program names to run only those.
//! Environment: `EVRS_VALGRIND=1` runs our builds under valgrind's memcheck; under
//! `CI=true` a program that skips because a peer program it runs is not installed
//! fails (.ci/run installs them all).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Poll backends a `per-backend` program runs on, with the environment that selects each
/// (libevent's own `EVENT_NO<METHOD>` variables).
const BACKENDS: &[(&str, &[&str])] = &[
    ("epoll", &[]),
    ("poll", &["EVENT_NOEPOLL"]),
    ("select", &["EVENT_NOEPOLL", "EVENT_NOPOLL"]),
    // Ours only (libevent has no io_uring backend); last in our order of preference.
    (
        "io_uring",
        &["EVENT_NOEPOLL", "EVENT_NOPOLL", "EVENT_NOSELECT"],
    ),
];

/// True for the backends that `library` has (and this kernel allows).
fn has_backend(library: Library, backend: &str) -> bool {
    backend != "io_uring" || (library.is_ours() && io_uring_available())
}

/// Whether this kernel lets the io_uring backend work: `io_uring_setup` succeeds (no
/// `kernel.io_uring_disabled`, no seccomp filter refusing it) and reports what the
/// backend needs (`EXT_ARG`, `NODROP`, resource tags: kernel 5.13). Said once when not.
fn io_uring_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        const FEAT_NODROP: u32 = 1 << 1;
        const FEAT_EXT_ARG: u32 = 1 << 8;
        const FEAT_RSRC_TAGS: u32 = 1 << 10;
        // struct io_uring_params: 120 bytes; `features` is the sixth u32.
        let mut params = [0u32; 30];
        // SAFETY: io_uring_setup writes at most the 120 bytes of `params`.
        let fd = unsafe { libc::syscall(libc::SYS_io_uring_setup, 1u32, params.as_mut_ptr()) };
        if fd < 0 {
            let err = std::io::Error::last_os_error();
            eprintln!("c-tests: io_uring is not available here ({err}); its runs are skipped");
            return false;
        }
        // SAFETY: `fd` is the ring just made, closed once.
        unsafe { libc::close(fd as libc::c_int) };
        let needed = FEAT_NODROP | FEAT_EXT_ARG | FEAT_RSRC_TAGS;
        let usable = params[5] & needed == needed;
        if !usable {
            eprintln!(
                "c-tests: this kernel's io_uring is too old for the backend; its runs are skipped"
            );
        }
        usable
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Library {
    /// This project's build.
    Ours,
    /// The system's libevent 2.1 (libevent-dev).
    System,
    /// This project's build with libevent 2.1's binary interface, running the binaries
    /// built for [`Library::System`].
    Ours21,
}

impl Library {
    fn label(self) -> &'static str {
        match self {
            Library::Ours => "evrs",
            Library::System => "libevent-2.1",
            Library::Ours21 => "evrs-2.1",
        }
    }

    /// Runs under valgrind when asked to: the builds of this project.
    fn is_ours(self) -> bool {
        matches!(self, Library::Ours | Library::Ours21)
    }
}

struct Program {
    name: String,
    source: PathBuf,
    libs: Vec<String>,
    requires_2_2: bool,
    per_backend: bool,
    /// A `.rpc` file in c-tests/ whose generated code is compiled with the program.
    rpcgen: Option<String>,
    /// Also run as two processes, one per library (see `Harness::cross`).
    cross: bool,
    timeout: Duration,
}

impl Program {
    fn parse(source: PathBuf) -> Result<Program, String> {
        let text = std::fs::read_to_string(&source).map_err(|e| e.to_string())?;
        let name = source.file_stem().unwrap().to_string_lossy().into_owned();
        let mut program = Program {
            name,
            source,
            libs: vec!["event".to_owned()],
            requires_2_2: false,
            per_backend: false,
            rpcgen: None,
            cross: false,
            timeout: Duration::from_secs(30),
        };
        for line in text.lines() {
            let Some(directive) = line.trim().strip_prefix("// test:") else {
                continue;
            };
            let mut words = directive.split_whitespace();
            match words.next() {
                Some("link") => program.libs = words.map(str::to_owned).collect(),
                Some("requires") if words.next() == Some("2.2") => program.requires_2_2 = true,
                // Checks where libevent itself crashes or misbehaves (NULL arguments...).
                Some("evrs-only") => program.requires_2_2 = true,
                Some("per-backend") => program.per_backend = true,
                Some("rpcgen") => {
                    let file = words.next().ok_or("rpcgen needs a .rpc file")?;
                    program.rpcgen = Some(file.to_owned());
                }
                Some("cross") => program.cross = true,
                Some("timeout") => {
                    let secs = words.next().and_then(|w| w.parse().ok());
                    program.timeout = Duration::from_secs(secs.ok_or("bad timeout")?);
                }
                _ => return Err(format!("unknown directive `{}`", directive.trim())),
            }
        }
        Ok(program)
    }

    fn runs_on_system(&self) -> bool {
        // Debian's libevent 2.1 has no mbedtls library.
        !self.requires_2_2 && !self.libs.iter().any(|l| l == "event_mbedtls")
    }
}

struct Outcome {
    label: String,
    result: Result<(), String>,
}

struct Harness {
    root: PathBuf,
    libdir: PathBuf,
    /// The 2.1 build, when there is one.
    libdir21: Option<PathBuf>,
    bindir: PathBuf,
    valgrind: bool,
}

impl Harness {
    /// Where the program that runs on `library` is: the 2.1 build runs the very
    /// binary built for libevent 2.1.
    fn binary(&self, program: &Program, library: Library) -> PathBuf {
        let built_for = match library {
            Library::Ours21 => Library::System,
            other => other,
        };
        self.bindir.join(built_for.label()).join(&program.name)
    }

    fn compile(&self, program: &Program, library: Library) -> Result<PathBuf, String> {
        let out = self.binary(program, library);
        std::fs::create_dir_all(out.parent().unwrap()).map_err(|e| e.to_string())?;
        let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
        cc.args(["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror"])
            .arg("-Wno-deprecated-declarations")
            .arg("-I")
            .arg(self.root.join("c-tests"));
        if let Some(rpc) = &program.rpcgen {
            let generated = self.generate(rpc, out.parent().unwrap(), library)?;
            cc.arg("-I").arg(out.parent().unwrap()).arg(generated);
            if library != Library::Ours {
                // libevent's generator leaves the argument of NAME_new_with_arg unused.
                cc.arg("-Wno-unused-parameter");
            }
        }
        if library == Library::Ours {
            cc.arg("-I").arg(self.root.join("include"));
            cc.arg("-L").arg(&self.libdir);
            cc.arg(format!("-Wl,-rpath,{}", self.libdir.display()));
        }
        cc.arg(&program.source).arg("-o").arg(&out);
        for lib in &program.libs {
            cc.arg(format!("-l{lib}"));
        }
        cc.arg("-lpthread");
        let output = cc.output().map_err(|e| format!("cannot run cc: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "compile failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(out)
    }

    /// Runs event_rpcgen.py on `c-tests/<rpc>`, writing NAME.gen.h and NAME.gen.c into
    /// `dir`; returns the path of the .c file. Our build uses our generator; the
    /// system's build uses libevent's own when its source is at hand (`make check`
    /// fetches it), so that the program's expectations, and in `cross` runs the wire
    /// format, hold between the two generators too.
    fn generate(&self, rpc: &str, dir: &Path, library: Library) -> Result<PathBuf, String> {
        let stem = rpc.strip_suffix(".rpc").ok_or("rpcgen needs a .rpc file")?;
        let header = dir.join(format!("{stem}.gen.h"));
        let source = dir.join(format!("{stem}.gen.c"));
        let ours = self.root.join("capi/extra/rpcgen/event_rpcgen.py");
        let generator = match library {
            Library::Ours => ours,
            Library::System | Library::Ours21 => libevent_generator(&self.root).unwrap_or(ours),
        };
        let output = Command::new("python3")
            .arg(&generator)
            .arg("--quiet")
            .arg(self.root.join("c-tests").join(rpc))
            .arg(&header)
            .arg(&source)
            .output()
            .map_err(|e| format!("cannot run python3: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "{} failed:\n{}",
                generator.display(),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(source)
    }

    fn run(
        &self,
        binary: &Path,
        env: &[&str],
        backend: Option<&str>,
        program: &Program,
        library: Library,
    ) -> Result<(), String> {
        let child = self.start(binary, &[], env, backend, library)?;
        self.finish(child, program)
    }

    fn start(
        &self,
        binary: &Path,
        args: &[&std::ffi::OsStr],
        env: &[&str],
        backend: Option<&str>,
        library: Library,
    ) -> Result<Running, String> {
        let mut command = if self.valgrind && library.is_ours() {
            let mut c = Command::new("valgrind");
            c.args([
                "-q",
                "--error-exitcode=99",
                "--leak-check=full",
                "--errors-for-leak-kinds=definite",
            ]);
            c.arg(binary);
            c
        } else {
            Command::new(binary)
        };
        for var in env {
            command.env(var, "1");
        }
        if library == Library::Ours21 {
            // The system's build has no rpath: its libevent-2.1.so.7 comes from here.
            let libdir21 = self.libdir21.as_ref().ok_or("no 2.1 build")?;
            command.env("LD_LIBRARY_PATH", libdir21);
        }
        if let Some(backend) = backend {
            command.env("EVRS_TEST_BACKEND", backend);
        }
        command
            .args(args)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| format!("cannot start: {e}"))?;
        // Drain both pipes on their own threads so a chatty program cannot block.
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        Ok(Running {
            child,
            out_reader,
            err_reader,
            started: Instant::now(),
        })
    }

    /// Waits for a started program within its time limit and collects its output.
    fn finish(&self, running: Running, program: &Program) -> Result<(), String> {
        let Running {
            mut child,
            out_reader,
            err_reader,
            started,
        } = running;
        let limit = if self.valgrind {
            program.timeout * 10
        } else {
            program.timeout
        };
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                break Some(status);
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let output = format!(
            "{}{}",
            out_reader.join().unwrap(),
            err_reader.join().unwrap()
        );
        match status {
            // A program skips when a peer it needs (curl, openssl, dnsmasq...) is
            // missing; CI installs them all, so there a skip is a missing step.
            Some(s) if s.success() && in_ci() && output.lines().any(peer_missing) => {
                Err(format!("skipped under CI=true:\n{output}"))
            }
            Some(s) if s.success() => Ok(()),
            Some(s) => Err(format!("exited with {s}:\n{output}")),
            None => Err(format!("timed out after {limit:?}:\n{output}")),
        }
    }

    fn test(&self, program: &Program, library: Library) -> Vec<Outcome> {
        let label = |backend: Option<&str>| match backend {
            Some(b) => format!("{} [{} {}]", program.name, library.label(), b),
            None => format!("{} [{}]", program.name, library.label()),
        };
        let compiled = match library {
            Library::Ours21 => Ok(self.binary(program, library)),
            _ => self.compile(program, library),
        };
        let binary = match compiled {
            Ok(binary) => binary,
            Err(e) => {
                return vec![Outcome {
                    label: label(None),
                    result: Err(e),
                }]
            }
        };
        if program.per_backend {
            BACKENDS
                .iter()
                .filter(|(backend, _)| has_backend(library, backend))
                .map(|(backend, env)| Outcome {
                    label: label(Some(backend)),
                    result: self.run(&binary, env, Some(backend), program, library),
                })
                .collect()
        } else {
            vec![Outcome {
                label: label(None),
                result: self.run(&binary, &[], None, program, library),
            }]
        }
    }
}

/// A program started by `Harness::start`.
struct Running {
    child: std::process::Child,
    out_reader: std::thread::JoinHandle<String>,
    err_reader: std::thread::JoinHandle<String>,
    started: Instant,
}

impl Harness {
    /// For a `cross` program built against both libraries: for each ordered pair, runs
    /// `A first DIR` in the background and `B second DIR`, with DIR a fresh directory,
    /// so that what one library writes (a file, a server) the other reads (a client).
    /// With a 2.1 build, its pairs with the system's library run too.
    fn cross(&self, program: &Program) -> Vec<Outcome> {
        let mut pairs = vec![
            (Library::Ours, Library::System),
            (Library::System, Library::Ours),
        ];
        if self.libdir21.is_some() {
            pairs.push((Library::Ours21, Library::System));
            pairs.push((Library::System, Library::Ours21));
        }
        pairs
            .iter()
            .map(|&(first, second)| Outcome {
                label: format!(
                    "{} [cross: {} first, {} second]",
                    program.name,
                    first.label(),
                    second.label()
                ),
                result: self.cross_pair(program, first, second),
            })
            .collect()
    }

    fn cross_pair(&self, program: &Program, first: Library, second: Library) -> Result<(), String> {
        let binary = |library: Library| self.binary(program, library);
        let dir =
            self.bindir
                .join("cross")
                .join(format!("{}-{}-first", program.name, first.label()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let role = |name: &'static str| [std::ffi::OsStr::new(name), dir.as_os_str()];
        let first_child = self.start(&binary(first), &role("first"), &[], None, first)?;
        let second_result = self
            .start(&binary(second), &role("second"), &[], None, second)
            .and_then(|child| self.finish(child, program));
        let first_result = self.finish(first_child, program);
        first_result
            .map_err(|e| format!("first ({}): {e}", first.label()))
            .and(second_result.map_err(|e| format!("second ({}): {e}", second.label())))
    }
}

/// libevent's own event_rpcgen.py, from the source tree `make check` unpacks into
/// target/upstream-src, if there is one.
fn libevent_generator(root: &Path) -> Option<PathBuf> {
    let mut trees: Vec<PathBuf> = std::fs::read_dir(root.join("target/upstream-src"))
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("event_rpcgen.py").is_file())
        .collect();
    trees.sort();
    trees.pop().map(|tree| tree.join("event_rpcgen.py"))
}

/// True when the system's libevent development files are installed.
fn system_libevent_present() -> bool {
    Path::new("/usr/include/event2/event.h").exists()
        && Command::new("pkg-config")
            .args(["--exists", "libevent"])
            .env_remove("PKG_CONFIG_PATH")
            .status()
            .is_ok_and(|s| s.success())
}

fn main() -> ExitCode {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let libdir = std::env::var_os("EVRS_LIBDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("build/lib"));
    if !libdir.join("libevent_core.so").exists() {
        eprintln!(
            "c-tests: no libraries in {}; run `make` first",
            libdir.display()
        );
        return ExitCode::FAILURE;
    }
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let libdir21 = match std::env::var_os("EVRS_LIBDIR_21") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if !dir.join("libevent_core-2.1.so.7").exists() {
                eprintln!(
                    "c-tests: no 2.1 build in {}; run `make ABI=2.1` first",
                    dir.display()
                );
                return ExitCode::FAILURE;
            }
            Some(dir)
        }
        None => Some(root.join("build/lib-2.1"))
            .filter(|dir| dir.join("libevent_core-2.1.so.7").exists()),
    };
    if libdir21.is_none() {
        eprintln!("c-tests: no 2.1 build (`make ABI=2.1`); skipping the runs on it");
    }
    let harness = Harness {
        bindir: root.join("target/c-tests"),
        root: root.clone(),
        libdir,
        libdir21,
        valgrind: std::env::var_os("EVRS_VALGRIND").is_some_and(|v| v == "1"),
    };

    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("c-tests"))
        .expect("c-tests/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .filter(|p| {
            let name = p.file_stem().unwrap().to_string_lossy();
            filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
        })
        .collect();
    sources.sort();

    let differential = system_libevent_present();
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    if !differential {
        if in_ci {
            eprintln!("c-tests: libevent-dev is not installed; the differential check cannot run");
            failed += 1;
        } else {
            eprintln!("c-tests: libevent-dev is not installed; skipping the differential runs");
        }
    }

    for source in sources {
        let program = match Program::parse(source.clone()) {
            Ok(p) => p,
            Err(e) => {
                println!("FAIL {}: {e}", source.display());
                failed += 1;
                continue;
            }
        };
        let mut outcomes = harness.test(&program, Library::Ours);
        if program.runs_on_system() {
            if differential {
                let system = harness.test(&program, Library::System);
                let built = !system.iter().any(|o| {
                    o.result
                        .as_ref()
                        .is_err_and(|e| e.starts_with("compile failed"))
                });
                outcomes.extend(system);
                if program.cross && built {
                    outcomes.extend(harness.cross(&program));
                }
                if built && harness.libdir21.is_some() {
                    outcomes.extend(harness.test(&program, Library::Ours21));
                }
            } else {
                skipped += 1;
            }
        }
        for outcome in outcomes {
            match outcome.result {
                Ok(()) => {
                    passed += 1;
                    println!("ok   {}", outcome.label);
                }
                Err(why) => {
                    failed += 1;
                    println!("FAIL {}: {why}", outcome.label);
                }
            }
        }
    }
    println!("c-tests: {passed} passed, {failed} failed, {skipped} skipped");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A program's note that it skipped for want of a program it runs as a peer.
fn peer_missing(line: &str) -> bool {
    line.starts_with("skip:") && line.contains("not installed")
}

/// `CI=true`, as .ci/run's environment sets it.
fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true")
}
