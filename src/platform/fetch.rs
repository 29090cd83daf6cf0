//! `HttpClient` over the Worker's `fetch`. Redirects are returned, not followed, so that
//! `federation::fetch` can check every hop against the address guard.
use async_trait::async_trait;

use crate::ctx::{HttpClient, HttpError, HttpRequest, HttpResponse, Meter};

pub struct Fetch(pub std::rc::Rc<Meter>);

fn err(e: impl std::fmt::Display) -> HttpError {
    HttpError(e.to_string())
}

#[async_trait(?Send)]
impl HttpClient for Fetch {
    async fn send(&self, request: HttpRequest, timeout_ms: u32, max_bytes: usize) -> Result<HttpResponse, HttpError> {
        Meter::add(&self.0.fetches, 1);
        let headers = worker::Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(err)?;
        }
        let method = worker::Method::from(request.method.to_string());
        let mut init = worker::RequestInit::new();
        init.with_method(method).with_headers(headers).with_redirect(worker::RequestRedirect::Manual);
        if let Some(body) = &request.body {
            init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
        }
        let outbound = worker::Request::new_with_init(&request.url, &init).map_err(err)?;
        let signal = web_sys::AbortSignal::timeout_with_u32(timeout_ms);
        let mut response = worker::Fetch::Request(outbound)
            .send_with_signal(&worker::AbortSignal::from(signal))
            .await
            .map_err(|e| HttpError(format!("{}: {e}", request.url)))?;
        let declared = response.headers().get("content-length").ok().flatten().and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > max_bytes) {
            return Err(HttpError(format!("{}: answer larger than {max_bytes} bytes", request.url)));
        }
        let headers = response.headers().entries().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect();
        let body = response.bytes().await.map_err(err)?;
        if body.len() > max_bytes {
            return Err(HttpError(format!("{}: answer larger than {max_bytes} bytes", request.url)));
        }
        Ok(HttpResponse { status: response.status_code(), headers, body })
    }
}
