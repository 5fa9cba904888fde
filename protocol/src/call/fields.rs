//! A call's JSON object as it arrives ([`WireCall`]): its fields read without
//! allocating, only the named action's payload kept (as raw text), and
//! `/handle`'s `transport` and `bus` for [`crate::Dispatch`].

use serde::{
    Deserialize, Deserializer,
    de::{self, IgnoredAny, MapAccess, Visitor},
};
use serde_json::value::RawValue;

use super::{Call, wire::Json};
use crate::{Action, Transport};

/// A call as it arrives in JSON (the `/handle` body, an AMQP request),
/// before its action is known to be one of ours: the action's name, the
/// payload of each action named, and `/handle`'s `transport`.
pub struct WireCall {
    action: Option<String>,
    /// `/handle`'s transport, taken by [`crate::Dispatch`]; a call ignores it.
    pub transport: Option<Transport>,
    /// `/handle`'s bus of a log event, taken by [`crate::Dispatch`].
    pub bus: Option<crate::request::Bus>,
    payloads: Vec<(Action, Box<RawValue>)>,
}

impl WireCall {
    /// Names the fields a call reads: `action`, `/handle`'s `transport` and
    /// `bus`, and one per action.
    pub fn reads(field: &str) -> bool {
        matches!(field, "action" | "transport" | "bus") || field.parse::<Action>().is_ok()
    }
}

impl TryFrom<WireCall> for Call {
    type Error = String;

    fn try_from(wire: WireCall) -> Result<Self, String> {
        let name = wire.action.ok_or("missing field `action`")?;
        let action: Action = name
            .parse()
            .map_err(|e: crate::action::UnknownAction| e.to_string())?;
        let raw = wire
            .payloads
            .into_iter()
            .find(|(a, _)| *a == action)
            .map(|(_, raw)| raw);
        Call::of(action, Json { action, raw })
    }
}

impl<'de> Deserialize<'de> for WireCall {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(WireVisitor)
    }
}

struct WireVisitor;

impl<'de> Visitor<'de> for WireVisitor {
    type Value = WireCall;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a call: an object with an `action`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireCall, A::Error> {
        let mut wire = WireCall {
            action: None,
            transport: None,
            bus: None,
            payloads: Vec::new(),
        };
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Action if wire.action.is_some() => {
                    return Err(de::Error::duplicate_field("action"));
                }
                Key::Action => wire.action = Some(map.next_value()?),
                Key::Transport => wire.transport = map.next_value()?,
                Key::Bus => wire.bus = map.next_value()?,
                Key::Payload(action) => wire.payloads.push((action, map.next_value()?)),
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(wire)
    }
}

/// A field of a call's JSON object, read without allocating.
enum Key {
    Action,
    Transport,
    Bus,
    Payload(Action),
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, field: &str) -> Result<Key, E> {
        Ok(match field {
            "action" => Key::Action,
            "transport" => Key::Transport,
            "bus" => Key::Bus,
            field => field.parse().map_or(Key::Other, Key::Payload),
        })
    }
}
