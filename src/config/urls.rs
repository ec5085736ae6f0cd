//! The URLs settings name: the public base URL phones are sent to, and CORS origins.

/// The public base URL: `http` or `https`, a host, an optional port and path, no query,
/// fragment or user info, and only characters a phone's configuration file can carry.
/// Returned without a trailing slash.
pub(super) fn public_url(text: &str) -> Result<String, &'static str> {
    let url = text.trim_end_matches('/');
    let uri: actix_web::http::Uri = url.parse().map_err(|_| "is not a URL like https://prov.example.com")?;
    let plain = url.bytes().all(|b| (0x21..=0x7e).contains(&b) && !b"\"<>\\'`".contains(&b));
    let ok = matches!(uri.scheme_str(), Some("http" | "https"))
        && uri.authority().is_some_and(|a| !a.as_str().contains('@') && !a.host().is_empty())
        && uri.query().is_none()
        && !url.contains('#')
        && plain;
    if ok { Ok(url.to_owned()) } else { Err("is not a URL like https://prov.example.com (http or https, no query)") }
}

/// An origin as browsers send it: `http` or `https`, a host, an optional port, nothing else.
/// Lowercased, since the `Origin` header is compared byte for byte.
pub(super) fn origin(text: &str) -> Result<String, &'static str> {
    if text == "*" {
        return Err("is not allowed: list the origins (a token-bearing API must not answer every site)");
    }
    let lower = text.to_ascii_lowercase();
    let uri: actix_web::http::Uri = lower.parse().map_err(|_| "is not an origin like https://portal.example.com")?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let exact = uri.authority().is_some_and(|a| {
        !a.as_str().contains('@')
            && !a.host().is_empty()
            && format!("{}://{a}", uri.scheme_str().unwrap_or("")) == lower
    });
    if scheme_ok && exact {
        Ok(lower)
    } else {
        Err("is not an origin like https://portal.example.com (scheme, host and port only, no path)")
    }
}
