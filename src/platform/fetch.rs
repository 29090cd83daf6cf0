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
        let body = read_capped(&mut response, max_bytes).await.map_err(|e| HttpError(format!("{}: {}", request.url, e.0)))?;
        Ok(HttpResponse { status: response.status_code(), headers, body })
    }
}

/// The answer's body, read as a stream and given up as soon as it passes `max_bytes`: a chunked
/// answer declares no length, and a peer could otherwise fill the isolate's memory.
async fn read_capped(response: &mut worker::Response, max_bytes: usize) -> Result<Vec<u8>, HttpError> {
    use futures_util::StreamExt;
    // A body-less answer (204, a HEAD) has no stream.
    let Ok(stream) = response.stream() else { return Ok(Vec::new()) };
    let mut stream = std::pin::pin!(stream);
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(err)?;
        if body.len() + chunk.len() > max_bytes {
            return Err(HttpError(format!("answer larger than {max_bytes} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
