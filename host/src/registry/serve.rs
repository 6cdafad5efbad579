//! `ehr-host registry serve`: a small static file server on loopback for development and
//! tests. Production registries are any static web server or object store; this one only
//! answers `GET`/`HEAD` for files inside the folder, and nothing else. Request paths are
//! percent-decoded as any web server does, and then must stay inside the folder.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Binds `127.0.0.1:port` (0 picks a free port) and returns the listener and its address.
pub async fn bind(port: u16) -> Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Serves files under `dir` until the task is dropped.
pub async fn serve(listener: TcpListener, dir: PathBuf) -> Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let dir = dir.clone();
        tokio::spawn(async move {
            let _ = answer(stream, &dir).await;
        });
    }
}

async fn answer(mut stream: TcpStream, dir: &Path) -> Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 || buf.len() > 16 * 1024 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let raw = target
        .split('?')
        .next()
        .unwrap_or("")
        .trim_start_matches('/');
    let path = super::fetch::contained(raw).ok();
    let (status, body) = if method != "GET" && method != "HEAD" {
        ("405 Method Not Allowed", b"only GET and HEAD\n".to_vec())
    } else if let Some(path) = &path {
        match tokio::fs::read(dir.join(path)).await {
            Ok(b) => ("200 OK", b),
            Err(_) => ("404 Not Found", b"not found\n".to_vec()),
        }
    } else {
        ("404 Not Found", b"not found\n".to_vec())
    };
    tracing::debug!(%method, path = %crate::untrusted::clean(raw, crate::untrusted::LABEL), %status, "registry serve");
    let header = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\ncontent-type: application/octet-stream\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes()).await?;
    if method == "GET" {
        stream.write_all(&body).await?;
    }
    stream.shutdown().await?;
    Ok(())
}
