//! Who may talk to the cluster: a shared secret checked on every gRPC and Flight call, and TLS
//! with the cluster's certificates (mutual TLS as the stronger option).
//!
//! Ballista 55 lets us shape every connection its processes open only through one hook, the
//! gRPC `Endpoint` (`override_create_grpc_client_endpoint`): it can carry TLS settings and a
//! user agent, but no other header. So the secret travels as a token in the user agent
//! (`engage-cluster/<token>`), on every path alike: client to scheduler, executor to
//! scheduler, executor to executor (shuffle reads), client and scheduler to an executor's
//! Flight port. The token is an HMAC of the secret, so the secret itself never leaves the
//! process; like any bearer credential it must travel inside TLS on an untrusted network.
//!
//! The servers are ours too (`services.rs`): every service checks the token and, with TLS,
//! serves only TLS.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ballista_core::extension::{EndpointOverrideFn, SessionConfigExt};
use ballista_core::utils::{GrpcClientConfig, create_grpc_client_endpoint};
use datafusion::prelude::SessionConfig;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity, ServerTlsConfig, Uri};
use tonic::{Request, Status};

use crate::args::SecurityOptions;
use crate::exec::Failure;

/// The environment variable that may hold the shared secret (a command-line argument would
/// show in `ps`).
pub const SECRET_VARIABLE: &str = "ENGAGE_CLUSTER_SECRET";

/// Fewer bytes than this is a password, not a secret.
const MINIMUM_SECRET_BYTES: usize = 16;

/// The user agent's prefix before the token.
const TOKEN_PREFIX: &str = "engage-cluster/";

/// One process's credentials for the cluster: what it sends as a client and what it requires
/// as a server.
#[derive(Clone, Default)]
pub struct ClusterSecurity {
    /// The token every call carries, and every service requires.
    token: Option<String>,
    /// The client side of TLS: the cluster's CA, and this process's certificate when it has
    /// one (presented under mutual TLS).
    client_tls: Option<ClientTlsConfig>,
    /// The server side of TLS (scheduler and executors only).
    server_tls: Option<ServerTlsConfig>,
    /// Whether the server side requires a client certificate (`--mutual-tls`).
    mutual: bool,
}

impl ClusterSecurity {
    /// The credentials of a cluster process (`server`) or client from its options and the
    /// environment. Servers need a certificate with TLS; `mutual` makes them require one of
    /// their clients. A missing or unreadable file, a short secret or a secret given twice is a
    /// usage error naming it.
    pub fn from_options(
        role: &str,
        options: &SecurityOptions,
        server: bool,
        mutual: bool,
    ) -> Result<Self, Failure> {
        // Both rustls providers are built into engage (object_store's ring, the AWS SDK's
        // aws-lc-rs), so rustls needs one chosen before a server config is made; ring, as
        // tonic's clients use. A second call finds it installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let token = read_secret(role, options)?.map(|secret| token_of(&secret));
        let read = |option: &str, path: &Path| {
            std::fs::read(path)
                .map_err(|e| Failure::Usage(format!("{role}: {option} {}: {e}", path.display())))
        };
        let ca = match &options.tls_ca {
            Some(path) => Some(Certificate::from_pem(read("--tls-ca", path)?)),
            None => None,
        };
        let identity = match (&options.tls_cert, &options.tls_key) {
            (Some(cert), Some(key)) => Some(Identity::from_pem(
                read("--tls-cert", cert)?,
                read("--tls-key", key)?,
            )),
            _ => None,
        };
        let usage = |why: &str| Err(Failure::Usage(format!("{role}: {why}")));
        if server && ca.is_some() != identity.is_some() {
            return usage(
                "TLS needs --tls-ca (the cluster's certificate authority) with --tls-cert and \
                 --tls-key (this process's certificate, signed by it)",
            );
        }
        if !server && ca.is_none() && identity.is_some() {
            return usage(
                "--tls-cert needs --tls-ca, the authority that signed the cluster's certificates",
            );
        }
        if mutual && ca.is_none() {
            return usage("--mutual-tls needs --tls-ca, --tls-cert and --tls-key");
        }
        let client_tls = ca.as_ref().map(|ca| {
            let config = ClientTlsConfig::new().ca_certificate(ca.clone());
            match &identity {
                Some(identity) => config.identity(identity.clone()),
                None => config,
            }
        });
        let server_tls = match (server, &identity) {
            (true, Some(identity)) => {
                let config = ServerTlsConfig::new().identity(identity.clone());
                Some(match (&ca, mutual) {
                    (Some(ca), true) => config.client_ca_root(ca.clone()),
                    _ => config,
                })
            }
            _ => None,
        };
        Ok(Self {
            token,
            client_tls,
            server_tls,
            mutual,
        })
    }

    /// True when the process checks or presents any credential.
    pub fn is_configured(&self) -> bool {
        self.token.is_some() || self.client_tls.is_some()
    }

    /// True when the process's services refuse a caller without the cluster's secret or,
    /// under mutual TLS, without a certificate of the cluster's authority.
    pub fn checks_clients(&self) -> bool {
        self.token.is_some() || self.mutual
    }

    /// True when connections use TLS.
    pub fn uses_tls(&self) -> bool {
        self.client_tls.is_some()
    }

    /// What the process's services are protected by, for its start-up line.
    pub fn describe(&self) -> &'static str {
        match (self.token.is_some(), self.uses_tls()) {
            (true, true) => "the cluster secret and TLS",
            (true, false) => "the cluster secret (no TLS: use it only on a trusted network)",
            (false, true) => "TLS",
            (false, false) => "nothing",
        }
    }

    /// The server side of TLS, if the process has it.
    pub fn server_tls(&self) -> Option<ServerTlsConfig> {
        self.server_tls.clone()
    }

    /// `config` with the credentials on every connection a session's plans open (a client's
    /// queries and result reads, an executor's shuffle reads).
    pub fn on_connections(&self, config: SessionConfig) -> SessionConfig {
        match self.endpoint_override() {
            Some(endpoint_override) => config
                .with_ballista_override_create_grpc_client_endpoint(endpoint_override)
                .with_ballista_use_tls(self.uses_tls()),
            None => config,
        }
    }

    /// What every connection this process opens goes through: TLS with the cluster's CA (and
    /// this process's certificate), and the secret's token. `None` without credentials.
    pub fn endpoint_override(&self) -> Option<EndpointOverrideFn> {
        let security = self.clone();
        self.is_configured().then(|| -> EndpointOverrideFn {
            Arc::new(move |endpoint| security.configure(endpoint).map_err(Into::into))
        })
    }

    fn configure(&self, endpoint: Endpoint) -> Result<Endpoint, tonic::transport::Error> {
        let mut endpoint = match &self.client_tls {
            // Ballista builds some addresses as http:// whatever its TLS setting: the same
            // address over https, with the settings Ballista would have given it.
            Some(tls) => {
                let endpoint = if endpoint.uri().scheme_str() == Some("https") {
                    endpoint
                } else {
                    create_grpc_client_endpoint(
                        https(endpoint.uri()),
                        Some(&GrpcClientConfig::default()),
                    )?
                };
                endpoint.tls_config(tls.clone())?
            }
            None => endpoint,
        };
        if let Some(token) = &self.token {
            endpoint = endpoint.user_agent(format!("{TOKEN_PREFIX}{token}"))?;
        }
        Ok(endpoint)
    }

    /// Checks a call's token: a call without one, or with another cluster's, is refused with
    /// a status that says which and what to do.
    pub fn check(&self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(expected) = &self.token else {
            return Ok(request);
        };
        let sent = request
            .metadata()
            .get("user-agent")
            .and_then(|agent| agent.to_str().ok())
            .and_then(|agent| {
                agent
                    .split_whitespace()
                    .find_map(|part| part.strip_prefix(TOKEN_PREFIX))
            });
        match sent {
            Some(token) if equal_in_constant_time(token.as_bytes(), expected.as_bytes()) => {
                Ok(request)
            }
            Some(_) => Err(Status::unauthenticated(format!(
                "engage cluster: refused: the secret this process was given is not the \
                 cluster's (check {SECRET_VARIABLE} or --secret-file)"
            ))),
            None => Err(Status::unauthenticated(format!(
                "engage cluster: refused: this cluster requires its shared secret, and the \
                 call carried none; give the process the cluster's secret with \
                 {SECRET_VARIABLE} or --secret-file"
            ))),
        }
    }
}

/// The secret from `--secret-file` or [`SECRET_VARIABLE`], trailing newline removed.
fn read_secret(role: &str, options: &SecurityOptions) -> Result<Option<Vec<u8>>, Failure> {
    let from_variable = std::env::var_os(SECRET_VARIABLE).filter(|value| !value.is_empty());
    let secret = match (&options.secret_file, from_variable) {
        (Some(_), Some(_)) => {
            return Err(Failure::Usage(format!(
                "{role}: the secret is given twice, by --secret-file and by {SECRET_VARIABLE}: \
                 keep one"
            )));
        }
        (Some(path), None) => std::fs::read(path).map_err(|e| {
            Failure::Usage(format!("{role}: --secret-file {}: {e}", path.display()))
        })?,
        (None, Some(value)) => value.into_encoded_bytes(),
        (None, None) => return Ok(None),
    };
    let secret = secret.trim_ascii_end().to_vec();
    if secret.len() < MINIMUM_SECRET_BYTES {
        let source = options
            .secret_file
            .as_ref()
            .map_or(SECRET_VARIABLE.to_string(), |path: &PathBuf| {
                format!("--secret-file {}", path.display())
            });
        return Err(Failure::Usage(format!(
            "{role}: the cluster secret from {source} has {} bytes, expected at least \
             {MINIMUM_SECRET_BYTES}; make one with `openssl rand -hex 32`",
            secret.len()
        )));
    }
    Ok(Some(secret))
}

/// The token a secret is known by on the wire: HMAC-SHA256 of a fixed label, in hex.
fn token_of(secret: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    ring::hmac::sign(&key, b"engage cluster token v1")
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn equal_in_constant_time(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// `uri` with the https scheme.
fn https(uri: &Uri) -> Uri {
    let mut parts = uri.clone().into_parts();
    parts.scheme = Some(tonic::codegen::http::uri::Scheme::HTTPS);
    Uri::from_parts(parts).unwrap_or_else(|_| uri.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_token(secret: &[u8]) -> ClusterSecurity {
        ClusterSecurity {
            token: Some(token_of(secret)),
            ..Default::default()
        }
    }

    fn request_with_agent(agent: Option<&str>) -> Request<()> {
        let mut request = Request::new(());
        if let Some(agent) = agent {
            request
                .metadata_mut()
                .insert("user-agent", agent.parse().unwrap());
        }
        request
    }

    #[test]
    fn a_call_passes_with_the_token_alone() {
        let security = with_token(b"0123456789abcdef0123");
        let token = token_of(b"0123456789abcdef0123");
        assert!(
            security
                .check(request_with_agent(Some(&format!(
                    "engage-cluster/{token} tonic/0.14.9"
                ))))
                .is_ok()
        );
        let missing = security.check(request_with_agent(Some("tonic/0.14.9")));
        assert!(
            missing.unwrap_err().message().contains("carried none"),
            "a call without the token"
        );
        assert!(security.check(request_with_agent(None)).is_err());
        let other = token_of(b"another secret of the same size");
        let wrong = security
            .check(request_with_agent(Some(&format!("engage-cluster/{other}"))))
            .unwrap_err();
        assert!(wrong.message().contains("not the cluster's"), "{wrong:?}");
        assert_eq!(wrong.code(), tonic::Code::Unauthenticated);
        // Without a secret, nothing is checked.
        assert!(
            ClusterSecurity::default()
                .check(request_with_agent(None))
                .is_ok()
        );
    }

    #[test]
    fn the_token_depends_on_the_whole_secret_and_hides_it() {
        let token = token_of(b"0123456789abcdef");
        assert_eq!(token.len(), 64);
        assert_ne!(token, token_of(b"0123456789abcdeg"));
        assert!(!token.contains("0123456789abcdef"));
    }

    #[test]
    fn tls_moves_an_http_address_to_https_and_keeps_its_authority() {
        let uri: Uri = "http://127.0.0.1:50050".parse().unwrap();
        assert_eq!(https(&uri).to_string(), "https://127.0.0.1:50050/");
    }
}
