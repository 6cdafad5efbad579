//! The hub's HTTPS: the operator's certificate and key (PEM), or for development a
//! self-signed certificate made once in the hub's home, whose fingerprint agents pin.
//! Handshakes run beside the accept loop, so a slow or silent client never holds up
//! the others.

use crate::link::pin::{provider, Fingerprint};
use anyhow::{bail, Context, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The fingerprint of the first certificate in a PEM file.
pub fn fingerprint_file(path: &Path) -> Result<Fingerprint> {
    let pem = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let der = CertificateDer::from_pem_slice(&pem)
        .with_context(|| format!("{} is not a PEM certificate", path.display()))?;
    Ok(Fingerprint::of(&der))
}

/// The certificate the hub presents.
pub struct HubCertificate {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    /// SHA-256 of the leaf certificate: what agents pin.
    pub fingerprint: Fingerprint,
    /// Whether it was generated here (self-signed) rather than given by the operator.
    pub self_signed: bool,
}

/// Where the generated certificate and key live in the hub's home.
pub fn generated_paths(home: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    (home.join("hub-cert.pem"), home.join("hub-key.pem"))
}

impl HubCertificate {
    /// The operator's certificate chain and private key, from PEM files.
    pub fn load(cert: &Path, key: &Path) -> Result<HubCertificate> {
        let chain = CertificateDer::pem_file_iter(cert)
            .with_context(|| format!("cannot read the certificate {}", cert.display()))?
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{} is not a PEM certificate chain", cert.display()))?;
        let Some(leaf) = chain.first() else {
            bail!(
                "{} holds no certificate (expected PEM `BEGIN CERTIFICATE` blocks)",
                cert.display()
            );
        };
        let fingerprint = Fingerprint::of(leaf);
        let key = PrivateKeyDer::from_pem_file(key).with_context(|| {
            format!(
                "cannot read the private key {} (expected a PEM private key)",
                key.display()
            )
        })?;
        Ok(HubCertificate {
            chain,
            key,
            fingerprint,
            self_signed: false,
        })
    }

    /// The self-signed certificate in `home`, made (for `names`: host names or IP
    /// addresses agents use) on first start and kept, so pinned agents keep working
    /// across restarts.
    pub fn self_signed(home: &Path, names: &[String]) -> Result<HubCertificate> {
        let (cert, key) = generated_paths(home);
        if !cert.exists() || !key.exists() {
            let made = rcgen::generate_simple_self_signed(names.to_vec())
                .context("cannot make a self-signed certificate")?;
            crate::fsutil::read_or_create_secret(&key, || {
                Ok(made.key_pair.serialize_pem().into_bytes())
            })?;
            crate::fsutil::write_atomic(&cert, made.cert.pem().as_bytes())?;
        }
        let mut c = HubCertificate::load(&cert, &key)?;
        c.self_signed = true;
        Ok(c)
    }

    /// The rustls server configuration.
    pub fn server_config(&self) -> Result<rustls::ServerConfig> {
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .context("the certificate and the private key do not belong together")?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// A TLS listener for `axum::serve`: accepts connections, completes handshakes in their
/// own tasks, and hands over the finished ones.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Serves TLS with `config` on `listener`.
    pub fn new(listener: TcpListener, config: rustls::ServerConfig) -> Result<TlsListener> {
        let local = listener.local_addr()?;
        let tls = TlsAcceptor::from(Arc::new(config));
        let (tx, ready) = mpsc::channel(256);
        let acceptor = tokio::spawn(async move {
            loop {
                let (tcp, addr) = match listener.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!("accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let (tls, tx) = (tls.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, addr)).await;
                        }
                        Ok(Err(e)) => tracing::debug!("TLS handshake with {addr} failed: {e}"),
                        Err(_) => tracing::debug!("TLS handshake with {addr} timed out"),
                    }
                });
            }
        });
        Ok(TlsListener {
            ready,
            local,
            acceptor,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept loop ended (the listener is being dropped): nothing more comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// The client's address, as request handlers see it (`ConnectInfo<Peer>`).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, TlsListener>> for Peer {
    fn connect_info(stream: axum::serve::IncomingStream<'_, TlsListener>) -> Peer {
        Peer(*stream.remote_addr())
    }
}
