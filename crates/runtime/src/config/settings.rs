//! A service's own settings, read through the same layers as the shared ones.
//!
//! A service declares the variables it reads as a list of [`Setting`]s; the binary hands every
//! target's list to [`Config::load`](super::Config::load), so the file and the environment accept
//! them (an unknown key in the file is still an error) and `butterboard config vars` lists them.
//! Values arrive in [`Config::settings`](super::Config::settings) as text; the service parses them
//! once at start-up with [`Settings::parse`] and friends, whose errors name the variable. A
//! setting that is not set is absent here: its default lives with the code that uses it.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;
use std::time::Duration;

use super::ConfigError;

/// One variable a service reads besides the shared ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The environment variable (upper case); the file uses it in lower case.
    pub name: &'static str,
    /// What it does and its default, for `butterboard config vars` and the docs.
    pub help: &'static str,
}

impl Setting {
    pub const fn new(name: &'static str, help: &'static str) -> Self {
        Self { name, help }
    }
}

/// The services' settings that are set, by variable name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings(BTreeMap<String, String>);

impl Settings {
    /// Sets `name` (tests, and the config layers).
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.insert(name.to_string(), value.into());
    }

    /// The raw text of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `name` parsed as `T`, if set; an unparsable value is an error naming the variable.
    pub fn parse<T>(&self, name: &str) -> Result<Option<T>, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        self.get(name)
            .map(|text| {
                text.trim().parse::<T>().map_err(|error| ConfigError::invalid(name, format!("{text:?}: {error}")))
            })
            .transpose()
    }

    /// A whole number above zero (counts, sizes, limits).
    pub fn positive(&self, name: &str) -> Result<Option<u64>, ConfigError> {
        match self.parse::<u64>(name)? {
            Some(0) => Err(ConfigError::invalid(name, "must be a whole number above zero")),
            other => Ok(other),
        }
    }

    /// A duration given in whole seconds (the variable's name says `_SECS`).
    pub fn seconds(&self, name: &str) -> Result<Option<Duration>, ConfigError> {
        Ok(self.positive(name)?.map(Duration::from_secs))
    }

    /// A duration given in whole milliseconds (the variable's name says `_MS`).
    pub fn millis(&self, name: &str) -> Result<Option<Duration>, ConfigError> {
        Ok(self.positive(name)?.map(Duration::from_millis))
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`, any case).
    pub fn flag(&self, name: &str) -> Result<Option<bool>, ConfigError> {
        self.get(name)
            .map(|text| match text.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::invalid(name, format!("{text:?} is not true or false"))),
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_once_and_errors_name_the_variable() {
        let mut settings = Settings::default();
        settings.set("A_SECS", "30");
        settings.set("B_COUNT", "0");
        settings.set("C_FLAG", "Off");
        settings.set("D_COUNT", "many");
        assert_eq!(settings.seconds("A_SECS").ok().flatten(), Some(Duration::from_secs(30)));
        assert_eq!(settings.seconds("UNSET_SECS").ok().flatten(), None);
        assert_eq!(settings.flag("C_FLAG").ok().flatten(), Some(false));
        let zero = settings.positive("B_COUNT").expect_err("zero is refused").to_string();
        assert!(zero.starts_with("B_COUNT:"), "{zero}");
        let words = settings.parse::<u32>("D_COUNT").expect_err("not a number").to_string();
        assert!(words.starts_with("D_COUNT:") && words.contains("many"), "{words}");
    }
}
