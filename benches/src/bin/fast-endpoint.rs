//! `fast-endpoint [--listen ADDR] [--shards N]`: the fast Kinesis-API test endpoint
//! (`benches::fast_endpoint`) in a process of its own. Prints `listening on http://ADDR`,
//! then serves until it is killed or its stdin closes.

use std::io::Read;
use std::sync::Arc;

use benches::fast_endpoint::{spawn, Counts, FastStream};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let listen = value("--listen").map_or("127.0.0.1:0", String::as_str);
    let Ok(addr) = listen.parse() else {
        eprintln!("error: --listen {listen} is not HOST:PORT (e.g. 127.0.0.1:0)");
        std::process::exit(2);
    };
    let shards = match value("--shards").map(|s| s.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            eprintln!("error: --shards takes a whole number of shards, 1 or more");
            std::process::exit(2);
        }
    };
    match spawn(addr, FastStream { shards }, Arc::new(Counts::default())) {
        Ok(at) => println!("listening on http://{at}"),
        Err(e) => {
            eprintln!("error: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    }
    // Until stdin closes (the parent went away) or a signal ends the process.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}
