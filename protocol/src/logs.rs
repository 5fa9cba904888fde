//! The `logs` action: what the logger stored, filtered, newest first, a page
//! at a time.
//!
//! `{"action":"logs","logs":{"name"?,"name_prefix"?,"trace_id"?,"since"?,
//! "until"?,"limit"?,"cursor"?}}` answers `data: {"entries":[{"name","data",
//! "created_at","trace_id"}],"next": cursor | null}`. Every filter is checked
//! here, and a bad one is refused naming its field (`logs.limit must be …`),
//! so the logger only ever runs a valid query.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::LogName;

/// Entries a page holds when the query names no `limit`.
pub const DEFAULT_LIMIT: u32 = 20;
/// Most entries one page holds.
pub const MAX_LIMIT: u32 = 100;
/// Most bytes of entries' `data` one page holds: past it the page ends early
/// (its `next` goes on from there), and an entry larger than this alone is
/// cut to it and marked `truncated`. Below every transport's largest message.
pub const MAX_PAGE_DATA_BYTES: usize = 512 * 1024;

/// A validated `logs` query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// `null` (or a `logs` call without its field) is the newest page, unfiltered.
#[serde(try_from = "Option<RawQuery>", into = "Option<RawQuery>")]
pub struct LogsQuery {
    /// Entries of exactly this name.
    pub name: Option<LogName>,
    /// Entries whose name starts with this (with `name` too: both hold).
    pub name_prefix: Option<LogName>,
    /// Entries written by the call of this trace (32 lower-case hex digits).
    pub trace_id: Option<String>,
    /// Entries stored at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries stored before this time.
    pub until: Option<DateTime<Utc>>,
    /// Entries per page, 1 to [`MAX_LIMIT`].
    pub limit: u32,
    /// Where the page starts: the `next` of the page before.
    pub cursor: Option<Cursor>,
}

impl Default for LogsQuery {
    /// The newest [`DEFAULT_LIMIT`] entries, unfiltered.
    fn default() -> Self {
        Self {
            name: None,
            name_prefix: None,
            trace_id: None,
            since: None,
            until: None,
            limit: DEFAULT_LIMIT,
            cursor: None,
        }
    }
}

/// The query as it travels: every field optional and unchecked. In JSON it
/// is an object and nothing else (serde would also read a struct from an
/// array); on binary wires its fields in order.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, remote = "Self")]
pub(crate) struct RawQuery {
    pub(crate) name: Option<String>,
    pub(crate) name_prefix: Option<String>,
    pub(crate) trace_id: Option<String>,
    pub(crate) since: Option<String>,
    pub(crate) until: Option<String>,
    pub(crate) limit: Option<u32>,
    pub(crate) cursor: Option<String>,
}

impl Serialize for RawQuery {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawQuery::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for RawQuery {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if !deserializer.is_human_readable() {
            return RawQuery::deserialize(deserializer);
        }
        struct Object;
        impl<'de> serde::de::Visitor<'de> for Object {
            type Value = RawQuery;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of filters")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawQuery, A::Error> {
                RawQuery::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        deserializer.deserialize_map(Object)
    }
}

impl TryFrom<RawQuery> for LogsQuery {
    type Error = String;

    fn try_from(raw: RawQuery) -> Result<Self, String> {
        let named = |field: &str, value: String| {
            LogName::parse(value)
                .map_err(|_| format!("logs.{field} must be 1 to 256 bytes, not blank"))
        };
        let trace_id = raw.trace_id.map(|id| match is_trace_id(&id) {
            true => Ok(id),
            false => Err("logs.trace_id must be 32 lower-case hex digits".to_owned()),
        });
        let limit = raw.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(format!("logs.limit must be between 1 and {MAX_LIMIT}"));
        }
        // `until` at or before `since` is an empty range: an empty page.
        Ok(LogsQuery {
            name: raw.name.map(|n| named("name", n)).transpose()?,
            name_prefix: raw
                .name_prefix
                .map(|n| named("name_prefix", n))
                .transpose()?,
            trace_id: trace_id.transpose()?,
            since: raw.since.map(|t| time("since", &t)).transpose()?,
            until: raw.until.map(|t| time("until", &t)).transpose()?,
            limit,
            cursor: raw.cursor.map(|c| Cursor::parse(&c)).transpose()?,
        })
    }
}

impl TryFrom<Option<RawQuery>> for LogsQuery {
    type Error = String;

    fn try_from(raw: Option<RawQuery>) -> Result<Self, String> {
        LogsQuery::try_from(raw.unwrap_or_default())
    }
}

impl From<LogsQuery> for Option<RawQuery> {
    fn from(query: LogsQuery) -> Self {
        Some(query.into())
    }
}

impl From<LogsQuery> for RawQuery {
    fn from(query: LogsQuery) -> Self {
        RawQuery {
            name: query.name.map(String::from),
            name_prefix: query.name_prefix.map(String::from),
            trace_id: query.trace_id,
            since: query.since.map(rfc3339),
            until: query.until.map(rfc3339),
            limit: Some(query.limit),
            cursor: query.cursor.map(|c| c.to_string()),
        }
    }
}

/// Whether `id` is a W3C trace id: 32 lower-case hex digits, not all zero.
fn is_trace_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && id.bytes().any(|b| b != b'0')
}

/// An RFC 3339 time of the field `field`.
fn time(field: &str, text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("logs.{field} must be an RFC 3339 time (2026-12-07T10:00:00Z)"))
}

/// A time as the entries and queries write it: RFC 3339, UTC, milliseconds.
pub fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Where a page starts: the last entry of the page before (its time in
/// milliseconds and its id), written `<millis>-<24 hex digits>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The entry's `created_at`, in milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// The entry's id (MongoDB's `_id`, as hex).
    pub id: String,
}

impl Cursor {
    /// Reads a cursor that a page's `next` gave.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || "logs.cursor is not a cursor a page gave".to_owned();
        let (millis, id) = text.split_once('-').ok_or_else(invalid)?;
        let created_at_ms = millis.parse().map_err(|_| invalid())?;
        let hex = id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex {
            return Err(invalid());
        }
        Ok(Cursor {
            created_at_ms,
            id: id.to_ascii_lowercase(),
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.created_at_ms, self.id)
    }
}

/// One stored entry, as `logs` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The entry's name.
    pub name: String,
    /// Its content (cut to [`MAX_PAGE_DATA_BYTES`] when `truncated`).
    pub data: String,
    /// When it was stored (RFC 3339, UTC, milliseconds).
    pub created_at: String,
    /// The trace of the call that wrote it; `None` for entries stored before
    /// entries kept it.
    pub trace_id: Option<String>,
    /// Whether `data` was cut to fit the page. (Always written: tarpc's
    /// bincode cannot skip a field.)
    #[serde(default)]
    pub truncated: bool,
}

/// A page of entries, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage {
    /// The entries.
    pub entries: Vec<LogEntry>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(json: &str) -> Result<LogsQuery, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn an_empty_query_is_the_newest_twenty() {
        for empty in ["{}", "null"] {
            let q = query(empty).expect("valid");
            assert_eq!((q.limit, q.name, q.cursor), (DEFAULT_LIMIT, None, None));
        }
    }

    #[test]
    fn each_bad_filter_is_refused_by_its_name() {
        for (json, field) in [
            (r#"{"limit":0}"#, "logs.limit"),
            (r#"{"limit":101}"#, "logs.limit"),
            (r#"{"name":" "}"#, "logs.name"),
            (r#"{"name_prefix":""}"#, "logs.name_prefix"),
            (r#"{"trace_id":"XYZ"}"#, "logs.trace_id"),
            (r#"{"since":"yesterday"}"#, "logs.since"),
            (r#"{"until":"today"}"#, "logs.until"),
            (r#"[null,null]"#, "an object"),
            (r#"{"cursor":"nope"}"#, "logs.cursor"),
            (r#"{"colour":"red"}"#, "colour"),
        ] {
            let error = query(json).expect_err(json);
            assert!(error.contains(field), "{json}: {error}");
        }
    }

    #[test]
    fn a_query_and_a_cursor_round_trip() {
        let json = r#"{"name_prefix":"auth","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","since":"2026-01-01T00:00:00Z","limit":5,"cursor":"1765100000000-0123456789abcdef01234567"}"#;
        let q = query(json).expect("valid");
        let again: LogsQuery =
            serde_json::from_str(&serde_json::to_string(&q).expect("json")).expect("valid");
        assert_eq!(again, q);
        let cursor = q.cursor.expect("a cursor");
        assert_eq!(cursor.created_at_ms, 1_765_100_000_000);
        assert_eq!(Cursor::parse(&cursor.to_string()), Ok(cursor));
    }
}
