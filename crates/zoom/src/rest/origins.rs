//! Where a recording download may go. A `download_url` comes from a webhook body or an API
//! answer, and the request to it carries a bearer token (the webhook's `download_token` or the
//! account's API token): it is sent only to Zoom's download hosts over https — or to origins a
//! deployment adds, such as a simulator on loopback. The redirect to the signed file URL carries
//! no token, and is followed only over https or to an allowed origin, as Zoom's are.

use reqwest::Url;

use super::errors::ZoomError;

/// Zoom's download hosts: `zoom.us` and its subdomains (`us06web.zoom.us`, `ssrweb.zoom.us`).
pub const ZOOM_DOWNLOAD_ORIGINS: [&str; 2] = ["https://zoom.us", "https://*.zoom.us"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// `*.zoom.us` is kept as `.zoom.us`: any host ending in it, with a label before.
    Subdomains(String),
}

/// One allowed origin: `scheme://host[:port]`, the host possibly `*.domain`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OriginPattern {
    scheme: String,
    host: HostPattern,
    port: Option<u16>,
}

impl OriginPattern {
    fn parse(text: &str) -> Result<Self, String> {
        let url = Url::parse(text.trim()).map_err(|e| format!("{e}"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err("only https (or http) origins".into());
        }
        let bare = url.username().is_empty()
            && url.password().is_none()
            && matches!(url.path(), "" | "/")
            && url.query().is_none()
            && url.fragment().is_none();
        if !bare {
            return Err("an origin is scheme://host[:port], without a path or credentials".into());
        }
        let host = url.host_str().ok_or("an origin needs a host")?;
        let host = match host.strip_prefix("*.") {
            Some(domain) if !domain.is_empty() && !domain.contains('*') => {
                HostPattern::Subdomains(format!(".{domain}"))
            }
            _ if host.contains('*') => return Err("a wildcard stands only for the leftmost labels: *.domain".into()),
            _ => HostPattern::Exact(host.to_string()),
        };
        Ok(Self { scheme: url.scheme().to_string(), host, port: url.port_or_known_default() })
    }

    fn matches(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else { return false };
        let host_matches = match &self.host {
            HostPattern::Exact(exact) => host == exact,
            HostPattern::Subdomains(suffix) => host.len() > suffix.len() && host.ends_with(suffix.as_str()),
        };
        url.scheme() == self.scheme && host_matches && url.port_or_known_default() == self.port
    }
}

/// The origins a download token may be sent to.
#[derive(Debug, Clone)]
pub(crate) struct DownloadOrigins(Vec<OriginPattern>);

impl DownloadOrigins {
    /// Reads `scheme://host[:port]` patterns (see [`ClientConfig`](super::ClientConfig)).
    pub fn parse(patterns: &[String]) -> Result<Self, ZoomError> {
        let parsed = patterns
            .iter()
            .map(|p| {
                OriginPattern::parse(p).map_err(|e| ZoomError::InvalidRequest(format!("download origin {p:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(parsed))
    }

    fn allows(&self, url: &Url) -> bool {
        // Credentials in a URL would travel as a second authorisation: Zoom never sends them.
        url.username().is_empty() && url.password().is_none() && self.0.iter().any(|o| o.matches(url))
    }

    /// Whether the request to `url`, the `hop`-th of a download (0 for `download_url` itself),
    /// carries the token; [`ZoomError::DownloadRefused`] when it must not be sent at all.
    pub fn check(&self, url: &Url, hop: usize) -> Result<bool, ZoomError> {
        if hop == 0 {
            return if self.allows(url) { Ok(true) } else { Err(refused(url)) };
        }
        // The signed file URL authorises itself; in plain http it would be readable on the way.
        let signed_url_safe = url.username().is_empty() && (url.scheme() == "https" || self.allows(url));
        if signed_url_safe { Ok(false) } else { Err(refused(url)) }
    }
}

/// The refusal names the origin only: the path and query of a download URL may hold a token.
fn refused(url: &Url) -> ZoomError {
    let origin = match url.host_str() {
        Some(host) => match url.port() {
            Some(port) => format!("{}://{host}:{port}", url.scheme()),
            None => format!("{}://{host}", url.scheme()),
        },
        None => format!("{}:", url.scheme()),
    };
    ZoomError::DownloadRefused { origin }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(patterns: &[&str]) -> DownloadOrigins {
        DownloadOrigins::parse(&patterns.iter().map(|p| p.to_string()).collect::<Vec<_>>()).expect("patterns")
    }

    fn first_hop(origins: &DownloadOrigins, url: &str) -> Result<bool, ZoomError> {
        origins.check(&Url::parse(url).expect("url"), 0)
    }

    #[test]
    fn the_token_goes_to_zoom_download_hosts_over_https_only() {
        let zoom = origins(&ZOOM_DOWNLOAD_ORIGINS);
        for allowed in
            ["https://zoom.us/rec/download/x", "https://us06web.zoom.us/rec/download/x?a=1", "https://ZOOM.US:443/x"]
        {
            assert!(matches!(first_hop(&zoom, allowed), Ok(true)), "{allowed}");
        }
        for refused in [
            "http://us06web.zoom.us/rec/download/x",
            "https://evilzoom.us/x",
            "https://zoom.us.example.com/x",
            "https://zoom.us:8443/x",
            "https://user:pass@zoom.us/x",
            "https://example.com/x?host=zoom.us",
            "ftp://zoom.us/x",
        ] {
            assert!(matches!(first_hop(&zoom, refused), Err(ZoomError::DownloadRefused { .. })), "{refused}");
        }
    }

    #[test]
    fn a_refusal_names_the_origin_and_not_the_path_or_query() {
        let error =
            first_hop(&origins(&ZOOM_DOWNLOAD_ORIGINS), "http://127.0.0.1:8080/rec/download/x?access_token=secret")
                .expect_err("refused");
        assert_eq!(
            error.to_string(),
            "refusing to download from http://127.0.0.1:8080: not an allowed zoom download origin"
        );
    }

    #[test]
    fn a_simulator_origin_can_be_added_with_its_port() {
        let sim = origins(&["https://zoom.us", "http://127.0.0.1:4010"]);
        assert!(matches!(first_hop(&sim, "http://127.0.0.1:4010/rec/download/x"), Ok(true)));
        assert!(first_hop(&sim, "http://127.0.0.1:4011/rec/download/x").is_err(), "another port");
        assert!(first_hop(&sim, "https://127.0.0.1:4010/rec/download/x").is_err(), "another scheme");
    }

    #[test]
    fn redirects_carry_no_token_and_stay_off_plain_http_elsewhere() {
        let sim = origins(&["https://*.zoom.us", "http://127.0.0.1:4010"]);
        let hop = |url: &str| sim.check(&Url::parse(url).expect("url"), 1);
        assert!(matches!(hop("https://ssrweb.zoom.us/file?sig=1"), Ok(false)));
        assert!(matches!(hop("https://cdn.example.net/file?sig=1"), Ok(false)), "a signed https URL anywhere");
        assert!(matches!(hop("http://127.0.0.1:4010/rec/file/x?sig=1"), Ok(false)), "an allowed origin, no token");
        assert!(matches!(hop("http://cdn.example.net/file?sig=1"), Err(ZoomError::DownloadRefused { .. })));
    }

    #[test]
    fn malformed_patterns_are_refused_when_the_client_is_built() {
        for bad in
            ["zoom.us", "https://zoom.us/rec", "https://a.*.zoom.us", "https://*", "file:///tmp", "https://u@zoom.us"]
        {
            assert!(DownloadOrigins::parse(&[bad.to_string()]).is_err(), "{bad}");
        }
    }
}
