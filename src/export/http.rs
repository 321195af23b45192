use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use may::coroutine::JoinHandle;
use may::net::{TcpListener, TcpStream};

use super::MetricsExporter;
use crate::sync::{AtomicBool, AtomicU64, Ordering};

/// How long a client may take to send its request or read the answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest request head read.
const MAX_REQUEST: usize = 8 * 1024;

/// A minimal HTTP/1.1 endpoint serving an exporter on `GET /metrics`, in a
/// may coroutine on may's own networking ([`may::net::TcpListener`]).
///
/// It answers one request per connection (`Connection: close`), one
/// connection at a time, with a 2 s timeout per client: enough for a
/// Prometheus scraper, and not meant to face the open internet (bind it to
/// loopback or a private interface). `GET /metrics` (a query string is
/// ignored) gets the exporter's text; other paths get 404, other methods
/// 405. The server stops when [`shutdown`](Self::shutdown) is called or the
/// value is dropped.
///
/// ```
/// use std::io::{Read, Write};
/// use std::sync::Arc;
/// use may_channel::export::{MetricsServer, PrometheusExporter};
///
/// let exporter = Arc::new(PrometheusExporter::new());
/// let (tx, _rx) = may_channel::flavors::InstrumentedBounded::<8>::new();
/// tx.send(1u8).unwrap();
/// exporter.register("jobs", &tx).unwrap();
/// let server = MetricsServer::bind("127.0.0.1:0", exporter).unwrap();
///
/// let mut client = std::net::TcpStream::connect(server.local_addr()).unwrap();
/// client.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").unwrap();
/// let mut answer = String::new();
/// client.read_to_string(&mut answer).unwrap();
/// assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"));
/// assert!(answer.contains("may_channel_sent_total{channel=\"jobs\"} 1\n"));
/// server.shutdown();
/// ```
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicU64>,
    coroutine: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `addr` and starts serving `exporter` in a new coroutine.
    pub fn bind(
        addr: impl ToSocketAddrs,
        exporter: Arc<dyn MetricsExporter>,
    ) -> io::Result<MetricsServer> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicU64::new(0));
        let (stop_flag, served_count) = (Arc::clone(&stop), Arc::clone(&served));
        let builder = may::coroutine::Builder::new()
            .name("may_channel metrics server".to_owned())
            .stack_size(0x4000);
        // may's two conditions for spawning hold: the coroutine holds no
        // thread-local reference across a yield (may's sockets, a std mutex,
        // heap strings), and 0x4000 words (128 KiB) of stack is far more
        // than rendering uses (no recursion, no large locals).
        // SAFETY: both conditions above.
        let coroutine =
            unsafe { builder.spawn(move || serve(listener, exporter, &stop_flag, &served_count)) }?;
        Ok(MetricsServer {
            addr,
            stop,
            served,
            coroutine: Some(coroutine),
        })
    }

    /// The address the server listens on (the chosen port when bound to
    /// port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Requests received so far and answered (or being answered), whatever
    /// the status.
    pub fn requests_served(&self) -> u64 {
        // Relaxed: a statistic; the caller learns nothing else through it.
        self.served.load(Ordering::Relaxed)
    }

    /// Stops the server and waits for its coroutine to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        let Some(coroutine) = self.coroutine.take() else {
            return;
        };
        // The store comes before the wake-up connection below, and the accept
        // loop loads the flag after accepting it: the kernel round trip
        // between them orders the two, and SeqCst spares a weaker argument.
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept with a connection of our own.
        let wake = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), self.addr.port())
            }
            IpAddr::V6(ip) if ip.is_unspecified() => {
                SocketAddr::new(Ipv6Addr::LOCALHOST.into(), self.addr.port())
            }
            _ => self.addr,
        };
        if std::net::TcpStream::connect_timeout(&wake, CLIENT_TIMEOUT).is_ok() {
            let _ = coroutine.join();
        }
        // Otherwise the listener is gone already or unreachable; leave the
        // coroutine to end on its next accept rather than hang here.
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

impl std::fmt::Debug for MetricsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsServer")
            .field("addr", &self.addr)
            .field("requests_served", &self.requests_served())
            .finish()
    }
}

fn serve(
    listener: TcpListener,
    exporter: Arc<dyn MetricsExporter>,
    stop: &AtomicBool,
    served: &AtomicU64,
) {
    loop {
        let accepted = listener.accept();
        // SeqCst: see the store in `stop_and_join`.
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok((stream, _)) = accepted else {
            // A failed accept (a client that reset early, or no file
            // descriptor left) concerns that client only.
            continue;
        };
        // A client that fails (times out, resets) concerns that client only.
        let _ = answer(stream, &*exporter, served);
    }
}

/// Reads one request head and writes the answer.
fn answer(
    mut stream: TcpStream,
    exporter: &dyn MetricsExporter,
    served: &AtomicU64,
) -> io::Result<()> {
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 512];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_REQUEST {
            return respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                "text/plain",
                b"",
            );
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&buf[..n]);
    }
    // Counted before answering, so a client that has read its answer sees
    // its request counted.
    // Relaxed: a statistic, see `requests_served`.
    served.fetch_add(1, Ordering::Relaxed);
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    match (method, path) {
        (b"GET" | b"HEAD", b"/metrics") => {
            let body = exporter.render();
            let body = if method == b"HEAD" { "" } else { body.as_str() };
            respond(
                &mut stream,
                "200 OK",
                exporter.content_type(),
                body.as_bytes(),
            )
        }
        (b"GET" | b"HEAD", _) => {
            respond(&mut stream, "404 Not Found", "text/plain", b"not found\n")
        }
        _ => respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"only GET /metrics\n",
        ),
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}
