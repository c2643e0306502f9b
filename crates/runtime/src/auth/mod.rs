//! JWT bearer authentication and the roles of ARCHITECTURE §5.
//!
//! An [`Authenticator`] verifies (and, for the CLI and service-to-service calls, mints) tokens
//! signed with HS256 or RS256, with the issuer and audience from config. Claims: `sub`, `roles`,
//! `iss`, `aud`, `exp`, `iat`. [`interceptor`] puts the verified [`Caller`] into each gRPC
//! request; handlers read it with [`caller`] and check roles with [`Caller::require_any`].

mod interceptor;
mod key_file;

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

pub use interceptor::{AuthInterceptor, attach_bearer, caller};
pub use key_file::KEY_FILE_NAME;

use crate::config::{Config, JwtAlgorithm, Mode, vars};

/// Clock skew tolerated on `exp` and `nbf`, small so an expired token stops working soon.
const LEEWAY_SECONDS: u64 = 30;

/// The roles a token can grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Everything about scenarios, assignments, meetings and reports.
    Hr,
    /// The assignments where the caller is the manager.
    Manager,
    /// The caller's own assignment, meetings, recordings and feedback requests.
    Employee,
    /// Service-to-service calls.
    Service,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Hr, Role::Manager, Role::Employee, Role::Service];

    /// The claim value: `hr`, `manager`, `employee`, `service`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Hr => "hr",
            Role::Manager => "manager",
            Role::Employee => "employee",
            Role::Service => "service",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of `hr`, `manager`, `employee`, `service`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}; valid roles: hr, manager, employee, service")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|role| role.as_str() == s).ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// Who is calling, from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// An e-mail address or a service name.
    pub subject: String,
    /// Known roles only, without duplicates; unknown role names in the token are dropped.
    pub roles: Vec<Role>,
}

/// Why a token was refused. Messages are fixed texts: they never contain the token.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
    #[error("token expired")]
    Expired,
}

/// Verifies and mints tokens. Cheap to clone.
#[derive(Clone)]
pub struct Authenticator {
    inner: Arc<Inner>,
    /// The longest `exp - iat` accepted, and minted.
    max_lifetime: Duration,
}

struct Inner {
    algorithm: Algorithm,
    issuer: String,
    audience: String,
    decoding: DecodingKey,
    /// Absent for RS256 without a private key: such a process only verifies.
    encoding: Option<EncodingKey>,
    validation: Validation,
}

#[derive(serde::Deserialize)]
struct IncomingClaims {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
    /// Required: without it a token's lifetime cannot be bounded.
    iat: Option<u64>,
    exp: u64,
}

#[derive(serde::Serialize)]
struct OutgoingClaims<'a> {
    sub: &'a str,
    roles: Vec<&'static str>,
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

impl Authenticator {
    /// From `AUTH_JWT_*`. With HS256 and no secret, embedded mode keeps a generated key in
    /// `<data_dir>/jwt-hs256.key` so `butterboard token` and the server agree; distributed mode
    /// refuses, since replicas must share one key.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let auth = &config.auth;
        match auth.algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = match (&auth.hs256_secret, config.mode()) {
                    (Some(secret), _) => secret.expose().as_bytes().to_vec(),
                    (None, Mode::Embedded) => key_file::load_or_create(&config.data_dir)?,
                    (None, Mode::Distributed) => {
                        anyhow::bail!("{} is required in distributed mode", vars::AUTH_JWT_HS256_SECRET)
                    }
                };
                Ok(Self::hs256(&secret, &auth.issuer, &auth.audience).with_max_lifetime(auth.max_lifetime))
            }
            JwtAlgorithm::Rs256 => {
                let public_file = auth.rs256_public_key_file.as_deref().with_context(|| {
                    format!("{} is required when the algorithm is RS256", vars::AUTH_JWT_RS256_PUBLIC_KEY_FILE)
                })?;
                let public = read_pem(vars::AUTH_JWT_RS256_PUBLIC_KEY_FILE, public_file)?;
                let private = match auth.rs256_private_key_file.as_deref() {
                    Some(path) => Some(read_pem(vars::AUTH_JWT_RS256_PRIVATE_KEY_FILE, path)?),
                    None => None,
                };
                Ok(Self::rs256(&public, private.as_deref(), &auth.issuer, &auth.audience)?
                    .with_max_lifetime(auth.max_lifetime))
            }
        }
    }

    /// A shared-secret authenticator that verifies and mints.
    pub fn hs256(secret: &[u8], issuer: &str, audience: &str) -> Self {
        Self::new(
            Algorithm::HS256,
            DecodingKey::from_secret(secret),
            Some(EncodingKey::from_secret(secret)),
            issuer,
            audience,
        )
    }

    /// An RSA authenticator from PEM keys; it mints only when given the private key.
    pub fn rs256(public_pem: &[u8], private_pem: Option<&[u8]>, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        let decoding = DecodingKey::from_rsa_pem(public_pem)
            .with_context(|| format!("{}: not an RSA public key in PEM", vars::AUTH_JWT_RS256_PUBLIC_KEY_FILE))?;
        let encoding = private_pem
            .map(EncodingKey::from_rsa_pem)
            .transpose()
            .with_context(|| format!("{}: not an RSA private key in PEM", vars::AUTH_JWT_RS256_PRIVATE_KEY_FILE))?;
        Ok(Self::new(Algorithm::RS256, decoding, encoding, issuer, audience))
    }

    fn new(
        algorithm: Algorithm,
        decoding: DecodingKey,
        encoding: Option<EncodingKey>,
        issuer: &str,
        audience: &str,
    ) -> Self {
        // Only the configured algorithm is accepted: a token cannot pick its own (`alg` confusion).
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        let inner = Inner {
            algorithm,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            decoding,
            encoding,
            validation,
        };
        Self { inner: Arc::new(inner), max_lifetime: crate::config::defaults::AUTH_JWT_MAX_LIFETIME }
    }

    /// Refuses tokens (and refuses to mint them) whose lifetime exceeds `limit`.
    pub fn with_max_lifetime(mut self, limit: Duration) -> Self {
        self.max_lifetime = limit;
        self
    }

    /// The longest token lifetime accepted.
    pub fn max_lifetime(&self) -> Duration {
        self.max_lifetime
    }

    /// Checks signature, issuer, audience, expiry, `nbf` and the token's lifetime, and returns
    /// the caller. A stolen long-lived token is the worst case of a leak, so a lifetime above the
    /// configured maximum is refused even when the signature is good.
    pub fn verify(&self, token: &str) -> Result<Caller, AuthError> {
        let data = jsonwebtoken::decode::<IncomingClaims>(token, &self.inner.decoding, &self.inner.validation)
            .map_err(|error| classify(error.kind()))?;
        let claims = data.claims;
        let Some(iat) = claims.iat else {
            return Err(AuthError::Invalid("missing a required claim".to_string()));
        };
        if iat > jsonwebtoken::get_current_timestamp().saturating_add(LEEWAY_SECONDS) {
            return Err(AuthError::Invalid("issued in the future".to_string()));
        }
        if claims.exp.saturating_sub(iat) > self.max_lifetime.as_secs() {
            return Err(AuthError::Invalid("lifetime longer than allowed".to_string()));
        }
        if claims.sub.trim().is_empty() {
            return Err(AuthError::Invalid("empty subject".to_string()));
        }
        let mut roles: Vec<Role> = claims.roles.iter().filter_map(|name| name.parse().ok()).collect();
        roles.sort();
        roles.dedup();
        Ok(Caller { subject: claims.sub, roles })
    }

    /// A token for `subject` with `roles`, valid for `ttl` from now.
    pub fn mint(&self, subject: &str, roles: &[Role], ttl: Duration) -> anyhow::Result<String> {
        let key = self.inner.encoding.as_ref().with_context(|| {
            format!("cannot mint RS256 tokens: {} is not set", vars::AUTH_JWT_RS256_PRIVATE_KEY_FILE)
        })?;
        if ttl > self.max_lifetime {
            anyhow::bail!(
                "a token may live at most {} s ({}), not {} s",
                self.max_lifetime.as_secs(),
                vars::AUTH_JWT_MAX_LIFETIME_SECS,
                ttl.as_secs()
            );
        }
        let now = jsonwebtoken::get_current_timestamp();
        let claims = OutgoingClaims {
            sub: subject,
            roles: roles.iter().map(|role| role.as_str()).collect(),
            iss: &self.inner.issuer,
            aud: &self.inner.audience,
            iat: now,
            exp: now.saturating_add(ttl.as_secs()),
        };
        jsonwebtoken::encode(&Header::new(self.inner.algorithm), &claims, key).context("cannot sign the token")
    }

    /// The configured issuer.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The configured audience.
    pub fn audience(&self) -> &str {
        &self.inner.audience
    }

    /// The gRPC interceptor that verifies each call's bearer token.
    pub fn interceptor(&self) -> AuthInterceptor {
        AuthInterceptor::new(self.clone())
    }

    /// Wraps a generated tonic server so every call needs a valid token, e.g.
    /// `auth.protect(ScenarioServiceServer::new(service))`.
    pub fn protect<S>(&self, service: S) -> tonic::service::interceptor::InterceptedService<S, AuthInterceptor> {
        tonic::service::interceptor::InterceptedService::new(service, self.interceptor())
    }
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("algorithm", &self.inner.algorithm)
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("can_mint", &self.inner.encoding.is_some())
            .field("max_lifetime", &self.max_lifetime)
            .finish_non_exhaustive()
    }
}

/// Fixed reasons: a library error message could quote parts of the token.
fn classify(kind: &ErrorKind) -> AuthError {
    let reason = match kind {
        ErrorKind::ExpiredSignature => return AuthError::Expired,
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::InvalidIssuer => "wrong issuer",
        ErrorKind::InvalidAudience => "wrong audience",
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => "unexpected algorithm",
        ErrorKind::ImmatureSignature => "not valid yet",
        ErrorKind::MissingRequiredClaim(_) => "missing a required claim",
        ErrorKind::InvalidClaimFormat(_) | ErrorKind::Json(_) => "malformed claims",
        _ => "malformed token",
    };
    AuthError::Invalid(reason.to_string())
}

fn read_pem(variable: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("{variable}: cannot read {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_claim_names() {
        assert_eq!("hr".parse::<Role>().ok(), Some(Role::Hr));
        assert!("admin".parse::<Role>().is_err());
        assert_eq!(Role::Employee.to_string(), "employee");
    }

    #[test]
    fn a_minted_token_verifies_with_its_roles() {
        let auth = Authenticator::hs256(&[7; 32], "butterboard", "butterboard-meetings");
        let token = auth.mint("anna@example.com", &[Role::Employee, Role::Employee], Duration::from_secs(60));
        let caller = token.ok().map(|token| auth.verify(&token));
        assert!(
            matches!(caller, Some(Ok(ref c)) if c.subject == "anna@example.com" && c.roles == [Role::Employee]),
            "{caller:?}"
        );
    }
}
