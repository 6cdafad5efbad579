//! The accept loop. Hand-rolled rather than `axum::serve` because the `Reset` fault needs
//! to reach the TCP socket of the connection a request arrived on.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tower::Service as _;

/// Per-connection handle given to request handlers as a request extension.
#[derive(Debug, Default)]
pub(crate) struct ConnControl {
    reset: Notify,
}

impl ConnControl {
    /// Tears the connection down with a TCP RST instead of answering.
    pub fn reset(&self) {
        // notify_one keeps a permit, so this works even before the connection task waits.
        self.reset.notify_one();
    }
}

/// Serves `app` on `listener` until this future is dropped. Connection tasks live in a
/// `JoinSet` owned here, so dropping (or aborting) this future closes every connection,
/// including ones stuck in a slow or delayed reply.
pub(crate) async fn serve(listener: TcpListener, app: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, app.clone()));
                }
                Err(err) => {
                    // Typically EMFILE: back off instead of spinning on the error.
                    tracing::warn!(%err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, app: Router) {
    let _ = stream.set_nodelay(true);
    // A duplicate descriptor lets this task set SO_LINGER on the socket after hyper has
    // taken ownership of the stream. Setting it up front instead would make every
    // ordinary close an RST too.
    let Ok((stream, control_socket)) = split_control(stream) else {
        return;
    };
    let ctl = Arc::new(ConnControl::default());
    let request_ctl = ctl.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(request_ctl.clone());
        app.clone().call(req)
    });
    let mut connection = Box::pin(
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service),
    );
    tokio::select! {
        _ = &mut connection => {}
        _ = ctl.reset.notified() => {
            // With a zero linger, closing the last descriptor sends RST instead of FIN.
            let _ = control_socket.set_linger(Some(Duration::ZERO));
            drop(connection);
            drop(control_socket);
        }
    }
}

fn split_control(stream: TcpStream) -> std::io::Result<(TcpStream, socket2::Socket)> {
    let std_stream = stream.into_std()?;
    let control = socket2::Socket::from(std_stream.try_clone()?);
    Ok((TcpStream::from_std(std_stream)?, control))
}
