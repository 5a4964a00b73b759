//! Connections ([server-limits]): a share of the slots per peer, and writes that must make
//! progress.

use crate::error::BoxError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;

/// Connections served at once; further ones wait in the listen backlog.
pub(crate) const MAX_CONNECTIONS: usize = 1024;
/// Connections served at once for one peer address: a single client cannot take the slots
/// every other client needs. Its further connections are closed as soon as they are accepted.
pub(crate) const MAX_CONNECTIONS_PER_PEER: usize = MAX_CONNECTIONS / 8;
/// A response write that makes no progress for this long (the client does not read) closes the
/// connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The environment variable that may set the write timeout, in whole seconds (1 to 3600).
const WRITE_TIMEOUT_ENV: &str = "COGNITO_SIGNUP_WRITE_TIMEOUT";

/// The connections each peer address holds, so that one peer holds at most
/// `MAX_CONNECTIONS_PER_PEER` of the server's slots.
pub(crate) struct PeerSlots {
    held: Mutex<HashMap<std::net::IpAddr, usize>>,
    per_peer: usize,
}

/// One connection's place in [`PeerSlots`], given back when the connection ends.
pub(crate) struct PeerSlot {
    slots: Arc<PeerSlots>,
    peer: std::net::IpAddr,
}

impl PeerSlots {
    pub(crate) fn new(per_peer: usize) -> Arc<Self> {
        Arc::new(Self {
            held: Mutex::new(HashMap::new()),
            per_peer,
        })
    }

    /// A slot for a connection from `peer`, or `None` if the peer holds its share already.
    /// An IPv4 address reached over IPv6 (`::ffff:a.b.c.d`) counts as the IPv4 address.
    pub(crate) fn take(self: &Arc<Self>, peer: std::net::IpAddr) -> Option<PeerSlot> {
        let peer = peer.to_canonical();
        let mut held = self.held.lock().ok()?;
        let count = held.entry(peer).or_insert(0);
        if *count >= self.per_peer {
            return None;
        }
        *count = count.saturating_add(1);
        Some(PeerSlot {
            slots: Arc::clone(self),
            peer,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        if let Ok(mut held) = self.slots.held.lock() {
            if let Some(count) = held.get_mut(&self.peer) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    held.remove(&self.peer);
                }
            }
        }
    }
}

/// A TCP connection whose writes fail with `TimedOut` once one has waited `timeout` without
/// the client taking any of the response: a client that sends requests and never reads the
/// answers loses its connection (and the memory its answers hold) instead of keeping them.
pub(crate) struct WriteTimeout {
    stream: TcpStream,
    timeout: Duration,
    /// When the write now waiting started to wait: set at the first `Pending`, cleared by any
    /// progress.
    stalled: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl WriteTimeout {
    pub(crate) fn new(stream: TcpStream, timeout: Duration) -> Self {
        Self {
            stream,
            timeout,
            stalled: None,
        }
    }

    /// `poll` as the inner write answered it, or `TimedOut` if it has been pending too long.
    fn bounded<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        poll: std::task::Poll<std::io::Result<T>>,
    ) -> std::task::Poll<std::io::Result<T>> {
        use std::future::Future as _;
        use std::task::Poll;
        if poll.is_ready() {
            self.stalled = None;
            return poll;
        }
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client did not read the response",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl tokio::io::AsyncRead for WriteTimeout {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for WriteTimeout {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let poll = std::pin::Pin::new(&mut self.stream).poll_write(cx, buf);
        self.bounded(cx, poll)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let poll = std::pin::Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.bounded(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let poll = std::pin::Pin::new(&mut self.stream).poll_flush(cx);
        self.bounded(cx, poll)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let poll = std::pin::Pin::new(&mut self.stream).poll_shutdown(cx);
        self.bounded(cx, poll)
    }
}

/// The write timeout: [`WRITE_TIMEOUT`], or whole seconds from `COGNITO_SIGNUP_WRITE_TIMEOUT`.
pub(crate) fn write_timeout() -> Result<Duration, BoxError> {
    match std::env::var(WRITE_TIMEOUT_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(WRITE_TIMEOUT),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("{WRITE_TIMEOUT_ENV}: expected whole seconds from 1 to 3600").into())
        }
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(secs @ 1..=3600) => Ok(Duration::from_secs(secs)),
            _ => Err(
                format!("{WRITE_TIMEOUT_ENV}={v:?}: expected whole seconds from 1 to 3600").into(),
            ),
        },
    }
}
