//! The tonic side of authentication: an interceptor that verifies the bearer token and stores the
//! [`Caller`] in the request, and the helpers handlers use to read it.

use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::service::Interceptor;
use tonic::{Request, Status};

use super::{AuthError, Authenticator, Caller, Role};

/// The one message for every refused token: which check failed is logged, not returned, so a
/// caller cannot probe keys or clocks, and the token is never echoed.
const UNAUTHENTICATED: &str = "missing or invalid bearer token";

/// Verifies `authorization: Bearer <jwt>` on every call; cheap to clone.
#[derive(Clone, Debug)]
pub struct AuthInterceptor {
    auth: Authenticator,
}

impl AuthInterceptor {
    pub(super) fn new(auth: Authenticator) -> Self {
        Self { auth }
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let verified = bearer_token(request.metadata()).and_then(|token| self.auth.verify(token));
        match verified {
            Ok(caller) => {
                tracing::debug!(subject = %caller.subject, roles = ?caller.roles, "caller authenticated");
                request.extensions_mut().insert(caller);
                Ok(request)
            }
            Err(error) => {
                tracing::debug!(reason = %error, "refused a grpc call without a valid token");
                Err(Status::unauthenticated(UNAUTHENTICATED))
            }
        }
    }
}

/// The token of `authorization: Bearer <token>`; the scheme is case-insensitive (RFC 7235).
fn bearer_token(metadata: &MetadataMap) -> Result<&str, AuthError> {
    let value = metadata.get("authorization").ok_or(AuthError::Missing)?;
    let value = value.to_str().map_err(|_| AuthError::Invalid("authorization is not ascii".to_string()))?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::Missing)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token)
}

/// The caller the interceptor verified. Fails with UNAUTHENTICATED when the service was mounted
/// without [`Authenticator::protect`], so a wiring mistake refuses calls instead of opening them.
pub fn caller<T>(request: &Request<T>) -> Result<&Caller, Status> {
    request.extensions().get::<Caller>().ok_or_else(|| {
        tracing::error!("grpc handler reached without an authenticated caller; is the service protected?");
        Status::unauthenticated(UNAUTHENTICATED)
    })
}

/// Sets `authorization: Bearer <token>` on an outgoing request (service-to-service calls).
pub fn attach_bearer<T>(request: &mut Request<T>, token: &str) -> Result<(), AuthError> {
    let value = MetadataValue::try_from(format!("Bearer {token}"))
        .map_err(|_| AuthError::Invalid("token is not a valid header value".to_string()))?;
    request.metadata_mut().insert("authorization", value);
    Ok(())
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Ok when the caller has at least one of `roles`; PERMISSION_DENIED naming them otherwise.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), Status> {
        if roles.iter().any(|role| self.has(*role)) {
            return Ok(());
        }
        let required = roles.iter().map(|role| role.as_str()).collect::<Vec<_>>().join(", ");
        tracing::debug!(subject = %self.subject, required, "caller lacks the required role");
        Err(Status::permission_denied(format!("requires one of the roles: {required}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(value: &'static str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("authorization", MetadataValue::from_static(value));
        metadata
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token(&metadata("bearer abc")).ok(), Some("abc"));
        assert_eq!(bearer_token(&metadata("Bearer  abc ")).ok(), Some("abc"));
    }

    #[test]
    fn other_schemes_count_as_no_token() {
        assert!(matches!(bearer_token(&metadata("Basic abc")), Err(AuthError::Missing)));
        assert!(matches!(bearer_token(&metadata("Bearer")), Err(AuthError::Missing)));
        assert!(matches!(bearer_token(&MetadataMap::new()), Err(AuthError::Missing)));
    }

    #[test]
    fn a_caller_without_the_role_is_denied_with_the_roles_named() {
        let caller = Caller { subject: "anna@example.com".to_string(), roles: vec![Role::Employee] };
        assert!(caller.require_any(&[Role::Employee]).is_ok());
        let denied = caller.require_any(&[Role::Hr, Role::Manager]).err();
        assert_eq!(denied.as_ref().map(Status::code), Some(tonic::Code::PermissionDenied));
        assert_eq!(denied.as_ref().map(Status::message), Some("requires one of the roles: hr, manager"));
    }
}
