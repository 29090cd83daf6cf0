//! Server-rendered pages: the OAuth consent page, the owner's sign-in (`auth`) and settings
//! (`settings`, `two_factor`, `authorized_apps`, sharing `signed_in`), and the public pages
//! (docs/web.md): the owner's profile and posts (`profile`), hashtags (`tags`), `/about`
//! (`about`), RSS and Atom feeds (`feeds`), and remote interaction (`interact`). Templates live in `frontend/templates/`
//! and are compiled in; pages ship no JavaScript and work within one CSP (`CSP`).
pub mod about;
pub mod admin;
pub mod assets;
pub mod auth;
pub mod authorize;
pub mod authorized_apps;
pub mod edit_profile;
pub mod feeds;
pub mod imports;
pub mod moving;
pub mod interact;
pub mod profile;
pub mod reports;
pub mod settings;
pub mod signed_in;
pub mod tags;
pub mod two_factor;
pub mod views;

#[cfg(test)]
mod sign_in_tests;
#[cfg(test)]
mod reports_tests;
#[cfg(test)]
mod tests;

use askama::Template;

use crate::ctx::Ctx;
use crate::edge::error::ApiError;
use crate::edge::http::Response;

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    pub instance_title: &'a str,
    pub heading: &'a str,
    pub message: &'a str,
    pub code: Option<&'a str>,
}

/// Every page's policy but `form-action`: no scripts, no framing, nothing loaded from elsewhere
/// but images.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; frame-ancestors 'none'; base-uri 'none'";

/// Renders a page whose forms post only to us; a template that fails to render is a bug, shown
/// as a plain 500.
pub fn render(status: u16, page: &impl Template) -> Response {
    render_posting_to(status, page, None)
}

/// Renders a page whose forms may also lead to `also` (a CSP source): browsers check
/// `form-action` against each redirect that follows a form's submission too.
pub fn render_posting_to(status: u16, page: &impl Template, also: Option<&str>) -> Response {
    let form_action = match also {
        Some(source) => format!("form-action 'self' {source}"),
        None => "form-action 'self'".to_string(),
    };
    match page.render() {
        Ok(html) => Response::html(status, html)
            .header("X-Frame-Options", "DENY")
            .header("Content-Security-Policy", &format!("{CSP}; {form_action}"))
            .header("Referrer-Policy", "no-referrer"),
        Err(e) => {
            crate::ctx::log_error(&format!("template: {e}"));
            Response::new(500, "text/plain; charset=utf-8", "Internal server error")
        }
    }
}

pub fn message(status: u16, instance_title: &str, heading: &str, message: &str) -> Response {
    render(status, &MessagePage { instance_title, heading, message, code: None })
}

pub fn not_found() -> Response {
    message(404, "Topi", "Not found", "The page you were looking for doesn't exist.")
}

/// A page's answer, its errors shown as pages (the API shows them as JSON): a missing thing is
/// the 404 page, anything else a page with the error's status and its safe message; internal
/// errors are logged, never shown.
pub async fn html_errors(ctx: &Ctx<'_>, page: impl std::future::Future<Output = Result<Response, ApiError>>) -> Result<Response, ApiError> {
    Ok(match page.await {
        Ok(response) => response,
        Err(ApiError::NotFound) => not_found(),
        Err(error) => {
            if let ApiError::Internal(source) = &error {
                crate::ctx::log_error(&format!("internal error: {source}"));
            }
            let heading = if error.status() >= 500 { "Something went wrong" } else { "This request could not be handled" };
            message(error.status(), &ctx.config.title, heading, &error.to_string())
        }
    })
}
