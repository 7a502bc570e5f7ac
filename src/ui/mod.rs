//! The web UI: a page of plain JavaScript (no build step, no CDN, no font
//! fetched) embedded in the binary and served at the route prefix, at the
//! URLs Alertmanager's UI has (`/`, `/favicon.ico`, `/assets/…`, and 0.25's
//! `/script.js`), so that the links in notifications (`#/alerts?receiver=…`,
//! `#/silences/new?filter=…`) land on working pages. The page talks to the
//! API v2 endpoints amtool uses (so `--web.config.file` guards both) and
//! to Tocsin's history and chart endpoints.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const INDEX: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");
const FAVICON: &[u8] = include_bytes!("assets/favicon.ico");

/// The page at `<prefix>/` as well as `<prefix>` (a router nested under a
/// prefix serves only the latter).
pub fn index_with_slash<S: Clone + Send + Sync + 'static>(route_prefix: &str) -> Router<S> {
    let prefix = route_prefix.to_string();
    Router::new().route(
        &format!("{}/", route_prefix.trim_end_matches('/')),
        get(move || std::future::ready(index(&prefix))),
    )
}

/// The embedded assets and their total size (stated in the README).
pub const ASSETS: [(&str, usize); 4] = [
    ("index.html", INDEX.len()),
    ("assets/app.js", APP_JS.len()),
    ("assets/app.css", APP_CSS.len()),
    ("favicon.ico", FAVICON.len()),
];

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Not fingerprinted: a new version must be fetched at once.
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// The page with its base URL (the route prefix, so that its assets and
/// API calls resolve there whether it is opened as `/prefix` or `/prefix/`).
fn index(prefix: &str) -> Response {
    let base = format!("{}/", prefix.trim_end_matches('/'));
    let base = base
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    let page = INDEX.replacen("<head>", &format!("<head>\n<base href=\"{base}\">"), 1);
    let mut r = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        page,
    )
        .into_response();
    // Everything the page loads comes from here; alert content can never
    // run as script.
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'",
        ),
    );
    r
}

async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS.as_bytes())
}

async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS.as_bytes())
}

async fn favicon() -> Response {
    asset("image/vnd.microsoft.icon", FAVICON)
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "404 page not found\n").into_response()
}

/// The UI's routes (to be nested under `route_prefix`).
pub fn router<S: Clone + Send + Sync + 'static>(route_prefix: &str) -> Router<S> {
    let prefix = route_prefix.to_string();
    Router::new()
        .route("/", get(move || std::future::ready(index(&prefix))))
        .route("/favicon.ico", get(favicon))
        .route("/assets/app.js", get(app_js))
        .route("/assets/app.css", get(app_css))
        .route("/assets/{*rest}", get(not_found))
        // Alertmanager 0.25's paths for the same page.
        .route("/script.js", get(app_js))
        .route("/lib/{*rest}", get(not_found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_assets_and_builds_no_html_from_data() {
        for (name, size) in ASSETS {
            assert!(size > 0, "{name}");
        }
        // No CDN, no remote font.
        for text in [INDEX, APP_JS, APP_CSS] {
            assert!(!text.contains("http://") && !text.contains("https://"));
            assert!(!text.contains("@import") && !text.contains("url("));
        }
        assert!(INDEX.contains("src=\"assets/app.js\""));
        // Data reaches the page as text only.
        for forbidden in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!APP_JS.contains(forbidden), "{forbidden}");
        }
        let total: usize = ASSETS.iter().map(|(_, n)| n).sum();
        assert!(total < 64 * 1024, "the UI stays small: {total} bytes");
    }
}
