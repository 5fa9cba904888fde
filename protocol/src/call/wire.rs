//! A [`Call`] on the wire, both ways, written once for every action.
//!
//! - JSON (human-readable formats): the `/handle` body, `{"action":"log",
//!   "log":{…}}`. Only the named action's payload is parsed (from its raw
//!   text, so the others cost nothing) and checked, as the original did:
//!   `{"action":"ping","mail":…}` is a ping. The action must be a string
//!   (serde's own tagged enums would also take a number: `"action": 0`).
//! - Binary formats (tarpc's bincode): an enum whose variant is the action's
//!   index in [`Action::ALL`], holding the payload.
//!
//! Both directions go through [`Call::of`], the one place that builds a call
//! from an action and its payload, and [`Call::payload`], the one place that
//! reads the payload back.

use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{self, DeserializeOwned, EnumAccess, VariantAccess, Visitor},
    ser::SerializeMap,
};
use serde_json::value::RawValue;

use super::{Call, WireCall};
use crate::{Action, RequestError};

/// Reads an action's payload as the type the action holds.
pub(super) trait Payload {
    type Error;
    fn read<T: DeserializeOwned>(self) -> Result<T, Self::Error>;
}

/// Writes an action's payload; `present` is false only for a payload that
/// is absent (a plain ping), which JSON leaves out.
trait Writer {
    type Ok;
    type Error;
    fn write<T: Serialize>(
        self,
        action: Action,
        payload: &T,
        present: bool,
    ) -> Result<Self::Ok, Self::Error>;
}

impl Call {
    /// The call of `action` whose payload `payload` reads.
    pub(super) fn of<P: Payload>(action: Action, payload: P) -> Result<Call, P::Error> {
        Ok(match action {
            Action::Auth => Call::Auth {
                auth: payload.read()?,
            },
            Action::Log => Call::Log {
                log: payload.read()?,
            },
            Action::Mail => Call::Mail {
                mail: payload.read()?,
            },
            Action::Ping => Call::Ping {
                ping: payload.read()?,
            },
            Action::Logs => Call::Logs {
                logs: payload.read()?,
            },
        })
    }

    /// Hands the call's action and payload to `writer`.
    fn payload<W: Writer>(&self, writer: W) -> Result<W::Ok, W::Error> {
        let action = self.action();
        match self {
            Call::Auth { auth } => writer.write(action, auth, true),
            Call::Log { log } => writer.write(action, log, true),
            Call::Mail { mail } => writer.write(action, mail, true),
            Call::Ping { ping } => writer.write(action, ping, ping.is_some()),
            Call::Logs { logs } => writer.write(action, logs, true),
        }
    }

    /// The call of `action` from the payload's own JSON (an original HTTP
    /// door's body: `POST /log` `{"name","data"}`); an empty body is an absent
    /// payload.
    pub fn from_payload_json(action: Action, body: &[u8]) -> Result<Call, RequestError> {
        let raw = match body.iter().all(u8::is_ascii_whitespace) {
            true => None,
            false => Some(
                serde_json::from_slice::<Box<RawValue>>(body).map_err(RequestError::malformed)?,
            ),
        };
        Call::of(action, Json { action, raw }).map_err(RequestError::malformed)
    }
}

/// A payload in JSON: the raw text of the field named after the action.
pub(super) struct Json {
    pub(super) action: Action,
    pub(super) raw: Option<Box<RawValue>>,
}

impl Payload for Json {
    type Error = String;

    fn read<T: DeserializeOwned>(self) -> Result<T, String> {
        let field = self.action.as_str();
        match self.raw {
            Some(raw) => serde_json::from_str(raw.get()).map_err(|e| format!("{field}: {e}")),
            // Only a payload that may be absent (a ping's, a logs query) may be left out.
            None => serde_json::from_str("null")
                .map_err(|_| format!("missing field `{field}` for this action")),
        }
    }
}

/// The payload of a binary call's variant.
struct Variant<'de, A>(A, std::marker::PhantomData<&'de ()>);

impl<'de, A: VariantAccess<'de>> Payload for Variant<'de, A> {
    type Error = A::Error;

    fn read<T: DeserializeOwned>(self) -> Result<T, A::Error> {
        self.0.newtype_variant()
    }
}

struct BinaryVisitor;

impl<'de> Visitor<'de> for BinaryVisitor {
    type Value = Call;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a call: an action's index and its payload")
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Call, A::Error> {
        let (index, variant) = data.variant::<u32>()?;
        let action = *Action::ALL
            .get(index as usize)
            .ok_or_else(|| de::Error::custom(format!("no action has the index {index}")))?;
        Call::of(action, Variant(variant, std::marker::PhantomData))
    }
}

impl<'de> Deserialize<'de> for Call {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let wire = WireCall::deserialize(deserializer)?;
            Call::try_from(wire).map_err(de::Error::custom)
        } else {
            deserializer.deserialize_enum("Call", &Action::NAMES, BinaryVisitor)
        }
    }
}

/// Writes `{"action": name, name: payload}`.
struct JsonWriter<S>(S);

impl<S: Serializer> Writer for JsonWriter<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn write<T: Serialize>(
        self,
        action: Action,
        payload: &T,
        present: bool,
    ) -> Result<S::Ok, S::Error> {
        let mut map = self.0.serialize_map(Some(1 + usize::from(present)))?;
        map.serialize_entry("action", action.as_str())?;
        if present {
            map.serialize_entry(action.as_str(), payload)?;
        }
        map.end()
    }
}

/// Writes the variant of the action's index, holding the payload.
struct BinaryWriter<S>(S);

impl<S: Serializer> Writer for BinaryWriter<S> {
    type Ok = S::Ok;
    type Error = S::Error;

    fn write<T: Serialize>(self, action: Action, payload: &T, _: bool) -> Result<S::Ok, S::Error> {
        self.0
            .serialize_newtype_variant("Call", action.index(), action.as_str(), payload)
    }
}

impl Serialize for Call {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            self.payload(JsonWriter(serializer))
        } else {
            self.payload(BinaryWriter(serializer))
        }
    }
}
