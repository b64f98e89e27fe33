//! Load generator for `bench/serve.sh`: N keep-alive HTTP/1.1 clients on
//! loopback fetching the given paths round-robin for a bounded time, then
//! one line of JSON: requests, errors, throughput, p50/p99 latency per path kind.
//!
//!   serve_load ADDR CLIENTS SECONDS PATH...
//!
//! Loopback only: ADDR must be a 127.0.0.1 address.

use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

async fn one(stream: &mut BufReader<TcpStream>, host: &str, path: &str) -> std::io::Result<(u16, usize)> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/vnd.pypi.simple.v1+json\r\n\r\n");
    stream.get_mut().write_all(req.as_bytes()).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut len = 0usize;
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await?;
    Ok((status, len))
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: serve_load ADDR CLIENTS SECONDS PATH...");
        std::process::exit(2);
    }
    let addr = args[0].clone();
    assert!(addr.starts_with("127.0.0.1:"), "serve_load only talks to 127.0.0.1");
    let clients: usize = args[1].parse().expect("CLIENTS is a number");
    let seconds: u64 = args[2].parse().expect("SECONDS is a number");
    let paths: Vec<String> = args[3..].to_vec();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (addr, paths) = (addr.clone(), paths.clone());
        tasks.push(tokio::spawn(async move {
            // (kind, micros) per request; kind 0 = page, 1 = file
            let mut samples: Vec<(u8, u32)> = Vec::new();
            let mut errors = 0u64;
            let mut bytes = 0u64;
            let mut conn: Option<BufReader<TcpStream>> = None;
            let mut i = c;
            while Instant::now() < deadline {
                let path = &paths[i % paths.len()];
                i += 1;
                if conn.is_none() {
                    match TcpStream::connect(&addr).await {
                        Ok(s) => {
                            let _ = s.set_nodelay(true);
                            conn = Some(BufReader::new(s));
                        }
                        Err(_) => {
                            errors += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let start = Instant::now();
                let res = one(conn.as_mut().unwrap(), &addr, path).await;
                let us = start.elapsed().as_micros().min(u32::MAX as u128) as u32;
                match res {
                    Ok((200, n)) => {
                        bytes += n as u64;
                        samples.push((u8::from(path.starts_with("/files/")), us));
                    }
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        conn = None;
                    }
                }
            }
            (samples, errors, bytes)
        }));
    }
    let started = Instant::now();
    let mut pages = Vec::new();
    let mut files = Vec::new();
    let (mut errors, mut bytes) = (0u64, 0u64);
    for t in tasks {
        let (s, e, b) = t.await.expect("client task");
        errors += e;
        bytes += b;
        for (kind, us) in s {
            if kind == 0 {
                pages.push(us)
            } else {
                files.push(us)
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64().max(seconds as f64);
    pages.sort_unstable();
    files.sort_unstable();
    let mut all: Vec<u32> = pages.iter().chain(files.iter()).copied().collect();
    all.sort_unstable();
    println!(
        "{{\"clients\":{clients},\"seconds\":{elapsed:.1},\"requests\":{},\"errors\":{errors},\"req_per_s\":{:.0},\"mib_per_s\":{:.1},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"page_requests\":{},\"page_p50_ms\":{:.2},\"page_p99_ms\":{:.2},\"file_requests\":{},\"file_p50_ms\":{:.2},\"file_p99_ms\":{:.2}}}",
        all.len(),
        all.len() as f64 / elapsed,
        bytes as f64 / elapsed / 1048576.0,
        pct(&all, 0.5),
        pct(&all, 0.99),
        pages.len(),
        pct(&pages, 0.5),
        pct(&pages, 0.99),
        files.len(),
        pct(&files, 0.5),
        pct(&files, 0.99),
    );
}
