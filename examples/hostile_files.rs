//! Writes the worst hostile archives of `tests/hostile_archives.rs` to a
//! directory, for `bench/hostile.sh` to measure `guard scan` on (issue 7).
//!
//! `cargo run --release --example hostile_files -- DIR`

#[allow(dead_code)]
#[path = "../tests/common/artifacts.rs"]
mod artifacts;
#[allow(dead_code)]
#[path = "../tests/common/hostile.rs"]
mod hostile;

use hostile::*;

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: hostile_files DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();
    write("zipbomb-1.0-py3-none-any.whl", zip_zeros("pkg/data.bin", 1 << 30));
    write("targzbomb-1.0.tar.gz", tar_gz_zeros("pkg-1.0/data.bin", 1 << 30));
    let mut long = raw_tar_header(b"././@LongLink", b'L', b"", 1 << 30);
    long.resize(512 + (1 << 30), b'a');
    write("longname-1.0.tar.gz", gz(&long));
    let inner = zip_zeros("zeros.bin", 1 << 30);
    let l2 = zip_stored(&[("l3.zip", inner.as_slice())]);
    write(
        "nested-1.0-py3-none-any.whl",
        zip_stored(&[("pkg/l2.zip", l2.as_slice())]),
    );
    write("million-1.0-py3-none-any.whl", zip_many(1_000_000));
    // 100,000 entries of 10 KiB: just under the entry limit, ~1 GiB expanded.
    let mut t = Vec::new();
    for i in 0..99_000u32 {
        t.extend(raw_tar_header(
            format!("pkg-1.0/f{i}.py").as_bytes(),
            b'0',
            b"",
            10 << 10,
        ));
        t.extend(vec![b'#'; 10 << 10]);
    }
    t.extend([0u8; 1024]);
    write("manyfiles-1.0.tar.gz", gz(&t));
    // 60 Python sources of 16 MiB each (the member limit): ~1 GiB of source.
    let body: Vec<u8> = b"x = call(a, b, 'str') + [1, 2, 3]\n".repeat((16 << 20) / 35);
    let names: Vec<String> = (0..60).map(|i| format!("pkg-1.0/pkg/m{i}.py")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), body.as_slice())).collect();
    write("bigsource-1.0.tar.gz", gz(&tar_of(&files)));
    let mut deep = b"x = ".to_vec();
    deep.extend(b"f(".repeat(100_000));
    deep.extend(b")".repeat(100_000));
    write(
        "deepsource-1.0.tar.gz",
        gz(&tar_of(&[("pkg-1.0/setup.py", deep.as_slice())])),
    );
}
