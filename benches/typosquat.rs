//! `cargo bench --bench typosquat`: lookups per second of the typosquat check.
//!
//! Builds the index once (timed separately), then checks 15,000 listed names
//! against all the others (the self-check) and 15,000 unlisted names (each
//! listed name with two letters swapped), several rounds each, and prints the
//! rate. No timing asserts; the figures go in bench/runs/.

use std::hint::black_box;
use std::time::Instant;

use guard::names::{Config, Detector, EMBEDDED_LIST};

fn main() {
    let start = Instant::now();
    let detector = Detector::from_csv(EMBEDDED_LIST, Config::default()).unwrap();
    let build = start.elapsed();
    let listed: Vec<String> = (0..detector.len() as u32).map(|id| detector.entry(id).name).collect();
    let unlisted: Vec<String> = listed
        .iter()
        .map(|n| {
            let mut b = n.clone().into_bytes();
            if b.len() > 3 {
                b.swap(1, 2);
            }
            String::from_utf8(b).unwrap()
        })
        .collect();
    println!(
        "index built in {:.1} ms over {} names",
        build.as_secs_f64() * 1e3,
        listed.len()
    );

    let rounds = 5;
    let mut samples = Vec::new();
    let mut flagged = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        flagged = unlisted
            .iter()
            .filter(|n| black_box(detector.check(n)).is_some())
            .count();
        samples.push(unlisted.len() as f64 / t.elapsed().as_secs_f64());
    }
    report("check(unlisted name)", &samples, unlisted.len(), flagged);

    let mut samples = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        flagged = black_box(detector.self_check()).len();
        samples.push(listed.len() as f64 / t.elapsed().as_secs_f64());
    }
    report(
        "self-check (listed name vs the others)",
        &samples,
        listed.len(),
        flagged,
    );
}

fn report(what: &str, samples: &[f64], n: usize, flagged: usize) {
    let mean = samples.iter().sum::<f64>() / samples.len() as f64;
    let var = samples.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / samples.len() as f64;
    println!(
        "{what}: {:.0} ± {:.0} lookups/s ({:.2} µs each), {} rounds of {n} names, {flagged} flagged",
        mean,
        var.sqrt(),
        1e6 / mean,
        samples.len()
    );
}
