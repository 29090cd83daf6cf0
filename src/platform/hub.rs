//! The streaming hub: one Durable Object (named "hub") that holds every streaming WebSocket
//! through the hibernation API, so that idle sockets cost nothing. The Worker admits a socket
//! (`router::streaming_upgrade`) and forwards the upgrade here with the checked subscriber;
//! every invocation that changed something sends its happenings here once, at its end. The hub
//! renders them only while a socket is open, and asks `domain::streams` what each socket gets.
use worker::{durable_object, DurableObject, Env, Method, Request, RequestInit, Response, State, WebSocket, WebSocketIncomingMessage, WebSocketPair};

use super::Parts;
use crate::domain::streams::{Happening, Subscriber};
use crate::router;

pub const HUB_BINDING: &str = "STREAMING";
/// The checked subscriber, set by the Worker on the forwarded upgrade; the hub is reachable only
/// through the Worker, which always sets it.
const SUBSCRIBER_HEADER: &str = "x-topi-subscriber";
const PROTOCOL_HEADER: &str = "x-topi-protocol";
/// A client's subscribe message is a few dozen bytes; anything longer is not one.
const MAX_CLIENT_MESSAGE_BYTES: usize = 4096;
/// Sockets one token may hold (an app multiplexes on one; a few tabs or devices share a token)
/// and the hub holds in all: each costs every broadcast a little CPU.
const MAX_SOCKETS_PER_TOKEN: usize = 8;
const MAX_SOCKETS: usize = 256;

fn stub(env: &Env) -> worker::Result<worker::Stub> {
    env.durable_object(HUB_BINDING)?.id_from_name("hub")?.get_stub()
}

/// Hands an admitted upgrade to the hub, which answers it with the socket.
pub async fn connect(env: &Env, req: &worker::Request, subscriber: &Subscriber, protocol: Option<&str>) -> worker::Result<Response> {
    let headers = req.headers().clone();
    headers.set(SUBSCRIBER_HEADER, &serde_json::to_string(subscriber)?)?;
    headers.delete(PROTOCOL_HEADER)?;
    if let Some(protocol) = protocol {
        headers.set(PROTOCOL_HEADER, protocol)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    stub(env)?.fetch_with_request(Request::new_with_init("https://hub/connect", &init)?).await
}

/// Sends an invocation's happenings to the hub.
pub async fn publish(env: &Env, happenings: &[Happening]) -> worker::Result<()> {
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(serde_json::to_string(happenings)?.into()));
    stub(env)?.fetch_with_request(Request::new_with_init("https://hub/publish", &init)?).await?;
    Ok(())
}

#[durable_object]
pub struct StreamingHub {
    state: State,
    env: Env,
}

impl DurableObject for StreamingHub {
    fn new(state: State, env: Env) -> Self {
        StreamingHub { state, env }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        match req.path().as_str() {
            "/connect" => self.accept(&req),
            "/publish" => self.broadcast(req).await,
            _ => Response::error("Not found", 404),
        }
    }

    async fn websocket_message(&self, ws: WebSocket, message: WebSocketIncomingMessage) -> worker::Result<()> {
        let WebSocketIncomingMessage::String(text) = message else { return Ok(()) };
        if text.len() > MAX_CLIENT_MESSAGE_BYTES {
            return Ok(());
        }
        let Some(mut subscriber) = ws.deserialize_attachment::<Subscriber>()? else { return Ok(()) };
        match subscriber.on_message(&text) {
            Ok(()) => ws.serialize_attachment(&subscriber),
            Err(frame) => ws.send_with_str(frame),
        }
    }

    async fn websocket_close(&self, ws: WebSocket, _code: usize, _reason: String, _was_clean: bool) -> worker::Result<()> {
        // Completes the closing handshake the client began.
        let _ = ws.close(Some(1000), Some("closed"));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        Ok(())
    }
}

impl StreamingHub {
    fn accept(&self, req: &Request) -> worker::Result<Response> {
        let Some(subscriber) = req.headers().get(SUBSCRIBER_HEADER)? else { return Response::error("Not found", 404) };
        let subscriber: Subscriber = serde_json::from_str(&subscriber)?;
        if self.state.get_websockets_with_tag(&token_tag(&subscriber.token_id)).len() >= MAX_SOCKETS_PER_TOKEN {
            return Response::error("Too many streaming connections for this token", 429);
        }
        if self.state.get_websockets().len() >= MAX_SOCKETS {
            return Response::error("Too many streaming connections", 503);
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_websocket_with_tags(&pair.server, &[&token_tag(&subscriber.token_id)]);
        pair.server.serialize_attachment(&subscriber)?;
        let mut response = Response::from_websocket(pair.client)?;
        if let Some(protocol) = req.headers().get(PROTOCOL_HEADER)? {
            response.headers_mut().set("Sec-WebSocket-Protocol", &protocol)?;
        }
        Ok(response)
    }

    async fn broadcast(&self, mut req: Request) -> worker::Result<Response> {
        let happenings: Vec<Happening> = req.json().await?;
        for happening in &happenings {
            if let Happening::TokenRevoked(token_id) = happening {
                for ws in self.state.get_websockets_with_tag(&token_tag(token_id)) {
                    let _ = ws.close(Some(1008), Some("The access token was revoked"));
                }
            }
        }
        let sockets = self.state.get_websockets();
        if sockets.is_empty() {
            return Response::empty();
        }
        let parts = Parts::from_env(&self.env).map_err(worker::Error::RustError)?;
        let ctx = parts.ctx();
        let mut subscribed: Vec<(WebSocket, Subscriber)> = Vec::new();
        for ws in sockets {
            if let Ok(Some(subscriber)) = ws.deserialize_attachment::<Subscriber>() {
                subscribed.push((ws, subscriber));
            }
        }
        let mut tokens: Vec<String> = subscribed.iter().map(|(_, s)| s.token_id.clone()).collect();
        tokens.sort();
        tokens.dedup();
        let revoked = router::streaming_revoked(&ctx, &tokens).await.map_err(worker::Error::RustError)?;
        let broadcasts = router::streaming_broadcasts(&ctx, &happenings).await.map_err(worker::Error::RustError)?;
        for (ws, subscriber) in subscribed {
            if revoked.contains(&subscriber.token_id) {
                let _ = ws.close(Some(1008), Some("The access token was revoked"));
                continue;
            }
            for frame in broadcasts.iter().flat_map(|broadcast| subscriber.frames(broadcast)) {
                // A socket that went away meanwhile is the runtime's to clean up.
                let _ = ws.send_with_str(frame);
            }
        }
        Response::empty()
    }
}

fn token_tag(token_id: &str) -> String {
    format!("token:{token_id}")
}
