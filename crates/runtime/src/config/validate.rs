//! Turns the merged raw values into a [`Config`], checking each value once. Errors name the
//! variable and repeat the value only when it cannot be a secret.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use super::layers::Values;
use super::{AuthConfig, Config, ConfigError, DriveConfig, JwtAlgorithm, Listen, ZoomConfig, vars};
use crate::secret::Secret;
use crate::service_name::ServiceName;

/// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
const MIN_HS256_SECRET_BYTES: usize = 32;

pub(super) fn build(values: &Values) -> Result<Config, ConfigError> {
    let nats_url = values.get(vars::NATS_URL).map(nats_url).transpose()?;
    let databases = databases(values)?;
    if nats_url.is_none()
        && let Some(service) = databases.keys().next()
    {
        return Err(ConfigError::missing(
            vars::NATS_URL,
            format!("in distributed mode ({} is set)", service.database_env()),
        ));
    }
    let mut grpc_urls = BTreeMap::new();
    for service in ServiceName::ALL {
        if let Some(url) = values.get(service.grpc_url_env()) {
            grpc_urls.insert(service, http_url(service.grpc_url_env(), url)?.trim_end_matches('/').to_string());
        }
    }
    Ok(Config {
        nats_url,
        databases,
        grpc_urls,
        data_dir: PathBuf::from(required(values, vars::DATA_DIR)?),
        bus_namespace: values.get(vars::BUS_NAMESPACE).map(bus_namespace).transpose()?,
        listen: listen(values)?,
        zoom: zoom(values)?,
        drive: drive(values)?,
        auth: auth(values)?,
        otel_endpoint: values
            .get(vars::OTEL_EXPORTER_OTLP_ENDPOINT)
            .map(|url| http_url(vars::OTEL_EXPORTER_OTLP_ENDPOINT, url))
            .transpose()?,
        grpc_reflection: flag(values, vars::GRPC_REFLECTION)?.unwrap_or(super::defaults::GRPC_REFLECTION),
        sqlite_synchronous: values
            .get(vars::SQLITE_SYNCHRONOUS)
            .map(|text| text.parse().map_err(|reason: String| ConfigError::invalid(vars::SQLITE_SYNCHRONOUS, reason)))
            .transpose()?
            .unwrap_or_default(),
        settings: Default::default(),
    })
}

/// `true`/`false`, as [`Settings::flag`](super::Settings::flag) reads them.
fn flag(values: &Values, variable: &str) -> Result<Option<bool>, ConfigError> {
    let mut one = super::Settings::default();
    if let Some(text) = values.get(variable) {
        one.set(variable, text);
    }
    one.flag(variable)
}

/// Every value with a default is present unless a layer set it to `""` in the file.
fn required<'a>(values: &'a Values, variable: &str) -> Result<&'a str, ConfigError> {
    values.get(variable).ok_or_else(|| ConfigError::invalid(variable, "must not be empty"))
}

/// Each address as configured, or its default when unset (an empty value counts as unset).
fn listen(values: &Values) -> Result<Listen, ConfigError> {
    let mut configured = Vec::new();
    let mut address = |variable: &'static str, default: SocketAddr| -> Result<SocketAddr, ConfigError> {
        let Some(text) = values.get(variable) else { return Ok(default) };
        configured.push(variable);
        text.parse().map_err(|_| ConfigError::invalid(variable, format!("invalid socket address {text:?}")))
    };
    let webhook = address(vars::WEBHOOK_ADDR, super::defaults::WEBHOOK_ADDR)?;
    let grpc = address(vars::GRPC_ADDR, super::defaults::GRPC_ADDR)?;
    let admin = address(vars::ADMIN_ADDR, super::defaults::ADMIN_ADDR)?;
    Ok(Listen { webhook, grpc, admin, configured })
}

/// `nats://` or `tls://`, possibly several servers separated by commas (as async-nats accepts).
fn nats_url(text: &str) -> Result<String, ConfigError> {
    for server in text.split(',').map(str::trim) {
        let uri: http::Uri = server
            .parse()
            .map_err(|_| ConfigError::invalid(vars::NATS_URL, format!("invalid URL {:?}", redact_userinfo(server))))?;
        if !matches!(uri.scheme_str(), Some("nats" | "tls")) || uri.host().is_none() {
            return Err(ConfigError::invalid(
                vars::NATS_URL,
                format!("{:?} must be a nats:// or tls:// URL with a host", redact_userinfo(server)),
            ));
        }
    }
    Ok(text.to_string())
}

/// Database URLs carry passwords: the error never repeats them.
fn databases(values: &Values) -> Result<BTreeMap<ServiceName, Secret>, ConfigError> {
    let mut databases = BTreeMap::new();
    for service in ServiceName::ALL {
        let variable = service.database_env();
        let Some(url) = values.get(variable) else { continue };
        let rest = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://"));
        if rest.is_none_or(str::is_empty) {
            return Err(ConfigError::invalid(variable, "must be a postgres:// or postgresql:// URL"));
        }
        databases.insert(service, Secret::new(url.to_string()));
    }
    Ok(databases)
}

/// Letters, digits, `-` and `_`: the namespace prefixes both stream names and subject tokens, and
/// `.`, `*`, `>` or whitespace would change what a subject matches.
fn bus_namespace(text: &str) -> Result<String, ConfigError> {
    if text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(text.to_string())
    } else {
        Err(ConfigError::invalid(
            vars::BUS_NAMESPACE,
            format!("{text:?} may contain only letters, digits, '-' and '_'"),
        ))
    }
}

fn http_url(variable: &str, text: &str) -> Result<String, ConfigError> {
    let invalid = || ConfigError::invalid(variable, format!("invalid http(s) URL {:?}", redact_userinfo(text)));
    let uri: http::Uri = text.parse().map_err(|_| invalid())?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(invalid());
    }
    Ok(text.to_string())
}

fn zoom(values: &Values) -> Result<ZoomConfig, ConfigError> {
    let account_id = values.get(vars::ZOOM_ACCOUNT_ID).map(str::to_string);
    let client_id = values.get(vars::ZOOM_CLIENT_ID).map(str::to_string);
    let client_secret = values.get(vars::ZOOM_CLIENT_SECRET).map(|s| Secret::new(s.to_string()));
    // Half-configured credentials would quietly fall back to the simulator; say which one is
    // missing instead.
    let set = [
        (vars::ZOOM_ACCOUNT_ID, account_id.is_some()),
        (vars::ZOOM_CLIENT_ID, client_id.is_some()),
        (vars::ZOOM_CLIENT_SECRET, client_secret.is_some()),
    ];
    if let (Some((given, _)), Some((absent, _))) =
        (set.iter().find(|(_, present)| *present), set.iter().find(|(_, present)| !*present))
    {
        return Err(ConfigError::missing(absent, format!("when {given} is set")));
    }
    let api_base_url = http_url(vars::ZOOM_API_BASE_URL, required(values, vars::ZOOM_API_BASE_URL)?)?;
    Ok(ZoomConfig {
        account_id,
        client_id,
        client_secret,
        webhook_secret_token: values.get(vars::ZOOM_WEBHOOK_SECRET_TOKEN).map(|s| Secret::new(s.to_string())),
        api_base_url: api_base_url.trim_end_matches('/').to_string(),
        oauth_url: http_url(vars::ZOOM_OAUTH_URL, required(values, vars::ZOOM_OAUTH_URL)?)?,
        download_origins: values
            .get(vars::ZOOM_DOWNLOAD_ORIGINS)
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|origin| !origin.is_empty())
                    .map(|origin| http_url(vars::ZOOM_DOWNLOAD_ORIGINS, origin))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default(),
    })
}

fn drive(values: &Values) -> Result<DriveConfig, ConfigError> {
    let credentials_file = values.get(vars::GOOGLE_APPLICATION_CREDENTIALS).map(PathBuf::from);
    let root_folder_id = values.get(vars::DRIVE_ROOT_FOLDER_ID).map(str::to_string);
    if credentials_file.is_some() && root_folder_id.is_none() {
        return Err(ConfigError::missing(
            vars::DRIVE_ROOT_FOLDER_ID,
            format!("when {} is set", vars::GOOGLE_APPLICATION_CREDENTIALS),
        ));
    }
    let mut api_base_url = http_url(vars::DRIVE_API_BASE_URL, required(values, vars::DRIVE_API_BASE_URL)?)?;
    if !api_base_url.ends_with('/') {
        api_base_url.push('/');
    }
    Ok(DriveConfig { credentials_file, root_folder_id, api_base_url })
}

fn auth(values: &Values) -> Result<AuthConfig, ConfigError> {
    let algorithm_text = required(values, vars::AUTH_JWT_ALGORITHM)?;
    let algorithm = match algorithm_text.to_ascii_uppercase().as_str() {
        "HS256" => JwtAlgorithm::Hs256,
        "RS256" => JwtAlgorithm::Rs256,
        _ => {
            return Err(ConfigError::invalid(
                vars::AUTH_JWT_ALGORITHM,
                format!("unknown algorithm {algorithm_text:?}, expected HS256 or RS256"),
            ));
        }
    };
    let hs256_secret = values.get(vars::AUTH_JWT_HS256_SECRET).map(|s| Secret::new(s.to_string()));
    if let Some(secret) = &hs256_secret
        && secret.expose().len() < MIN_HS256_SECRET_BYTES
    {
        return Err(ConfigError::invalid(
            vars::AUTH_JWT_HS256_SECRET,
            format!("must be at least {MIN_HS256_SECRET_BYTES} bytes"),
        ));
    }
    let rs256_public_key_file = values.get(vars::AUTH_JWT_RS256_PUBLIC_KEY_FILE).map(PathBuf::from);
    if algorithm == JwtAlgorithm::Rs256 && rs256_public_key_file.is_none() {
        return Err(ConfigError::missing(
            vars::AUTH_JWT_RS256_PUBLIC_KEY_FILE,
            format!("when {} is RS256", vars::AUTH_JWT_ALGORITHM),
        ));
    }
    Ok(AuthConfig {
        issuer: required(values, vars::AUTH_JWT_ISSUER)?.to_string(),
        audience: required(values, vars::AUTH_JWT_AUDIENCE)?.to_string(),
        algorithm,
        hs256_secret,
        rs256_public_key_file,
        rs256_private_key_file: values.get(vars::AUTH_JWT_RS256_PRIVATE_KEY_FILE).map(PathBuf::from),
        max_lifetime: max_lifetime(values)?,
    })
}

fn max_lifetime(values: &Values) -> Result<std::time::Duration, ConfigError> {
    let Some(text) = values.get(vars::AUTH_JWT_MAX_LIFETIME_SECS) else {
        return Ok(super::defaults::AUTH_JWT_MAX_LIFETIME);
    };
    match text.trim().parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(std::time::Duration::from_secs(secs)),
        _ => Err(ConfigError::invalid(
            vars::AUTH_JWT_MAX_LIFETIME_SECS,
            format!("{text:?} is not a whole number of seconds above zero"),
        )),
    }
}

/// `nats://user:pass@host` → `nats://[redacted]@host`, for `Debug` and error messages; each server
/// of a comma-separated list separately.
pub(super) fn redact_userinfo(url: &str) -> String {
    url.split(',').map(redact_one).collect::<Vec<_>>().join(",")
}

fn redact_one(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}[redacted]{}", &rest[at..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_url_are_redacted() {
        assert_eq!(redact_userinfo("nats://u:p@nats:4222"), "nats://[redacted]@nats:4222");
        assert_eq!(redact_userinfo("tls://nats:4222/x@y"), "tls://nats:4222/x@y");
        assert_eq!(redact_userinfo("nats://a:4222,nats://u:p@b:4222"), "nats://a:4222,nats://[redacted]@b:4222");
    }
}
