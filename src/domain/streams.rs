//! The streaming API's rules (<https://docs.joinmastodon.org/methods/streaming/>), pure: which
//! streams exist and what scope each needs, what a subscriber has asked for, which of a rendered
//! event's streams reach it, and the frames in Mastodon's format. The hub (a Durable Object in
//! `platform/`) keeps a `Subscriber` with each socket and asks these rules what to send.
use serde::{Deserialize, Serialize};

use super::scopes::Scopes;

/// One stream as Mastodon names it, with its parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "arg", rename_all = "snake_case")]
pub enum Stream {
    User,
    UserNotification,
    Public { local: Option<bool>, media: bool },
    Hashtag { tag: String, local: bool },
    List(String),
    Direct,
}

/// Why a stream could not be subscribed to, as Mastodon's error frame says it.
#[derive(Debug, PartialEq, Eq)]
pub struct StreamError {
    pub status: u16,
    pub message: &'static str,
}

const UNKNOWN: StreamError = StreamError { status: 400, message: "Unknown stream type" };
const NO_TAG: StreamError = StreamError { status: 400, message: "No tag for stream provided" };
const NO_LIST: StreamError = StreamError { status: 400, message: "No list for stream provided" };
const SCOPE: StreamError = StreamError { status: 401, message: "Access token does not have the required scopes" };

/// Longest hashtag name a subscription keeps (Mastodon's tag names are shorter still).
const MAX_TAG_BYTES: usize = 100;
/// Subscriptions one socket may hold: a client multiplexes a handful of columns.
pub const MAX_SUBSCRIPTIONS: usize = 32;

impl Stream {
    /// The stream named `name` with its `tag` or `list` parameter.
    pub fn parse(name: &str, tag: Option<&str>, list: Option<&str>) -> Result<Stream, StreamError> {
        let public = |local, media| Ok(Stream::Public { local, media });
        let hashtag = |local| {
            let tag = tag.map(|t| t.trim().trim_start_matches('#').to_lowercase()).filter(|t| !t.is_empty()).ok_or(NO_TAG)?;
            if tag.len() > MAX_TAG_BYTES {
                return Err(NO_TAG);
            }
            Ok(Stream::Hashtag { tag, local })
        };
        match name {
            "user" => Ok(Stream::User),
            "user:notification" => Ok(Stream::UserNotification),
            "public" => public(None, false),
            "public:media" => public(None, true),
            "public:local" => public(Some(true), false),
            "public:local:media" => public(Some(true), true),
            "public:remote" => public(Some(false), false),
            "public:remote:media" => public(Some(false), true),
            "hashtag" => hashtag(false),
            "hashtag:local" => hashtag(true),
            "list" => {
                let list = list.filter(|l| !l.is_empty() && l.len() <= 20 && l.bytes().all(|b| b.is_ascii_digit())).ok_or(NO_LIST)?;
                Ok(Stream::List(list.to_string()))
            }
            "direct" => Ok(Stream::Direct),
            _ => Err(UNKNOWN),
        }
    }

    /// The `stream` array of a frame: the name, then the tag or list id.
    pub fn frame_name(&self) -> Vec<String> {
        let name = match self {
            Stream::User => "user",
            Stream::UserNotification => "user:notification",
            Stream::Public { local: None, media: false } => "public",
            Stream::Public { local: None, media: true } => "public:media",
            Stream::Public { local: Some(true), media: false } => "public:local",
            Stream::Public { local: Some(true), media: true } => "public:local:media",
            Stream::Public { local: Some(false), media: false } => "public:remote",
            Stream::Public { local: Some(false), media: true } => "public:remote:media",
            Stream::Hashtag { local: false, .. } => "hashtag",
            Stream::Hashtag { local: true, .. } => "hashtag:local",
            Stream::List(_) => "list",
            Stream::Direct => "direct",
        };
        let mut parts = vec![name.to_string()];
        match self {
            Stream::Hashtag { tag, .. } => parts.push(tag.clone()),
            Stream::List(id) => parts.push(id.clone()),
            _ => {}
        }
        parts
    }

    /// Mastodon's rule: notifications need `read:notifications`, everything else `read:statuses`
    /// (`read` covers both).
    fn required_scope(&self) -> &'static str {
        match self {
            Stream::UserNotification => "read:notifications",
            _ => "read:statuses",
        }
    }

    pub fn allowed_by(&self, scopes: &Scopes) -> Result<(), StreamError> {
        if scopes.allows(self.required_scope()) {
            Ok(())
        } else {
            Err(SCOPE)
        }
    }
}

/// Something live clients should hear of, recorded where it happens (`ctx::Live`) and rendered
/// once, as the owner sees it, when the invocation ends and only if a socket is open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Happening {
    /// A status (or boost) was stored: `update` where it belongs.
    Status(String),
    Edited(String),
    Deleted(String),
    Notification(String),
    FiltersChanged,
    /// The hub closes the token's sockets.
    TokenRevoked(String),
    /// An announcement was published, or a published one changed.
    Announcement(String),
    /// A published announcement was deleted or withdrawn.
    AnnouncementDeleted(String),
}

/// What a rendered event is and where it belongs. The hub sends it to each socket subscribed to
/// one of its `streams`; `user` subscribers also get `user:notification` events.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Broadcast {
    pub event: String,
    /// The JSON text of the payload (Mastodon frames carry it as a string); absent for
    /// `filters_changed`.
    pub payload: Option<String>,
    pub streams: Vec<Stream>,
}

/// One socket's owner: kept as the socket's attachment, so it survives the hub's hibernation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subscriber {
    pub token_id: String,
    pub scopes: String,
    pub streams: Vec<Stream>,
}

impl Subscriber {
    /// An unreadable scope string grants nothing (`Scopes::parse` would read "" as `read`).
    fn scopes(&self) -> Option<Scopes> {
        Scopes::parse(&self.scopes).ok().filter(|_| !self.scopes.trim().is_empty())
    }

    /// The frames this subscriber gets for `broadcast`: one per subscribed stream it reaches,
    /// as Mastodon sends one per channel. Notifications need `read:notifications` (a `user`
    /// subscriber gets them too), everything else `read:statuses`; a `delete` goes to every
    /// stream the socket holds, since any of them may show the status.
    pub fn frames(&self, broadcast: &Broadcast) -> Vec<String> {
        let Some(scopes) = self.scopes() else { return Vec::new() };
        let notification = broadcast.event == "notification";
        let needed = if notification { "read:notifications" } else { "read:statuses" };
        if !scopes.allows(needed) {
            return Vec::new();
        }
        self.streams
            .iter()
            .filter(|mine| mine.allowed_by(&scopes).is_ok() || (notification && **mine == Stream::User))
            .filter(|mine| {
                broadcast.event == "delete"
                    || broadcast.streams.iter().any(|target| {
                        target == *mine || (notification && **mine == Stream::User && *target == Stream::UserNotification)
                    })
            })
            .map(|mine| frame(&mine.frame_name(), &broadcast.event, broadcast.payload.as_deref()))
            .collect()
    }

    /// A client's `{"type": "subscribe" | "unsubscribe", "stream": …, "tag": …, "list": …}`:
    /// changes the subscriptions, or says why not (an error frame to send back).
    pub fn on_message(&mut self, text: &str) -> Result<(), String> {
        #[derive(Deserialize)]
        struct Command {
            #[serde(rename = "type")]
            kind: String,
            stream: String,
            tag: Option<String>,
            list: Option<serde_json::Value>,
        }
        let error = |e: StreamError| error_frame(e.status, e.message);
        // Mastodon ignores what it cannot read.
        let Ok(command) = serde_json::from_str::<Command>(text) else { return Ok(()) };
        let list = command.list.map(|l| l.as_str().map(str::to_string).unwrap_or_else(|| l.to_string()));
        let stream = Stream::parse(&command.stream, command.tag.as_deref(), list.as_deref()).map_err(error)?;
        match command.kind.as_str() {
            "subscribe" => {
                let scopes = self.scopes().ok_or_else(|| error(SCOPE))?;
                stream.allowed_by(&scopes).map_err(error)?;
                if !self.streams.contains(&stream) {
                    if self.streams.len() >= MAX_SUBSCRIPTIONS {
                        return Err(error_frame(400, "Too many subscriptions"));
                    }
                    self.streams.push(stream);
                }
            }
            "unsubscribe" => self.streams.retain(|s| *s != stream),
            _ => {}
        }
        Ok(())
    }
}

/// `{"stream": [...], "event": ..., "payload": "<JSON text>"}`, Mastodon's WebSocket frame.
pub fn frame(stream: &[String], event: &str, payload: Option<&str>) -> String {
    let mut frame = serde_json::json!({"stream": stream, "event": event});
    if let Some(payload) = payload {
        frame["payload"] = payload.into();
    }
    frame.to_string()
}

pub fn error_frame(status: u16, message: &str) -> String {
    serde_json::json!({"error": message, "status": status}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscriber(scopes: &str, streams: Vec<Stream>) -> Subscriber {
        Subscriber { token_id: "1".into(), scopes: scopes.into(), streams }
    }

    fn update(streams: Vec<Stream>) -> Broadcast {
        Broadcast { event: "update".into(), payload: Some("{\"id\":\"5\"}".into()), streams }
    }

    #[test]
    fn every_mastodon_stream_name_parses_and_names_itself_back() {
        for name in ["user", "user:notification", "public", "public:media", "public:local", "public:local:media",
            "public:remote", "public:remote:media", "direct"]
        {
            assert_eq!(Stream::parse(name, None, None).unwrap().frame_name(), vec![name.to_string()]);
        }
        assert_eq!(Stream::parse("hashtag", Some("#Rust"), None).unwrap().frame_name(), vec!["hashtag", "rust"]);
        assert_eq!(Stream::parse("hashtag:local", Some("x"), None).unwrap().frame_name(), vec!["hashtag:local", "x"]);
        assert_eq!(Stream::parse("list", None, Some("12")).unwrap().frame_name(), vec!["list", "12"]);
        assert_eq!(Stream::parse("nope", None, None).unwrap_err().message, "Unknown stream type");
        assert_eq!(Stream::parse("hashtag", Some(" "), None).unwrap_err(), NO_TAG);
        assert_eq!(Stream::parse("list", None, Some("1; drop")).unwrap_err(), NO_LIST);
    }

    #[test]
    fn frames_carry_the_payload_as_a_string_for_each_matching_subscription() {
        let tag = Stream::Hashtag { tag: "rust".into(), local: false };
        let public = Stream::Public { local: None, media: false };
        let sub = subscriber("read", vec![Stream::User, tag.clone(), Stream::Direct]);
        let frames = sub.frames(&update(vec![public, tag, Stream::User]));
        assert_eq!(frames.len(), 2);
        let first: serde_json::Value = serde_json::from_str(&frames[0]).unwrap();
        assert_eq!(first, serde_json::json!({"stream": ["user"], "event": "update", "payload": "{\"id\":\"5\"}"}));
        assert!(frames[1].contains("[\"hashtag\",\"rust\"]"));
        assert!(sub.frames(&update(vec![Stream::Public { local: Some(true), media: false }])).is_empty());
    }

    #[test]
    fn notifications_reach_user_subscribers_only_with_the_notifications_scope() {
        let notification = Broadcast { event: "notification".into(), payload: Some("{}".into()), streams: vec![Stream::UserNotification] };
        assert_eq!(subscriber("read", vec![Stream::User]).frames(&notification).len(), 1);
        assert_eq!(subscriber("read:notifications", vec![Stream::UserNotification]).frames(&notification).len(), 1);
        assert_eq!(subscriber("read:statuses read:notifications", vec![Stream::User]).frames(&notification).len(), 1);
        assert!(subscriber("read:statuses", vec![Stream::User]).frames(&notification).is_empty());
        // A stream the token may not read sends nothing even if it was stored.
        assert!(subscriber("read:statuses", vec![Stream::UserNotification]).frames(&notification).is_empty());
    }

    #[test]
    fn statuses_need_the_statuses_scope_whatever_the_stream() {
        // A notifications-only token may not hold `user`, and reads no status if it was stored.
        assert_eq!(Stream::User.allowed_by(&Scopes::parse("read:notifications").unwrap()), Err(SCOPE));
        let stored = subscriber("read:notifications", vec![Stream::User, Stream::UserNotification]);
        assert!(stored.frames(&update(vec![Stream::User])).is_empty());
        let deleted = Broadcast { event: "delete".into(), payload: Some("5".into()), streams: vec![] };
        assert!(stored.frames(&deleted).is_empty());
    }

    #[test]
    fn a_delete_reaches_every_stream_the_socket_holds() {
        let tag = Stream::Hashtag { tag: "rust".into(), local: false };
        let sub = subscriber("read", vec![tag, Stream::List("3".into())]);
        let deleted = Broadcast { event: "delete".into(), payload: Some("5".into()), streams: vec![] };
        let frames = sub.frames(&deleted);
        assert_eq!(frames.len(), 2);
        assert!(frames[1].contains("[\"list\",\"3\"]") && frames[1].contains("\"payload\":\"5\""));
    }

    #[test]
    fn filters_changed_has_no_payload() {
        let changed = Broadcast { event: "filters_changed".into(), payload: None, streams: vec![Stream::User] };
        let frames = subscriber("read", vec![Stream::User]).frames(&changed);
        assert_eq!(frames, vec!["{\"stream\":[\"user\"],\"event\":\"filters_changed\"}".to_string()]);
    }

    #[test]
    fn clients_multiplex_with_subscribe_and_unsubscribe() {
        let mut sub = subscriber("read", vec![]);
        sub.on_message(r#"{"type":"subscribe","stream":"hashtag","tag":"Rust"}"#).unwrap();
        sub.on_message(r#"{"type":"subscribe","stream":"list","list":7}"#).unwrap();
        sub.on_message(r#"{"type":"subscribe","stream":"list","list":"7"}"#).unwrap();
        assert_eq!(sub.streams, vec![Stream::Hashtag { tag: "rust".into(), local: false }, Stream::List("7".into())]);
        sub.on_message(r#"{"type":"unsubscribe","stream":"hashtag","tag":"rust"}"#).unwrap();
        assert_eq!(sub.streams, vec![Stream::List("7".into())]);
        let unknown = sub.on_message(r#"{"type":"subscribe","stream":"firehose"}"#).unwrap_err();
        assert_eq!(unknown, r#"{"error":"Unknown stream type","status":400}"#);
        assert!(sub.on_message("not json").is_ok());
        let mut reader = subscriber("read:notifications", vec![]);
        assert!(reader.on_message(r#"{"type":"subscribe","stream":"public"}"#).unwrap_err().contains("401"));
        assert!(reader.streams.is_empty());
    }

    #[test]
    fn a_socket_holds_a_bounded_number_of_subscriptions() {
        let mut sub = subscriber("read", vec![]);
        for i in 0..MAX_SUBSCRIPTIONS {
            sub.on_message(&format!(r#"{{"type":"subscribe","stream":"hashtag","tag":"t{i}"}}"#)).unwrap();
        }
        assert!(sub.on_message(r#"{"type":"subscribe","stream":"hashtag","tag":"one-more"}"#).is_err());
        assert_eq!(sub.streams.len(), MAX_SUBSCRIPTIONS);
    }
}
