use super::*;

#[test]
fn self_check_print() {
    let d = reference();
    let flags = d.self_check();
    for s in &flags {
        let own = d.get(&s.name).unwrap().downloads;
        println!("{s} [{}] own={} ratio={}", s.severity, human_count(own), s.target_downloads / own);
    }
    println!("{} flagged", flags.len());
}
