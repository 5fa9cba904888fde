use super::*;
use crate::PingPayload;

/// One call of every action, as JSON.
const CALLS: [&str; 5] = [
    r#"{"action":"auth","auth":{"email":"a@b.c","password":"p"}}"#,
    r#"{"action":"log","log":{"name":"n","data":""}}"#,
    r#"{"action":"mail","mail":{"to":"a@b.c","subject":"s","message":"m"}}"#,
    r#"{"action":"ping"}"#,
    r#"{"action":"logs","logs":{"name_prefix":"auth","limit":5}}"#,
];

#[test]
fn a_call_serializes_as_the_handle_body() {
    let body = r#"{"action":"log","log":{"name":"n","data":"d"}}"#;
    let call: Call = serde_json::from_str(body).expect("valid");
    assert_eq!(serde_json::to_string(&call).expect("json"), body);
    assert_eq!(call.worker(), Worker::Logger);
    let ping: Call = serde_json::from_str(r#"{"action":"ping"}"#).expect("valid");
    assert_eq!(ping, Call::Ping { ping: None });
}

#[test]
fn invalid_payloads_never_become_calls() {
    for body in [
        r#"{"action":"log","log":{"name":" ","data":"d"}}"#,
        r#"{"action":"auth","auth":{"email":"nobody","password":"x"}}"#,
        r#"{"action":"auth","auth":{"email":"a@b.c","password":""}}"#,
        r#"{"action":"mail","mail":{"to":"you@there.com","subject":"a\nb","message":""}}"#,
        r#"{"action":"dance"}"#,
        r#"{"action":"log"}"#,
        r#"{"action":0,"auth":{"email":"a@b.c","password":"p"}}"#,
        r#"{"log":{"name":"n","data":""}}"#,
        r#"{"action":"log","action":"ping","log":{"name":"n","data":""}}"#,
    ] {
        assert!(serde_json::from_str::<Call>(body).is_err(), "{body}");
    }
}

#[test]
fn every_action_has_a_worker_and_round_trips_in_json_and_bincode() {
    for (body, action) in CALLS.iter().zip(Action::ALL) {
        let call: Call = serde_json::from_str(body).expect("valid");
        assert_eq!(call.action(), action);
        let again: Call =
            serde_json::from_slice(&serde_json::to_vec(&call).expect("json")).expect("valid");
        assert_eq!(again, call);
        let binary = bincode::serialize(&call).expect("bincode");
        assert_eq!(bincode::deserialize::<Call>(&binary).expect("valid"), call);
    }
    let echo = Call::Ping {
        ping: Some(PingPayload { data: "é".into() }),
    };
    let binary = bincode::serialize(&echo).expect("bincode");
    assert_eq!(bincode::deserialize::<Call>(&binary).expect("valid"), echo);
}

#[test]
fn a_binary_call_is_checked_as_a_json_one() {
    // A log entry with a blank name, written by hand: the action's index (1)
    // and the payload's two strings.
    let blank = bincode::serialize(&(1u32, " ", "d")).expect("bincode");
    assert!(bincode::deserialize::<Call>(&blank).is_err());
    let unknown = bincode::serialize(&(99u32, "n", "d")).expect("bincode");
    assert!(bincode::deserialize::<Call>(&unknown).is_err());
}

#[test]
fn an_original_doors_body_is_the_actions_payload() {
    let log = Call::from_payload_json(Action::Log, br#"{"name":"n","data":"d"}"#).expect("valid");
    assert_eq!(log.action(), Action::Log);
    assert_eq!(
        Call::from_payload_json(Action::Ping, b""),
        Ok(Call::Ping { ping: None })
    );
    assert!(Call::from_payload_json(Action::Log, b"").is_err());
    assert!(Call::from_payload_json(Action::Log, br#"{"name":" ","data":""}"#).is_err());
    // A `logs` call may leave its query out: the newest entries.
    let newest: Call = serde_json::from_str(r#"{"action":"logs"}"#).expect("valid");
    assert_eq!(
        newest,
        Call::Logs {
            logs: Default::default()
        }
    );
}

#[test]
fn answers_round_trip_and_name_their_action() {
    let answers = [
        Answer::new("logged", Data::Log),
        Answer::new("pong", Data::Ping(Some("x".into()))),
        Answer::new("sent", Data::Mail),
        Answer::new(
            "1 entries",
            Data::Logs(crate::logs::LogPage {
                entries: vec![crate::logs::LogEntry {
                    name: "n".into(),
                    data: "d".into(),
                    created_at: "2026-01-01T00:00:00.000Z".into(),
                    trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
                    truncated: false,
                }],
                next: None,
            }),
        ),
    ];
    for answer in answers {
        let json: Reply = serde_json::from_slice(
            &serde_json::to_vec(&Ok::<_, crate::WorkerError>(answer.clone())).expect("json"),
        )
        .expect("valid");
        assert_eq!(json, Ok(answer.clone()));
        let binary = bincode::serialize(&answer).expect("bincode");
        assert_eq!(
            bincode::deserialize::<Answer>(&binary).expect("valid"),
            answer
        );
    }
    assert_eq!(Data::Ping(None).action(), Action::Ping);
}

#[test]
fn every_action_has_an_example() {
    for action in Action::ALL {
        assert_eq!(Call::example(action).action(), action);
    }
}
