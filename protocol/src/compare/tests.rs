use super::*;

fn parse(body: &str) -> Result<Comparison, RequestError> {
    Comparison::parse(body.as_bytes())
}

fn refused(body: &str) -> String {
    match parse(body) {
        Ok(c) => panic!("{body} accepted as {c:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn defaults_cover_all_four_transports() {
    let c = parse(r#"{"action":"ping"}"#).expect("valid");
    assert_eq!(c.transports, Transport::ALL);
    assert_eq!(c.mode, Mode::Closed { requests: 100 });
    assert_eq!(c.concurrency, 10);
    assert_eq!(c.warmup, Duration::from_secs(1));
    assert_eq!(c.size_runs(), [None]);
    assert_eq!(c.call.action(), "ping");
}

#[test]
fn bounds_are_enforced() {
    for body in [
        r#"{"action":"ping","requests":0}"#,
        r#"{"action":"ping","requests":10001}"#,
        r#"{"action":"ping","concurrency":0}"#,
        r#"{"action":"ping","concurrency":257}"#,
        r#"{"action":"ping","transports":[]}"#,
        r#"{"action":"ping","transports":["smtp"]}"#,
        r#"{"action":"ping","requests":-1}"#,
        r#"{"action":"log"}"#,
        r#"{"action":"ping","transport":"AAA"}"#,
        r#"{"action":"ping","mode":"open"}"#,
        r#"{"action":"ping","mode":"rate","rate":0}"#,
        r#"{"action":"ping","mode":"rate","rate":10001}"#,
        r#"{"action":"ping","mode":"rate","duration":31}"#,
        r#"{"action":"ping","mode":"sweep","duration":11}"#,
        r#"{"action":"ping","mode":"sweep","start_rate":200,"max_rate":100}"#,
        r#"{"action":"ping","mode":"sweep","slo_ms":0}"#,
        r#"{"action":"ping","warmup":5.5}"#,
        r#"{"action":"ping","warmup":-1}"#,
        r#"{"action":"ping","payload_bytes":524289}"#,
        r#"{"action":"ping","sizes":[]}"#,
        r#"{"action":"ping","sizes":[1,2,3,4,5,6,7,8,9]}"#,
        r#"{"action":"ping","sizes":[64],"payload_bytes":64}"#,
    ] {
        refused(body);
    }
}

#[test]
fn a_field_of_another_mode_or_a_misspelt_one_is_refused_by_name() {
    let cases = [
        (
            r#"{"action":"ping","rate":100}"#,
            "rate does not apply to mode closed",
        ),
        (
            r#"{"action":"ping","mode":"rate","requests":5}"#,
            "requests does not apply to mode rate",
        ),
        (
            r#"{"action":"ping","mode":"rate","slo_ms":5}"#,
            "slo_ms does not apply to mode rate",
        ),
        (
            r#"{"action":"ping","concurency":5}"#,
            "unknown field `concurency`",
        ),
    ];
    for (body, expected) in cases {
        let error = refused(body);
        assert!(error.contains(expected), "{body}: {error}");
    }
}

#[test]
fn a_comparison_of_logins_or_mails_is_bounded_to_a_few_calls() {
    let mail =
        r#""mail":{"from":"a@example.com","to":"b@example.com","subject":"s","message":"m"}"#;
    let auth = r#""auth":{"email":"a@example.com","password":"p"}"#;
    for (action, payload) in [("mail", mail), ("auth", auth)] {
        let body = |rest: &str| format!(r#"{{"action":"{action}",{payload}{rest}}}"#);
        let error = refused(&body(r#","requests":21"#));
        assert!(error.contains("at most 20"), "{error}");
        assert_eq!(
            parse(&body(r#","requests":20"#)).expect("valid").mode,
            Mode::Closed { requests: 20 }
        );
        let default = parse(&body("")).expect("valid");
        assert_eq!(default.mode, Mode::Closed { requests: 20 }, "the default");
        assert_eq!(
            default.warmup,
            Duration::ZERO,
            "no warm-up: every call costs"
        );
        assert!(refused(&body(r#","mode":"rate","rate":5,"duration":5"#)).contains("at most 20"));
        assert!(parse(&body(r#","mode":"rate","rate":4,"duration":5"#)).is_ok());
        assert!(refused(&body(r#","mode":"sweep""#)).contains("cannot sweep"));
        assert!(refused(&body(r#","warmup":1"#)).contains("no warm-up"));
        assert!(refused(&body(r#","payload_bytes":64"#)).contains("apply to log and ping"));
    }
    let most = parse(r#"{"action":"ping","requests":10000}"#).expect("valid");
    assert_eq!(most.mode, Mode::Closed { requests: 10_000 });
}

#[test]
fn concurrency_never_exceeds_requests_and_repeats_collapse() {
    let c = parse(
        r#"{"action":"ping","requests":3,"concurrency":50,"transports":["grpc","grpc","rpc"]}"#,
    )
    .expect("valid");
    assert_eq!(c.concurrency, 3);
    assert_eq!(c.transports, [Transport::Grpc, Transport::Rpc]);
}

#[test]
fn rate_and_sweep_have_their_defaults_and_a_planned_length() {
    let rate = parse(r#"{"action":"ping","mode":"rate","transports":["http"]}"#).expect("valid");
    assert_eq!(
        rate.mode,
        Mode::Rate {
            rate: 100,
            duration: Duration::from_secs(5)
        }
    );
    assert_eq!(rate.concurrency, 256, "in flight at most");
    assert_eq!(rate.mode.planned_calls(), 500);
    assert_eq!(
        rate.planned(),
        Some(Duration::from_secs(6)),
        "1 s warm-up + 5 s"
    );

    let sweep = parse(
        r#"{"action":"ping","mode":"sweep","start_rate":100,"max_rate":1000,"sizes":[64,1024]}"#,
    )
    .expect("valid");
    assert_eq!(
        Mode::sweep_rates(100, 1000).collect::<Vec<_>>(),
        [100, 200, 400, 800],
        "doubling while within max_rate"
    );
    assert_eq!(sweep.mode.planned_calls(), 2 * (100 + 200 + 400 + 800));
    // (1 s warm-up + 4 steps × 2 s) × every transport × 2 sizes
    let runs = 2 * Transport::ALL.len() as u64;
    assert_eq!(sweep.planned(), Some(Duration::from_secs(9 * runs)));
    assert_eq!(sweep.size_runs(), [Some(64), Some(1024)]);
}

#[test]
fn the_whole_work_of_a_comparison_is_bounded() {
    let long = refused(
        r#"{"action":"ping","mode":"sweep","start_rate":1,"duration":10,"sizes":[1,2,3,4,5,6,7,8]}"#,
    );
    assert!(long.contains("would run for about"), "{long}");
    let heavy = refused(r#"{"action":"ping","requests":10000,"payload_bytes":524288}"#);
    assert!(heavy.contains("at most 256 MiB per run"), "{heavy}");
    // 256 calls and as many in the warm-up, of 512 KiB: 256 MiB, the most.
    assert!(parse(r#"{"action":"ping","requests":256,"payload_bytes":524288}"#).is_ok());
    let warm = refused(r#"{"action":"ping","requests":257,"payload_bytes":524288}"#);
    assert!(warm.contains("514 calls of 524288 bytes"), "{warm}");
    // A rate run's warm-up counts too: 10 000 + 50 000 calls of 26 000 bytes.
    let warm = refused(
        r#"{"action":"ping","mode":"rate","rate":10000,"duration":1,"warmup":5,"payload_bytes":26000}"#,
    );
    assert!(warm.contains("60000 calls"), "{warm}");
    // So does the call's own data, without any size asked.
    let data = "x".repeat(100_000);
    let own = refused(&format!(
        r#"{{"action":"log","log":{{"name":"n","data":"{data}"}},"mode":"rate","rate":10000,"duration":1}}"#
    ));
    assert!(own.contains("of 100001 bytes"), "{own}");
}

#[test]
fn a_size_becomes_the_data_of_a_log() {
    let c = parse(r#"{"action":"log","log":{"name":"bench","data":"x"},"sizes":[0,1000]}"#)
        .expect("valid");
    for (size, bytes) in [(Some(0), 0), (Some(1000), 1000), (None, 1)] {
        match c.call_of_size(size) {
            Call::Log { log } => assert_eq!((log.name.as_str(), log.data.len()), ("bench", bytes)),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_size_becomes_the_data_a_ping_has_echoed() {
    let c = parse(r#"{"action":"ping","payload_bytes":512}"#).expect("valid");
    match c.call_of_size(Some(512)) {
        Call::Ping { ping: Some(ping) } => assert_eq!(ping.data.len(), 512),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.call_of_size(None), Call::Ping { ping: None });
}

#[test]
fn a_sweeps_null_knee_reads_back_as_present_and_null() {
    let stats = |knee: &str| {
        let json = format!(
            r#"{{"transport":"grpc","ok":1,"errors":0,"p50_ms":1,"p90_ms":1,"p99_ms":1,
                "max_ms":1,"rps":1,"elapsed_ms":1{knee}}}"#
        );
        serde_json::from_str::<TransportStats>(&json).expect("stats")
    };
    assert_eq!(
        stats(r#","knee":null"#).knee,
        Some(None),
        "a sweep without a knee"
    );
    assert_eq!(stats(r#","knee":400"#).knee, Some(Some(400)));
    assert_eq!(stats("").knee, None, "not a sweep");
    let back = serde_json::to_value(stats(r#","knee":null"#)).expect("JSON");
    assert!(
        back["knee"].is_null() && back.get("knee").is_some(),
        "{back}"
    );
}

#[test]
fn what_does_not_apply_is_left_out_of_a_report() {
    // A closed run over HTTP: no mode fields, no size, queue, service times,
    // lateness, rate, steps, knee or error; each read and written back as it is.
    let part = serde_json::json!({"p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 3.0});
    let closed = serde_json::json!({
        "action": "ping", "mode": "closed", "requests": 5, "concurrency": 2, "warmup_s": 0.0,
        "results": [{
            "transport": "http", "ok": 5, "errors": 0, "p50_ms": 1.0, "p90_ms": 2.0,
            "p99_ms": 3.0, "max_ms": 4.0, "rps": 5.0, "elapsed_ms": 6.0, "spectrum": [],
            "breakdown": {"transport": part, "worker": part, "dependency": part},
        }],
    });
    let report: CompareReport = serde_json::from_value(closed.clone()).expect("a report");
    assert_eq!(serde_json::to_value(&report).expect("JSON"), closed);
}
