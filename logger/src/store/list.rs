//! The `logs` action's read: the entries that match a query, newest first
//! (`created_at`, then `_id`, both descending), a page at a time. A page ends
//! at the query's `limit`, or earlier once its entries' data reach
//! [`MAX_PAGE_DATA_BYTES`]; its `next` is the cursor of its last entry.

use futures::TryStreamExt;
use mongodb::bson::{DateTime, Document, doc, oid::ObjectId};
use protocol::logs::{Cursor, LogEntry, LogPage, LogsQuery, MAX_PAGE_DATA_BYTES, rfc3339};

use super::{LogDocument, LogStore, StoreError};

impl LogStore {
    /// The page of entries `query` asks for.
    pub async fn list(&self, query: &LogsQuery) -> Result<LogPage, StoreError> {
        let found = self
            .collection
            .find(filter(query))
            .sort(doc! { "created_at": -1, "_id": -1 })
            // One more than the page holds: whether a next page exists.
            .limit(i64::from(query.limit) + 1)
            .await?;
        let documents: Vec<LogDocument> = found.try_collect().await?;
        Ok(page(documents, query.limit as usize))
    }
}

/// The MongoDB filter of a query: every condition it names, together.
fn filter(query: &LogsQuery) -> Document {
    let mut all = Vec::new();
    if let Some(name) = &query.name {
        all.push(doc! { "name": name.as_str() });
    }
    if let Some(prefix) = &query.name_prefix {
        all.push(doc! { "name": { "$regex": format!("^{}", escape(prefix.as_str())) } });
    }
    if let Some(trace_id) = &query.trace_id {
        all.push(doc! { "trace_id": trace_id });
    }
    let millis = |t: chrono::DateTime<chrono::Utc>| DateTime::from_millis(t.timestamp_millis());
    if let Some(since) = query.since {
        all.push(doc! { "created_at": { "$gte": millis(since) } });
    }
    if let Some(until) = query.until {
        all.push(doc! { "created_at": { "$lt": millis(until) } });
    }
    if let Some(Cursor { created_at_ms, id }) = &query.cursor {
        let at = DateTime::from_millis(*created_at_ms);
        let id = ObjectId::parse_str(id).unwrap_or_else(|_| ObjectId::from_bytes([0; 12]));
        all.push(doc! { "$or": [
            { "created_at": { "$lt": at } },
            { "created_at": at, "_id": { "$lt": id } },
        ] });
    }
    match all.len() {
        0 => doc! {},
        1 => all.remove(0),
        _ => doc! { "$and": all },
    }
}

/// `text` as a regular expression that matches it literally.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The page of `documents` (at most `limit` + 1 found): at most `limit`
/// entries and [`MAX_PAGE_DATA_BYTES`] of data; `next` when more remain.
fn page(documents: Vec<LogDocument>, limit: usize) -> LogPage {
    let found = documents.len();
    let mut entries = Vec::new();
    let mut bytes = 0;
    let mut last = None;
    for document in documents.into_iter().take(limit) {
        let room = MAX_PAGE_DATA_BYTES.saturating_sub(bytes);
        if document.data.len() > room && !entries.is_empty() {
            break;
        }
        last = Some((document.created_at, document.id));
        let entry = entry(document, room);
        bytes += entry.data.len();
        entries.push(entry);
    }
    let more = entries.len() < found;
    let next = last
        .filter(|_| more)
        .and_then(|(at, id)| {
            Some(Cursor {
                created_at_ms: at.timestamp_millis(),
                id: id?.to_hex(),
            })
        })
        .map(|cursor| cursor.to_string());
    LogPage { entries, next }
}

/// A stored document as `logs` lists it, its data cut to `room` bytes.
fn entry(document: LogDocument, room: usize) -> LogEntry {
    let LogDocument {
        name,
        mut data,
        created_at,
        trace_id,
        ..
    } = document;
    let truncated = data.len() > room;
    if truncated {
        let mut end = room;
        while !data.is_char_boundary(end) {
            end -= 1;
        }
        data.truncate(end);
    }
    let created_at = chrono::DateTime::from_timestamp_millis(created_at.timestamp_millis())
        .map(rfc3339)
        .unwrap_or_default();
    LogEntry {
        name,
        data,
        created_at,
        trace_id,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(at: i64, data: &str) -> LogDocument {
        LogDocument {
            id: Some(ObjectId::new()),
            name: "n".into(),
            data: data.into(),
            created_at: DateTime::from_millis(at),
            updated_at: DateTime::from_millis(at),
            trace_id: None,
        }
    }

    #[test]
    fn a_page_stops_at_its_limit_or_its_bytes_and_says_where_to_go_on() {
        let three = vec![document(3, "c"), document(2, "b"), document(1, "a")];
        let page2 = page(three, 2);
        assert_eq!(page2.entries.len(), 2);
        let next = Cursor::parse(page2.next.as_deref().expect("a next page")).expect("a cursor");
        assert_eq!(next.created_at_ms, 2);
        let big = "x".repeat(MAX_PAGE_DATA_BYTES - 10);
        let full = page(
            vec![document(2, &big), document(1, "more than ten bytes")],
            5,
        );
        assert_eq!(
            full.entries.len(),
            1,
            "the second would pass the page's bytes"
        );
        assert!(full.next.is_some());
        let last = page(vec![document(1, "a")], 5);
        assert_eq!(last.next, None);
    }

    #[test]
    fn an_entry_larger_than_a_page_is_cut_and_marked() {
        let huge = "é".repeat(MAX_PAGE_DATA_BYTES);
        let page = page(vec![document(1, &huge)], 5);
        let entry = &page.entries[0];
        assert!(entry.truncated && entry.data.len() <= MAX_PAGE_DATA_BYTES);
        assert!(page.next.is_none());
    }

    #[test]
    fn a_prefix_matches_literally() {
        assert_eq!(escape("a.b*(c)"), r"a\.b\*\(c\)");
    }
}
