//! The three layers (defaults, file, environment) merged by figment into flat raw values.

use std::collections::BTreeMap;
use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};

use super::{ConfigError, Setting, defaults, vars};
use crate::service_name::ServiceName;

/// Raw merged values, keyed by lowercase variable name; empty values already dropped.
pub(super) struct Values(BTreeMap<String, String>);

impl Values {
    /// The value of `variable` (named as in the environment), if set and not empty.
    pub(super) fn get(&self, variable: &str) -> Option<&str> {
        self.0.get(&variable.to_ascii_lowercase()).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// The values of `settings` that are set, by variable name.
    pub(super) fn of(&self, settings: &[Setting]) -> super::Settings {
        let mut out = super::Settings::default();
        for setting in settings {
            if let Some(value) = self.get(setting.name) {
                out.set(setting.name, value);
            }
        }
        out
    }
}

/// Every name the configuration reads: the shared ones, the database URLs and the services' own.
fn known_names(settings: &[Setting]) -> impl Iterator<Item = &'static str> + '_ {
    vars::ALL
        .into_iter()
        .chain(ServiceName::ALL.into_iter().map(ServiceName::database_env))
        .chain(ServiceName::ALL.into_iter().map(ServiceName::grpc_url_env))
        .chain(settings.iter().map(|setting| setting.name))
}

/// The listen addresses are not in this layer: validation applies their defaults, so it knows
/// which ones were configured ([`Listen::configured`](super::Listen::configured)).
fn defaults_layer() -> BTreeMap<String, String> {
    [
        (vars::DATA_DIR, defaults::DATA_DIR.to_string()),
        (vars::ZOOM_API_BASE_URL, defaults::ZOOM_API_BASE_URL.to_string()),
        (vars::ZOOM_OAUTH_URL, defaults::ZOOM_OAUTH_URL.to_string()),
        (vars::DRIVE_API_BASE_URL, defaults::DRIVE_API_BASE_URL.to_string()),
        (vars::AUTH_JWT_ISSUER, defaults::AUTH_JWT_ISSUER.to_string()),
        (vars::AUTH_JWT_AUDIENCE, defaults::AUTH_JWT_AUDIENCE.to_string()),
        (vars::AUTH_JWT_ALGORITHM, defaults::AUTH_JWT_ALGORITHM.to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_ascii_lowercase(), value))
    .collect()
}

/// The known variables of `env`, lowercased; empty values are dropped so they do not hide a value
/// from the file (deploy tooling renders an absent value as `""`).
fn env_layer(env: impl IntoIterator<Item = (String, String)>, settings: &[Setting]) -> BTreeMap<String, String> {
    env.into_iter()
        .filter(|(name, value)| !value.is_empty() && known_names(settings).any(|known| known == name))
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect()
}

/// Reads the file on its own first, so its errors (missing, not TOML, not a string, unknown key)
/// name the file rather than surfacing from the merge.
fn check_file(path: &Path, settings: &[Setting]) -> Result<(), ConfigError> {
    let file_error = |reason: String| ConfigError::File { path: path.to_path_buf(), reason };
    // figment silently yields nothing for a missing file; a `--config` that is not there is a
    // mistake worth stopping for.
    std::fs::metadata(path).map_err(|error| file_error(error.to_string()))?;
    let values: BTreeMap<String, String> =
        Figment::from(Toml::file_exact(path)).extract().map_err(|error| file_error(error.to_string()))?;
    if let Some(unknown) = values.keys().find(|key| !known_names(settings).any(|known| known.eq_ignore_ascii_case(key)))
    {
        return Err(file_error(format!(
            "unknown key {unknown:?}; keys are the environment variable names in lowercase"
        )));
    }
    if let Some(upper) = values.keys().find(|key| key.chars().any(|c| c.is_ascii_uppercase())) {
        return Err(file_error(format!("key {upper:?} must be lowercase")));
    }
    Ok(())
}

/// Defaults, then the file, then the environment: a later layer wins.
pub(super) fn merge(
    file: Option<&Path>,
    env: impl IntoIterator<Item = (String, String)>,
    settings: &[Setting],
) -> Result<Values, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(defaults_layer()));
    if let Some(path) = file {
        check_file(path, settings)?;
        figment = figment.merge(Toml::file_exact(path));
    }
    figment = figment.merge(Serialized::defaults(env_layer(env, settings)));
    let values = figment.extract().map_err(|error| ConfigError::File {
        path: file.map(Path::to_path_buf).unwrap_or_default(),
        reason: error.to_string(),
    })?;
    Ok(Values(values))
}

/// The process environment. A known variable that is not UTF-8 is an error rather than silently
/// unset; other variables are none of our business.
pub(super) fn process_env(settings: &[Setting]) -> Result<Vec<(String, String)>, ConfigError> {
    let mut env = Vec::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str().filter(|name| known_names(settings).any(|known| known == *name)) else {
            continue;
        };
        let value = value.into_string().map_err(|_| ConfigError::invalid(name, "is not valid UTF-8"))?;
        env.push((name.to_string(), value));
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_environment_value_does_not_hide_the_default() {
        let values = merge(None, [("BUTTERBOARD_DATA_DIR".to_string(), String::new())], &[]);
        assert_eq!(values.ok().and_then(|v| v.get(vars::DATA_DIR).map(str::to_string)).as_deref(), Some("./data"));
    }

    #[test]
    fn unrelated_environment_variables_are_ignored() {
        let layer = env_layer(
            [("HOME".to_string(), "/root".to_string()), ("NATS_URL".to_string(), "nats://n".to_string())],
            &[],
        );
        assert_eq!(layer.keys().collect::<Vec<_>>(), ["nats_url"]);
    }
}
