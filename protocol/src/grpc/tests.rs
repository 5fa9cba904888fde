use super::{flexi, logs};
use crate::{
    Answer, Call, Data, LogPayload, Login, ServerTiming,
    logs::{LogEntry, LogPage},
};

fn calls() -> Vec<Call> {
    [
        r#"{"action":"auth","auth":{"email":"a@b.c","password":"p"}}"#,
        r#"{"action":"log","log":{"name":"n","data":"d"}}"#,
        r#"{"action":"mail","mail":{"from":"me@b.c","to":"a@b.c","subject":"s","message":"m"}}"#,
        r#"{"action":"ping"}"#,
        r#"{"action":"ping","ping":{"data":""}}"#,
        r#"{"action":"logs","logs":{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}}"#,
    ]
    .iter()
    .map(|body| serde_json::from_str(body).expect("valid"))
    .collect()
}

#[test]
fn every_call_and_answer_survives_the_round_trip() {
    for call in calls() {
        let message = flexi::CallRequest::from(&call);
        assert_eq!(Call::try_from(message), Ok(call));
    }
    let user = crate::json::user();
    for data in [
        Data::Auth(Login {
            user,
            token: "jwt".into(),
        }),
        Data::Log,
        Data::Mail,
        Data::Ping(None),
        Data::Ping(Some("e".into())),
        Data::Logs(LogPage {
            entries: vec![LogEntry {
                name: "n".into(),
                data: "d".into(),
                created_at: "2026-01-01T00:00:00.000Z".into(),
                trace_id: None,
                truncated: true,
            }],
            next: Some("1-0123456789abcdef01234567".into()),
        }),
    ] {
        let mut answer = Answer::new("words", data);
        answer.timing = Some(ServerTiming {
            worker_us: 3,
            dependency_us: 2,
            queue_us: Some(1),
        });
        assert_eq!(
            Answer::try_from(flexi::Answer::from(answer.clone())),
            Ok(answer)
        );
    }
}

#[test]
fn an_invalid_message_is_not_a_call() {
    let blank = flexi::CallRequest {
        action: Some(flexi::call_request::Action::Log(flexi::LogEntry {
            name: " ".into(),
            data: String::new(),
        })),
    };
    assert!(Call::try_from(blank).is_err());
    assert!(Call::try_from(flexi::CallRequest { action: None }).is_err());
    let empty_name = logs::LogRequest {
        log_entry: Some(logs::Log {
            name: " ".into(),
            data: String::new(),
        }),
    };
    assert!(LogPayload::try_from(empty_name).is_err());
    assert!(LogPayload::try_from(logs::LogRequest { log_entry: None }).is_err());
    let no_data = flexi::Answer::default();
    assert!(Answer::try_from(no_data).is_err());
}
