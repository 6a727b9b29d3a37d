//! Development driver: `cargo run --example trace -- <cmd> [args]` or
//! `cargo run --example trace -- -p <pid> <seconds>`; prints the JSON report.
use std::sync::Arc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (stopper, waiter) = iops_linux::stop_pair().unwrap();
    let target = if args[0] == "-p" {
        let secs: f64 = args[2].parse().unwrap();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            stopper.stop();
            std::thread::sleep(std::time::Duration::from_secs(3600));
        });
        iops_linux::Target::Attach(args[1].parse().unwrap())
    } else {
        std::mem::forget(stopper);
        iops_linux::Target::Launch(std::env::args_os().skip(1).collect())
    };
    let r = iops_linux::trace(target, &Default::default(), Arc::default(), waiter, &mut |pid| eprintln!("ready: {pid}"));
    match r {
        Ok(report) => println!("{}", report.to_json()),
        Err(e) => eprintln!("error: {e}"),
    }
}
