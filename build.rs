//! Builds the typosquat lookup tables from `data/top-pypi-packages.csv` at
//! compile time (issue 11), with the same code guard uses for other lists.

use std::path::PathBuf;

#[allow(dead_code)]
#[path = "src/names/index.rs"]
mod index;
#[allow(dead_code)]
#[path = "src/names/tricks.rs"]
mod tricks;

fn main() {
    for input in [
        "data/top-pypi-packages.csv",
        "src/names/index.rs",
        "src/names/tricks.rs",
        "build.rs",
    ] {
        println!("cargo:rerun-if-changed={input}");
    }
    let csv = std::fs::read_to_string("data/top-pypi-packages.csv").expect("data/top-pypi-packages.csv is readable");
    let entries = index::parse_csv(&csv).expect("data/top-pypi-packages.csv is well-formed");
    let blob = index::build(entries, &index::Config::default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("names-index.bin");
    std::fs::write(&out, blob).expect("OUT_DIR is writable");
}
